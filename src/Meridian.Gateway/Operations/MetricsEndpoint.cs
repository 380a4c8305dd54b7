namespace Meridian.Gateway.Operations;

/// <summary>
/// The Prometheus scrape endpoint, <c>GET /metrics</c> on <c>--metrics-port</c> only: the data-plane port does not
/// serve it (metrics name tenants' deployments), and the metrics port serves nothing else.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void MapMetricsPort(this WebApplication app, int port)
    {
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Connection.LocalPort == port && context.Request.Path == Path);
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort != port)
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
    }
}
