using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meridian.Gateway.Operations;

/// <summary>
/// Liveness and readiness for load balancers and orchestrators (README, "Operating Meridian"):
/// <c>GET /healthz</c> answers 200 while the process serves HTTP at all (it runs no check: a store or backend outage
/// is no reason to restart a node); <c>GET /readyz</c> runs every check tagged <see cref="ReadyTag"/> and answers 200
/// when all are healthy or degraded, 503 when one is unhealthy (starting, draining, a store down).
/// </summary>
internal static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services, bool redis, TimeSpan unreadyBeforeStop)
    {
        services.AddSingleton(provider => new NodeLifecycle(
            provider.GetRequiredService<IHostApplicationLifetime>(), unreadyBeforeStop, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<NodeLifecycle>());
        string[] ready = [ReadyTag];
        var checks = services.AddHealthChecks()
            .AddCheck<LifecycleHealthCheck>("lifecycle", tags: ready)
            .AddCheck<StoresHealthCheck>("stores", HealthStatus.Unhealthy, ready, TimeSpan.FromSeconds(5))
            .AddCheck<BackendsHealthCheck>("backends", tags: ready)
            .AddCheck<RecordWritersHealthCheck>("record_writers", tags: ready);
        if (redis)
        {
            checks.AddCheck<RedisHealthCheck>("redis", tags: ready);
        }

        return services;
    }

    public static void MapGatewayHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
    }

    /// <summary><c>{"status":"degraded","checks":{"redis":{"status":"degraded","description":"…","data":{…}}}}</c></summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", Name(report.Status));
        json.WriteNumber("duration_ms", Math.Round(report.TotalDuration.TotalMilliseconds, 2));
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", Name(entry.Status));
            if (entry.Description is { } description)
            {
                json.WriteString("description", description);
            }
            else if (entry.Exception is { } exception)
            {
                // The type only: an exception's message may carry a connection string.
                json.WriteString("description", exception.GetType().Name);
            }

            if (entry.Data.Count > 0)
            {
                json.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    json.WritePropertyName(key);
                    WriteValue(json, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, object value)
    {
        switch (value)
        {
            case int i:
                json.WriteNumberValue(i);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case IEnumerable<string> strings:
                json.WriteStartArray();
                foreach (var s in strings)
                {
                    json.WriteStringValue(s);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    public static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}
