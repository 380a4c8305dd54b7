using Meridian.Core.Billing;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Metering;

/// <summary>
/// Folds every geography store's per-writer hourly partials of closed hours into one row each
/// (<see cref="UsageLedger.FoldClosedHours"/>): each process writes partials of its own, so without this the hourly table
/// grows by one set per restart per hour. An hour is folded once it has been closed for <see cref="Settle"/>, when late
/// records for it are rare (one still lands correctly, as a fresh partial folded next time). Every node runs it; on a
/// shared store one folds at a time and the others skip. Runs every <see cref="Interval"/> on the injected clock.
/// </summary>
internal sealed partial class HourlyUsageFolder(GeographyStores stores, TimeProvider time, ILogger<HourlyUsageFolder> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan Settle = TimeSpan.FromHours(1);

    /// <summary>Folds now; returns how many partial rows were folded.</summary>
    public int FoldClosedHours()
    {
        var before = Hours.Floor(time.GetUtcNow() - Settle);
        var folded = 0;
        foreach (var store in stores.All)
        {
            var count = TransientStoreFailures.Read(() => store.Ledger.FoldClosedHours(before));
            if (count > 0)
            {
                Log.Folded(logger, count, store.Geography);
            }

            folded += count;
        }

        return folded;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                FoldClosedHours();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Failed(logger, ex.GetType().Name);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1522, Level = LogLevel.Debug, Message = "Folded {Count} per-writer hourly usage rows of closed hours in geography {Geography}")]
        public static partial void Folded(ILogger logger, int count, string geography);

        [LoggerMessage(EventId = 1523, Level = LogLevel.Warning, Message = "Folding hourly usage rows failed ({Error}); retrying at the next interval")]
        public static partial void Failed(ILogger logger, string error);
    }
}
