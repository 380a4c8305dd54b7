using Meridian.Gateway.Configuration;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Snapshot;

/// <summary>
/// Polls the control store's generation counter and rebuilds the gateway snapshot when it moved. With several nodes on
/// one store this is what makes a change made elsewhere visible within the interval; the Redis relay, when configured,
/// only makes it sooner.
/// </summary>
internal sealed partial class ControlChangePoller(
    GatewaySnapshotProvider snapshots,
    GatewayOptions options,
    TimeProvider time,
    ILogger<ControlChangePoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SnapshotRefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                // A reader: a restarted server's dead pooled connection is retried past, not logged every tick.
                TransientStoreFailures.Read(() =>
                {
                    snapshots.Refresh();
                    return true;
                });
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.RefreshFailed(logger, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Refreshing the gateway snapshot from the control store failed; keeping the previous one")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
