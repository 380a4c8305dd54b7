using System.Globalization;
using Meridian.Core.Receipts;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Records;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// <c>GET /admin/v1/tenants/{tenant}/boundary-report?from=&amp;to=</c>: per deployment, how many requests and what
/// became of each (processed, refused before routing, failed closed, blocked by a safeguard), where they were processed
/// (operator, region, zone), and any receipt showing processing or ingress outside the boundary or not proven the
/// operator's (not under a signed tree head of its receipt log, or, from before the log, its signature not verifying) — there should be none. Read from the receipts in every geography store (and those still queued), in constant memory per deployment.
/// </summary>
internal static class BoundaryReportHandlers
{
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(30);

    public static async Task<Results<Ok<BoundaryReportView>, ProblemHttpResult>> Get(
        HttpContext context, string tenant, MarketplaceStore store, GeographyStores geographies, RecordWriter writer, ReceiptSigner signer, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var access = caller.ReadTenant(tenant);
        var found = access == Core.Access.AccessDecision.Allowed ? await store.FindTenantAsync(tenant, context.RequestAborted) : null;
        if (TenantHandlers.Authorize(access, found, $"No tenant '{tenant}'.") is { } denied)
        {
            return denied;
        }

        if (!TryReadPeriod(context, time.GetUtcNow(), out var from, out var to, out var problem))
        {
            return problem!;
        }

        var builder = new BoundaryReportBuilder();
        var pending = writer.PendingFor(tenant, from, to);
        var pendingIds = new HashSet<string>(pending.Select(r => r.RequestId), StringComparer.Ordinal);
        foreach (var receipt in pending)
        {
            builder.Add(receipt);
        }

        var check = new StoredReceiptCheck(signer);
        foreach (var geography in geographies.All)
        {
            geography.ForEachForTenant(tenant, from, to, (receipt, leaf) =>
            {
                if (!pendingIds.Contains(receipt.RequestId))
                {
                    // Every stored receipt is checked against its log (or its own signature): one edited at rest is counted as a violation.
                    builder.Add(receipt, check.Authentic(geography, receipt, leaf));
                }
            });

            // Whoever opened a request's content later is counted with its deployment, each record checked like a receipt.
            foreach (var (deploymentId, record) in geography.Cases.AccessOfTenant(tenant, AccessRecords.ContentEvent, from, to))
            {
                builder.AddContentAccess(deploymentId, record.RequestId ?? record.CaseId, record.Who?.Organisation ?? record.Actor, check.Authentic(geography, record));
            }
        }

        return TypedResults.Ok(builder.Build(tenant, from, to));
    }

    /// <summary><c>from</c> and <c>to</c> as ISO 8601 times (default: the last 30 days up to now); <c>from</c> &lt; <c>to</c>.</summary>
    public static bool TryReadPeriod(HttpContext context, DateTimeOffset now, out DateTimeOffset from, out DateTimeOffset to, out ProblemHttpResult? problem)
    {
        problem = null;
        from = default;
        to = now;
        var query = context.Request.Query;
        if (query.TryGetValue("to", out var toText) && !TryParseTime(toText.ToString(), out to))
        {
            problem = AdminProblems.Validation("to", "must be an ISO 8601 time, such as 2026-11-01T00:00:00Z");
            return false;
        }

        from = to - DefaultPeriod;
        if (query.TryGetValue("from", out var fromText) && !TryParseTime(fromText.ToString(), out from))
        {
            problem = AdminProblems.Validation("from", "must be an ISO 8601 time, such as 2026-11-01T00:00:00Z");
            return false;
        }

        if (from >= to)
        {
            problem = AdminProblems.Validation("from", "must be before to");
            return false;
        }

        return true;
    }

    public static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
