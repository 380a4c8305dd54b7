using Meridian.Gateway.Operations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// <c>GET /admin/v1/metrics</c> (operator only): this node's <c>Meridian.Gateway</c> metrics as JSON, for the portal's
/// live view. The same instruments as the Prometheus endpoint and OTLP, collected from the first read until five
/// minutes after the last (<see cref="LiveMetrics"/>); tags name deployments, models and backends, never content.
/// </summary>
internal static class MetricsHandlers
{
    internal static Results<Ok<LiveMetricsView>, ProblemHttpResult> Get(HttpContext context, LiveMetrics metrics)
    {
        if (AccessProblems.Check(AdminAuthentication.CallerOf(context).OperatorOnly(), string.Empty, "Only an operator-admin sees the node's metrics.") is { } denied)
        {
            return denied;
        }

        return TypedResults.Ok(metrics.Read());
    }
}
