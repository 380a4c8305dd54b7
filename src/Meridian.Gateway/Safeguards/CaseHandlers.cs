using System.Security.Cryptography;
using System.Text.Json;
using Meridian.Core.Access;
using Meridian.Gateway.Admin;
using Meridian.Gateway.Routing;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// The Trust &amp; Safety review API under <c>/admin/v1/cases</c> (docs/safeguards.md, "Review"). The operator sees every
/// case; a reviewer only its publisher's cases in its geographies — any other case answers 404 exactly like a missing
/// one (as other tenants' objects do); every other role gets 403. Opening a case decrypts its snapshot and writes an
/// access record (who, when, which case, why) to the geography's hash-chained access log in the same transaction.
/// </summary>
public static class CaseHandlers
{
    private const string Denied = "Only the operator and reviewers see Trust & Safety cases.";
    private const int MaxReasonChars = 500;

    public static readonly IReadOnlyList<string> Decisions = ["no_violation", "violation"];
    public static readonly IReadOnlyList<string> Actions = ["none", "warn_tenant", "suspend_key", "suspend_deployment"];

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/cases", List);
        admin.MapGet("/cases/access-log/verify", Verify);
        admin.MapGet("/cases/{id}", Get);
        admin.MapGet("/cases/{id}/access", Access);
        admin.MapPost("/cases/{id}/open", OpenAsync).WithBody<OpenCaseRequest>();
        admin.MapPost("/cases/{id}/decision", DecideAsync).WithBody<DecideCaseRequest>();
    }

    /// <summary><c>?status=open|decided&amp;limit=</c>, newest first, across the geographies the caller may see.</summary>
    public static Results<Ok<ListResponse<CaseView>>, ProblemHttpResult> List(HttpContext context, GeographyStores stores)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.ReviewCases(out var publisher, out var geographies) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(Denied);
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var status = context.Request.Query["status"].ToString();
        if (status.Length > 0 && status is not (CaseStore.Open or CaseStore.Decided))
        {
            return AdminProblems.Validation("status", "must be open or decided");
        }

        var cases = stores.All
            .Where(s => geographies is null || geographies.Contains(s.Geography, StringComparer.OrdinalIgnoreCase))
            .SelectMany(s => s.Cases.List(publisher, status.Length == 0 ? null : status, page.Limit))
            .OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id, StringComparer.Ordinal)
            .Take(page.Limit)
            .Select(CaseView.Of)
            .ToList();
        return TypedResults.Ok(new ListResponse<CaseView>(cases, null));
    }

    public static Results<Ok<CaseView>, ProblemHttpResult> Get(HttpContext context, string id, GeographyStores stores) =>
        Find(context, id, stores, out var found, out _) is { } denied ? denied : TypedResults.Ok(CaseView.Of(found!));

    /// <summary>The access events of one case (views, decisions, purge), oldest first.</summary>
    public static Results<Ok<ListResponse<AccessEventView>>, ProblemHttpResult> Access(HttpContext context, string id, GeographyStores stores) =>
        Find(context, id, stores, out _, out var store) is { } denied
            ? denied
            : TypedResults.Ok(new ListResponse<AccessEventView>([.. store!.Cases.AccessLog(id).Select(AccessEventView.Of)], null));

    /// <summary>Decrypts and returns the snapshot; the access record is written before the content leaves the store.</summary>
    public static async Task<Results<Ok<OpenCaseResponse>, ProblemHttpResult>> OpenAsync(
        HttpContext context, string id, GeographyStores stores, CaseKeyRing keys, TimeProvider time)
    {
        if (Find(context, id, stores, out var found, out var store) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, CaseJsonContext.Default.OpenCaseRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Reason?.Trim() is not { Length: > 0 and <= MaxReasonChars } reason)
        {
            return AdminProblems.Validation("reason", $"is required: why you open this case (1 to {MaxReasonChars} characters); it goes into the access log");
        }

        var caller = AdminAuthentication.CallerOf(context);
        var (sealedSnapshot, access) = store!.Cases.OpenSnapshot(id, caller.Actor, reason, time.GetUtcNow());
        if (sealedSnapshot is null)
        {
            return AdminProblems.Conflict($"The snapshot of case '{id}' was purged at the end of its retention period; its metadata and decision remain.");
        }

        byte[] plaintext;
        try
        {
            plaintext = keys.Open(found!.Geography, id, sealedSnapshot);
        }
        catch (CryptographicException)
        {
            return AdminProblems.Internal($"The snapshot of case '{id}' does not decrypt with the key of geography '{found!.Geography}'.");
        }

        try
        {
            using var document = JsonDocument.Parse(plaintext);
            return TypedResults.Ok(new OpenCaseResponse(CaseView.Of(found), document.RootElement.Clone(), AccessEventView.Of(access!)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// Decides an open case. <c>suspend_key</c> and <c>suspend_deployment</c> take effect on the data plane at once on this
    /// node (every node within its snapshot refresh); the suspension is audited in the control store.
    /// </summary>
    public static async Task<Results<Ok<CaseView>, ProblemHttpResult>> DecideAsync(
        HttpContext context, string id, GeographyStores stores, MarketplaceStore market, RoutingSnapshotProvider snapshots, TimeProvider time)
    {
        if (Find(context, id, stores, out var found, out var store) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, CaseJsonContext.Default.DecideCaseRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Decision is not { } decision || !Decisions.Contains(decision))
        {
            return AdminProblems.Validation("decision", $"must be one of {string.Join(", ", Decisions)}");
        }

        var action = body.Action ?? "none";
        if (!Actions.Contains(action))
        {
            return AdminProblems.Validation("action", $"must be one of {string.Join(", ", Actions)}");
        }

        if (decision == "no_violation" && action != "none")
        {
            return AdminProblems.Validation("action", "must be none when the decision is no_violation");
        }

        if (found!.Status != CaseStore.Open)
        {
            return AdminProblems.Conflict($"Case '{id}' was already decided ({found.Decision}, {found.DecisionAction}).");
        }

        var caller = AdminAuthentication.CallerOf(context);
        var now = time.GetUtcNow();
        var suspended = action switch
        {
            "suspend_key" => market.SuspendKey(caller.Actor, found.KeyId, id, now),
            "suspend_deployment" => market.SuspendDeployment(caller.Actor, found.DeploymentId, id, now),
            _ => null,
        };
        if (suspended is { Succeeded: false })
        {
            return AdminProblems.From(suspended);
        }

        if (suspended is not null)
        {
            snapshots.Reload();
        }

        return store!.Cases.Decide(id, decision, action, caller.Actor, now) is { } decided
            ? TypedResults.Ok(CaseView.Of(decided))
            : AdminProblems.Conflict($"Case '{id}' was already decided.");
    }

    /// <summary><c>?geography=</c>: recomputes the geography's access-log chain (operator only).</summary>
    public static Results<Ok<AccessLogVerificationView>, ProblemHttpResult> Verify(HttpContext context, GeographyStores stores)
    {
        if (AdminAuthentication.CallerOf(context).OperatorOnly() != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden("Only the operator verifies the access logs.");
        }

        var geography = context.Request.Query["geography"].ToString();
        var store = stores.All.FirstOrDefault(s => string.Equals(s.Geography, geography, StringComparison.OrdinalIgnoreCase));
        if (store is null)
        {
            return AdminProblems.Validation("geography", "must name a geography of this world");
        }

        var result = store.Cases.VerifyAccessLog();
        return TypedResults.Ok(new AccessLogVerificationView(store.Geography, result.Valid, result.Entries, result.BrokenAt, result.Head));
    }

    private static ProblemHttpResult? Find(HttpContext context, string id, GeographyStores stores, out CaseRecord? found, out ReceiptStore? store)
    {
        found = null;
        store = null;
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.ReviewCases(out _, out _) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(Denied);
        }

        foreach (var candidate in stores.All)
        {
            if (candidate.Cases.Find(id) is { } record)
            {
                found = record;
                store = candidate;
                break;
            }
        }

        var missing = $"No case '{id}'.";
        if (found is null || caller.ReviewCase(found.PublisherId, found.Geography) != AccessDecision.Allowed)
        {
            found = null;
            store = null;
            return AdminProblems.NotFound(missing);
        }

        return null;
    }
}
