using Meridian.Gateway.Backends;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Routing;

/// <summary>
/// Publishes the current <see cref="RoutingSnapshot"/> and keeps it fresh: a cheap poll of the control store's
/// generation counter, and a rebuild only when it moved. With several nodes on one store this is what makes a
/// revocation effective everywhere within the refresh interval.
/// </summary>
public sealed partial class RoutingSnapshotProvider(ControlStore store, BackendCatalog backends, TimeProvider time, ILogger<RoutingSnapshotProvider> logger)
{
    private readonly ILogger _logger = logger;
    private readonly Lock _reloadLock = new();
    private volatile RoutingSnapshot? _current;

    public RoutingSnapshot Current => _current ?? Reload();

    /// <summary>Rebuilds the snapshot if the store changed since the last one. Safe to call from any thread.</summary>
    public RoutingSnapshot Reload()
    {
        lock (_reloadLock)
        {
            var generation = store.Generation();
            if (_current is { } current && current.Generation == generation)
            {
                return current;
            }

            var data = store.LoadRouting(time.GetUtcNow());
            var snapshot = new RoutingSnapshot(data, backends.Build(data.World, data.Publishers), generation);
            _current = snapshot;
            Log.SnapshotPublished(_logger, generation, snapshot.ResourceDeployments.Count);
            return snapshot;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Routing snapshot {Generation} published ({Resources} resources with deployments)")]
        public static partial void SnapshotPublished(ILogger logger, long generation, int resources);
    }
}
