using Meridian.Gateway.Configuration;
using Meridian.Gateway.Records;
using Meridian.Gateway.Snapshot;
using Meridian.Safeguards.Policies;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Retention: deletes case snapshots older than their deployment's retention period (its <c>safeguards.retention_days</c>,
/// else <see cref="SafeguardsOptions.Retention"/>) in every geography store, keeping each case's metadata and decision and
/// writing a <c>purge</c> event to the access log (proof of deletion), which becomes a leaf of this node's receipt log
/// before the run ends. Runs every <see cref="SafeguardsOptions.PurgeInterval"/> on the injected clock, and once at start.
/// A deployment's period is read from the current routing snapshot at each run, so a changed period applies to the cases
/// it already has; a deleted deployment's cases keep the gateway's period.
/// </summary>
internal sealed partial class CasePurger(
    GeographyStores stores, RecordWriter writer, GatewaySnapshotProvider snapshots, SafeguardsOptions options, TimeProvider time, ILogger<CasePurger> logger)
    : BackgroundService
{
    /// <summary>Purges now; returns how many snapshots were deleted, once their proofs of deletion are leaves of the receipt log.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var periods = RetentionPeriods();
        var shortest = periods.Values.Append(options.Retention).Min();
        bool Due(string deploymentId, DateTimeOffset createdAt) => createdAt < now - periods.GetValueOrDefault(deploymentId, options.Retention);
        var purged = 0;
        foreach (var store in stores.All)
        {
            var ids = store.Cases.PurgeSnapshots(now - shortest, Due, writer.LogIdFor(store.Geography), now);
            if (ids.Count > 0)
            {
                Log.Purged(logger, ids.Count, store.Geography);
                await writer.LogAccessAsync(store.Geography, cancellationToken);
            }

            purged += ids.Count;
        }

        return purged;
    }

    /// <summary>The deployments with a retention period of their own, by id.</summary>
    private Dictionary<string, TimeSpan> RetentionPeriods() =>
        snapshots.Current.ResourceDeployments.Values.SelectMany(d => d)
            .Where(d => d.SafeguardSettings is not null)
            .Select(d => (d.DeploymentId, Days: DeploymentSafeguards.TryParse(d.SafeguardSettings!, out var parsed, out _, out _) ? parsed.RetentionDays : null))
            .Where(d => d.Days is not null)
            .ToDictionary(d => d.DeploymentId, d => TimeSpan.FromDays(d.Days!.Value), StringComparer.Ordinal);

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
