using System.Globalization;
using System.Text.Json.Serialization;
using Meridian.Core.Billing;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DashboardView))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;

/// <summary>
/// <c>GET /admin/v1/dashboard?hours=&amp;tenant=&amp;deployment=&amp;backend=</c> (operator only): the fleet's traffic per hour
/// and by tenant, deployment and backend, from the geography stores every node writes (docs/admin-api.md, "Operator
/// dashboard"). Counts come from the receipts — every request has one, refusals included; the cost from the usage
/// ledger's hourly aggregates, priced by the offer's price in effect in each hour.
/// </summary>
internal static class DashboardHandlers
{
    public const int DefaultHours = 24;
    public const int MaxHours = 24 * 31;

    public static async Task<Results<Ok<DashboardView>, ProblemHttpResult>> Get(HttpContext context, GeographyStores stores, MarketplaceStore market, TimeProvider time)
    {
        if (AccessProblems.Check(AdminAuthentication.CallerOf(context).OperatorOnly(), string.Empty, "Only an operator-admin sees the fleet's dashboard.") is { } denied)
        {
            return denied;
        }

        var query = context.Request.Query;
        var hours = DefaultHours;
        if (query["hours"].ToString() is { Length: > 0 } hoursText
            && (!int.TryParse(hoursText, NumberStyles.None, CultureInfo.InvariantCulture, out hours) || hours is < 1 or > MaxHours))
        {
            return AdminProblems.Validation("hours", $"must be a whole number of hours from 1 to {MaxHours}");
        }

        var filters = new DashboardFilters(Filter(query["tenant"]), Filter(query["deployment"]), Filter(query["backend"]));
        var now = time.GetUtcNow();
        var to = Hours.Floor(now).AddHours(1);
        var from = to.AddHours(-hours);

        var traffic = stores.All.SelectMany(s => s.TrafficByHour(from, to))
            .Where(t => Matches(filters.Tenant, t.TenantId) && Matches(filters.Deployment, t.DeploymentId) && Matches(filters.Backend, t.Backend))
            .ToList();
        var costs = Costs(stores, market, from, to, filters);

        var tenantNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in traffic.Select(t => t.TenantId).Distinct(StringComparer.Ordinal))
        {
            tenantNames[id] = (await market.FindTenantAsync(id, context.RequestAborted))?.Name ?? id;
        }

        // Grouped once: a month of hours against every row per hour would be hours × rows.
        var trafficByHour = traffic.ToLookup(t => t.Hour);
        var costByHour = costs.ToLookup(c => c.Hour);
        var costByTenant = costs.ToLookup(c => c.Tenant, StringComparer.Ordinal);
        var costByDeployment = costs.ToLookup(c => c.Deployment, StringComparer.Ordinal);
        var hourly = Enumerable.Range(0, hours).Select(i => from.AddHours(i)).ToList();
        return TypedResults.Ok(new DashboardView(
            from, to, now, BillingHandlers.Currency, filters, filters.Backend is null,
            View("total", "All traffic", traffic, costs.Sum(c => c.Cost)),
            [.. hourly.Select(h => View(Stamp(h), Stamp(h), trafficByHour[h], costByHour[h].Sum(c => c.Cost)))],
            [
                .. traffic.GroupBy(t => t.TenantId, StringComparer.Ordinal)
                    .Select(g => View(g.Key, tenantNames[g.Key], g, costByTenant[g.Key].Sum(c => c.Cost)))
                    .OrderByDescending(v => v.Requests).ThenBy(v => v.Key, StringComparer.Ordinal),
            ],
            [
                .. traffic.GroupBy(t => t.DeploymentId, StringComparer.Ordinal)
                    .Select(g => View(g.Key, g.Select(t => t.DeploymentName).FirstOrDefault(n => n.Length > 0) ?? g.Key, g,
                        costByDeployment[g.Key].Sum(c => c.Cost)))
                    .OrderByDescending(v => v.Requests).ThenBy(v => v.Key, StringComparer.Ordinal),
            ],
            [
                .. traffic.GroupBy(t => t.Backend, StringComparer.Ordinal)
                    .Select(g => View(g.Key, g.Key, g, null))
                    .OrderByDescending(v => v.Requests).ThenBy(v => v.Key, StringComparer.Ordinal),
            ]));
    }

    private static string? Filter(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } text ? text : null;

    private static bool Matches(string? filter, string value) => filter is null || string.Equals(filter, value, StringComparison.Ordinal);

    private static string Stamp(DateTimeOffset hour) => hour.UtcDateTime.ToString("yyyy-MM-dd'T'HH':00:00Z'", CultureInfo.InvariantCulture);

    private static TrafficView View(string key, string name, IEnumerable<HourlyTraffic> rows, decimal? cost)
    {
        long requests = 0, input = 0, output = 0, tokens = 0, errors = 0, limited = 0, blocked = 0, failClosed = 0;
        foreach (var t in rows)
        {
            requests += t.Requests;
            input += t.Tokens.Input;
            output += t.Tokens.Output;
            tokens += t.Tokens.Input + t.Tokens.Output + t.Tokens.CacheWrite + t.Tokens.CacheRead;
            errors += t.Errors;
            limited += t.RateLimited;
            blocked += t.Blocked;
            failClosed += t.FailClosed;
        }

        return new TrafficView(key, name, requests, input, output, tokens, cost is { } c ? Money.Format(c) : null, errors, limited, blocked, failClosed);
    }

    private readonly record struct HourCost(DateTimeOffset Hour, string Tenant, string Deployment, decimal Cost);

    /// <summary>Each hourly aggregate of the ledger in range, priced at its offer's price for its tenant in effect at the hour.</summary>
    private static List<HourCost> Costs(GeographyStores stores, MarketplaceStore market, DateTimeOffset from, DateTimeOffset to, DashboardFilters filters)
    {
        var schedules = new Dictionary<(string, string), PriceSchedule?>();
        var costs = new List<HourCost>();
        foreach (var usage in stores.All.SelectMany(s => s.Ledger.Hourly(new UsageQuery(from, to, TenantId: filters.Tenant))))
        {
            if (!Matches(filters.Deployment, usage.DeploymentId))
            {
                continue;
            }

            if (!schedules.TryGetValue((usage.TenantId, usage.OfferId), out var schedule))
            {
                schedule = schedules[(usage.TenantId, usage.OfferId)] = market.PriceSchedule(usage.TenantId, usage.OfferId);
            }

            if (schedule is not null)
            {
                costs.Add(new HourCost(usage.Hour, usage.TenantId, usage.DeploymentId, usage.Tokens.CostAt(schedule.At(usage.Hour).Prices)));
            }
        }

        return costs;
    }
}
