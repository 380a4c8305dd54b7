using Meridian.Gateway.Records;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Retention: deletes case snapshots older than <see cref="SafeguardsOptions.Retention"/> in every geography store,
/// keeping each case's metadata and decision and writing a <c>purge</c> event to the access log (proof of deletion),
/// which becomes a leaf of this node's receipt log before the run ends. Runs every <see cref="SafeguardsOptions.PurgeInterval"/> on the injected clock, and once at start.
/// </summary>
public sealed partial class CasePurger(GeographyStores stores, RecordWriter writer, SafeguardsOptions options, TimeProvider time, ILogger<CasePurger> logger)
    : BackgroundService
{
    /// <summary>Purges now; returns how many snapshots were deleted, once their proofs of deletion are leaves of the receipt log.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var purged = 0;
        foreach (var store in stores.All)
        {
            var ids = store.Cases.PurgeSnapshots(now - options.Retention, writer.LogIdFor(store.Geography), now);
            if (ids.Count > 0)
            {
                Log.Purged(logger, ids.Count, store.Geography);
                await writer.LogAccessAsync(store.Geography, cancellationToken);
            }

            purged += ids.Count;
        }

        return purged;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PurgeInterval, time);
        do
        {
            try
            {
                await PurgeExpiredAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Failed(logger, ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1603, Level = LogLevel.Information, Message = "Purged {Count} Trust & Safety snapshots past retention in geography {Geography}")]
        public static partial void Purged(ILogger logger, int count, string geography);

        [LoggerMessage(EventId = 1604, Level = LogLevel.Warning, Message = "Purging Trust & Safety snapshots failed ({Error}); retrying at the next interval")]
        public static partial void Failed(ILogger logger, string error);
    }
}
