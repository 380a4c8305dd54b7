namespace Meridian.Gateway.Operations;

/// <summary>Where a node is in its life, as readiness reports it.</summary>
public enum NodeStage
{
    /// <summary>Built (stores opened and migrated, first snapshot read) but not yet listening.</summary>
    Starting,

    /// <summary>Listening and taking requests.</summary>
    Ready,

    /// <summary>Stopping: no new connections; in-flight requests and streams finish, then the record writers flush.</summary>
    Draining,
}

/// <summary>
/// The node's stage, moved by the host's lifetime events: <see cref="NodeStage.Ready"/> once the server listens,
/// <see cref="NodeStage.Draining"/> from the moment a stop (SIGTERM) begins. Readiness (<c>/readyz</c>) is false in
/// every stage but <see cref="NodeStage.Ready"/>; liveness (<c>/healthz</c>) does not look at it. Thread-safe.
/// </summary>
public sealed class NodeLifecycle
{
    private int _stage = (int)NodeStage.Starting;

    public NodeLifecycle(IHostApplicationLifetime lifetime)
    {
        lifetime.ApplicationStarted.Register(() => Interlocked.CompareExchange(ref _stage, (int)NodeStage.Ready, (int)NodeStage.Starting));
        lifetime.ApplicationStopping.Register(() => Volatile.Write(ref _stage, (int)NodeStage.Draining));
    }

    public NodeStage Stage => (NodeStage)Volatile.Read(ref _stage);
}
