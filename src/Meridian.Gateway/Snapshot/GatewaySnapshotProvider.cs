using Meridian.Gateway.Backends;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Snapshot;

/// <summary>
/// Publishes the current <see cref="GatewaySnapshot"/> and keeps it fresh, off the request path. A mutation committed
/// through this node rebuilds it before the mutation's caller gets its answer (the control store's
/// <see cref="ControlStore.Committed"/> notice), so an admin action is in force on the next request without any handler
/// asking for it; a change made on another node arrives through the Redis relay or the poll
/// (<see cref="ControlChangePoller"/>), which call <see cref="Refresh"/>. A rebuild reads the store once and happens only
/// when the generation moved. Thread-safe.
/// </summary>
public sealed partial class GatewaySnapshotProvider
{
    private readonly MarketplaceStore _store;
    private readonly BackendCatalog _backends;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _refreshLock = new();
    private volatile GatewaySnapshot? _current;

    public GatewaySnapshotProvider(MarketplaceStore store, BackendCatalog backends, TimeProvider time, ILogger<GatewaySnapshotProvider> logger)
    {
        _store = store;
        _backends = backends;
        _time = time;
        _logger = logger;
        store.Control.Committed += RefreshAfterCommit;
    }

    /// <summary>The snapshot requests read; built on first use.</summary>
    public GatewaySnapshot Current => _current ?? Refresh();

    /// <summary>Rebuilds the snapshot if the store changed since the last one, and returns the current one.</summary>
    public GatewaySnapshot Refresh()
    {
        lock (_refreshLock)
        {
            if (_current is { } current && current.Generation == _store.Control.Generation())
            {
                return current;
            }

            var data = _store.LoadGateway(_time.GetUtcNow());
            var snapshot = new GatewaySnapshot(data, _backends.Build(data.Routing.World, data.Routing.Publishers));
            _current = snapshot;
            Log.SnapshotPublished(_logger, snapshot.Generation, snapshot.ResourceDeployments.Count);
            return snapshot;
        }
    }

    private void RefreshAfterCommit()
    {
        try
        {
            Refresh();
        }
        catch (Exception ex)
        {
            // The committing caller must not fail for it: the change is stored, and the next poll publishes it.
            Log.RefreshAfterCommitFailed(_logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Gateway snapshot {Generation} published ({Resources} resources with deployments)")]
        public static partial void SnapshotPublished(ILogger logger, long generation, int resources);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Rebuilding the gateway snapshot after a change failed; the next poll retries")]
        public static partial void RefreshAfterCommitFailed(ILogger logger, Exception exception);
    }
}
