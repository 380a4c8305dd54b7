namespace Meridian.Gateway.Operations;

/// <summary>Where a node is in its life, as readiness reports it.</summary>
internal enum NodeStage
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
/// <para>
/// With an <c>unreadyBeforeStop</c> delay, a stopping node keeps accepting for that long while it already
/// reports draining, so load balancers that poll readiness take it out of rotation before its listener closes (the
/// host runs every <see cref="IHostedLifecycleService.StoppingAsync"/> before it stops the server).
/// </para>
/// </summary>
internal sealed class NodeLifecycle : IHostedLifecycleService
{
    private readonly TimeSpan _unreadyBeforeStop;
    private readonly TimeProvider _time;
    private int _stage = (int)NodeStage.Starting;

    public NodeLifecycle(IHostApplicationLifetime lifetime, TimeSpan unreadyBeforeStop = default, TimeProvider? time = null)
    {
        _unreadyBeforeStop = unreadyBeforeStop;
        _time = time ?? TimeProvider.System;
        lifetime.ApplicationStarted.Register(() => Interlocked.CompareExchange(ref _stage, (int)NodeStage.Ready, (int)NodeStage.Starting));
        lifetime.ApplicationStopping.Register(() => Volatile.Write(ref _stage, (int)NodeStage.Draining));
    }

    public NodeStage Stage => (NodeStage)Volatile.Read(ref _stage);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _stage, (int)NodeStage.Draining);
        if (_unreadyBeforeStop > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(_unreadyBeforeStop, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout ran out first: stop now.
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
