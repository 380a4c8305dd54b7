using Meridian.Gateway.Configuration;
using Meridian.Gateway.Snapshot;

namespace Meridian.Gateway.Backends;

/// <summary>
/// A backend that can say cheaply whether it is up (an HTTP upstream's model list). In-process backends have no
/// probe: they are up unless they failed recently, which passive outlier detection sees. Implementations are called
/// from one background loop, concurrently with requests, and must be thread-safe.
/// </summary>
internal interface IBackendProbe
{
    /// <summary>True when the backend answered at all, other than with a 5xx or 429; false when it did not.</summary>
    Task<bool> ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Active health checks: every <see cref="RoutingOptions.ProbeInterval"/>, each probe-able backend of the current
/// registry is asked whether it is up, all at once, each within <see cref="RoutingOptions.ProbeTimeout"/>.
/// <see cref="RoutingOptions.ProbeFailureThreshold"/> failures in a row mark a backend down; one success, up again.
/// </summary>
internal sealed partial class BackendProbes(GatewaySnapshotProvider snapshots, RoutingOptions options, TimeProvider time, ILogger<BackendProbes> logger)
    : BackgroundService
{
    /// <summary>Probes every probe-able backend once and records the answers.</summary>
    public async Task ProbeAllAsync(CancellationToken cancellationToken)
    {
        var backends = snapshots.Current.Backends.All
            .Where(b => b.Client is IBackendProbe)
            .DistinctBy(b => b.State)
            .ToList();
        var results = await Task.WhenAll(backends.Select(b => ProbeAsync((IBackendProbe)b.Client, cancellationToken)));
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            if (backend.State.Probed(results[i], options.ProbeFailureThreshold))
            {
                if (results[i])
                {
                    Log.ProbeUp(logger, backend.Id);
                }
                else
                {
                    Log.ProbeDown(logger, backend.Id);
                }
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.ProbeInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.ProbeInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ProbeAllAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.ProbeLoopFailed(logger, ex);
            }
        }
    }

    private async Task<bool> ProbeAsync(IBackendProbe probe, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ProbeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await probe.ProbeAsync(linked.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "Backend {BackendId} failed its health probes; not routing to it until it answers again")]
        public static partial void ProbeDown(ILogger logger, string backendId);

        [LoggerMessage(EventId = 1311, Level = LogLevel.Information, Message = "Backend {BackendId} answers its health probe again")]
        public static partial void ProbeUp(ILogger logger, string backendId);

        [LoggerMessage(EventId = 1312, Level = LogLevel.Warning, Message = "A round of backend health probes failed")]
        public static partial void ProbeLoopFailed(ILogger logger, Exception exception);
    }
}
