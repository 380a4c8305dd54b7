using System.Security.Cryptography;
using System.Text.Json;
using Meridian.Core.Access;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Admin;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Records;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// The Trust &amp; Safety review API under <c>/admin/v1/cases</c> (docs/safeguards.md, "Review API"). The operator-admin sees
/// every case; a reviewer the cases assigned to its party (a publisher, a tenant or the operator, as recorded on the case)
/// in its geographies. A reviewer asking for an existing case outside that scope gets 403; a case id that exists nowhere
/// is 404; every other role gets 403. Opening a case decrypts its snapshot and writes an access record (who, when, which
/// case, why) to the geography's hash-chained access log in the same transaction; every entry becomes a leaf of this
/// node's receipt log before the answer leaves (<see cref="RecordWriter.LogAccessAsync"/>).
/// </summary>
internal static class CaseHandlers
{
    private const string Denied = "Only the operator and reviewers see Trust & Safety cases.";

    public static readonly IReadOnlyList<string> Decisions = ["no_violation", "violation"];
    public static readonly IReadOnlyList<string> Actions = ["none", "warn_tenant", "suspend_key", "suspend_deployment", "suspend_resource", "suspend_tenant"];

    /// <summary>Why a case is opened, in words a tenant may be shown (the free-text reason stays in the audit).</summary>
    public static readonly IReadOnlyList<string> OpenReasonCodes = ["triage", "escalation", "appeal", "legal_request", "quality_audit"];

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/cases", ListAsync);
        admin.MapGet("/cases/access-log/verify", Verify);
        admin.MapGet("/cases/{id}", GetAsync);
        admin.MapGet("/cases/{id}/access", AccessAsync);
        admin.MapPost("/cases/{id}/open", OpenAsync).WithBody<OpenCaseRequest>();
        admin.MapPost("/cases/{id}/decision", DecideAsync).WithBody<DecideCaseRequest>();
        admin.MapPost("/cases/{id}/escalate", EscalateAsync).WithBody<EscalateCaseRequest>();
    }

    /// <summary>
    /// <c>?status=open|decided&amp;geography=&amp;limit=&amp;cursor=</c>: the caller's queue, newest first, across the
    /// geographies it may see, one page at a time.
    /// </summary>
    public static async Task<Results<Ok<ListResponse<CaseView>>, ProblemHttpResult>> ListAsync(
        HttpContext context, GeographyStores stores, RecordWriter writer, MarketplaceStore marketplace, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.ReviewCases(out var scope) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(Denied);
        }

        if (ReadCaseFilters(context, stores, out var page, out var status, out var geography) is { } problem)
        {
            return problem;
        }

        if (geography is not null && scope is not null && !scope.Geographies.Contains(geography, StringComparer.OrdinalIgnoreCase))
        {
            return AdminProblems.Forbidden($"Geography '{geography}' is not one of your review geographies ({string.Join(", ", scope.Geographies)}).");
        }

        var query = new CaseQuery(page.Limit + 1)
        {
            ReviewedBy = scope?.ReviewedBy,
            PublisherId = scope?.ReviewedBy == ReviewedBy.Publisher ? scope.PublisherId : null,
            TenantId = scope?.ReviewedBy == ReviewedBy.Tenant ? scope.TenantId : null,
            Status = status,
            Before = page.After,
        };
        var visible = stores.All.Where(s => scope is null || scope.Geographies.Contains(s.Geography, StringComparer.OrdinalIgnoreCase));
        var found = PageAcross(visible, geography, query, page.Limit);
        await RecordViewsAsync(context, stores, writer, found.Items, caller, CaseStore.ViewedInList, time);
        var names = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var id in found.Items.Select(c => c.TenantId).Distinct(StringComparer.Ordinal))
        {
            names[id] = (await marketplace.FindTenantAsync(id, context.RequestAborted))?.Name;
        }

        return TypedResults.Ok(AdminRequest.List(found, c => CaseView.Of(c) with { TenantName = names[c.TenantId] }));
    }

    /// <summary>
    /// Writes a <c>view</c> entry per case shown into its geography's access log, and has them appended to the receipt
    /// log, before the answer leaves: every view of a case by the operator or a reviewer is on record, a queue page as
    /// much as one case (docs/safeguards.md, "Access log").
    /// </summary>
    internal static async Task RecordViewsAsync(
        HttpContext context, GeographyStores stores, RecordWriter writer, IReadOnlyList<CaseRecord> shown, AdminCaller caller, string reasonCode, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var who = AccessRecords.Of(caller);
        foreach (var inGeography in shown.GroupBy(c => c.Geography, StringComparer.OrdinalIgnoreCase))
        {
            stores.For(inGeography.Key).Cases.RecordViews([.. inGeography.Select(c => c.Id)], who, writer.LogIdFor(inGeography.Key), reasonCode, now);
            await writer.LogAccessAsync(inGeography.Key, context.RequestAborted);
        }
    }

    /// <summary>
    /// Reads the queue's <c>limit</c>, <c>cursor</c> (a case id, as the previous page returned it), <c>status</c> and
    /// <c>geography</c> (one of the world's geographies); a problem for any bad value.
    /// </summary>
    internal static ProblemHttpResult? ReadCaseFilters(HttpContext context, GeographyStores stores, out PageRequest page, out string? status, out string? geography)
    {
        status = null;
        geography = null;
        if (!AdminRequest.TryReadPage(context, out page, out var problem))
        {
            return problem;
        }

        if (page.After is { } after && !after.StartsWith("case_", StringComparison.Ordinal))
        {
            return AdminProblems.Validation("cursor", "is not a cursor this API returned");
        }

        var query = context.Request.Query;
        if (query["status"].ToString() is { Length: > 0 } statusText)
        {
            if (statusText is not (CaseStore.Open or CaseStore.Decided))
            {
                return AdminProblems.Validation("status", "must be open or decided");
            }

            status = statusText;
        }

        if (query["geography"].ToString() is { Length: > 0 } geographyText)
        {
            var known = stores.All.Select(s => s.Geography).Order(StringComparer.Ordinal).ToList();
            geography = known.FirstOrDefault(g => string.Equals(g, geographyText, StringComparison.OrdinalIgnoreCase));
            if (geography is null)
            {
                return AdminProblems.Validation("geography", $"must be a geography of this world: {string.Join(", ", known)}");
            }
        }

        return null;
    }

    /// <summary>
    /// One page across geography stores: each store returns its newest <c>limit + 1</c> matching cases before the cursor,
    /// and the merged page keeps the newest <c>limit</c>; there is a next page when more than that matched.
    /// </summary>
    internal static Page<CaseRecord> PageAcross(IEnumerable<ReceiptStore> stores, string? geography, CaseQuery query, int limit)
    {
        var merged = stores
            .Where(s => geography is null || string.Equals(s.Geography, geography, StringComparison.OrdinalIgnoreCase))
            .SelectMany(s => s.Cases.List(query))
            .OrderByDescending(c => c.Id, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        return merged.Count > limit ? new Page<CaseRecord>(merged[..limit], merged[limit - 1].Id) : new Page<CaseRecord>(merged, null);
    }

    public static async Task<Results<Ok<CaseView>, ProblemHttpResult>> GetAsync(
        HttpContext context, string id, GeographyStores stores, RecordWriter writer, MarketplaceStore marketplace, TimeProvider time)
    {
        if (Find(context, id, stores, out var found, out _) is { } denied)
        {
            return denied;
        }

        await RecordViewsAsync(context, stores, writer, [found!], AdminAuthentication.CallerOf(context), CaseStore.ViewedMetadata, time);
        return TypedResults.Ok(CaseView.Of(found!) with { TenantName = (await marketplace.FindTenantAsync(found!.TenantId, context.RequestAborted))?.Name });
    }

    /// <summary>
    /// The access events of one case (views, opens, decisions, lifts, purge), oldest first, as they stood when asked;
    /// this view itself is recorded after them (and shows in the next read).
    /// </summary>
    public static async Task<Results<Ok<ListResponse<AccessEventView>>, ProblemHttpResult>> AccessAsync(
        HttpContext context, string id, GeographyStores stores, RecordWriter writer, TimeProvider time)
    {
        if (Find(context, id, stores, out var found, out var store) is { } denied)
        {
            return denied;
        }

        var events = store!.Cases.AccessLog(id);
        await RecordViewsAsync(context, stores, writer, [found!], AdminAuthentication.CallerOf(context), CaseStore.ViewedAccessLog, time);
        return TypedResults.Ok(new ListResponse<AccessEventView>([.. events.Select(AccessEventView.Of)], null));
    }

    /// <summary>
    /// Decrypts and returns the snapshot. The access record is written in the transaction that reads the snapshot, and
    /// appended to the receipt log (a leaf under a signed tree head) before the content leaves: the content is never
    /// served without its record on the request's receipt.
    /// </summary>
    public static async Task<Results<Ok<OpenCaseResponse>, ProblemHttpResult>> OpenAsync(
        HttpContext context, string id, GeographyStores stores, RecordWriter writer, CaseKeyRing keys, TimeProvider time)
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

        var (reason, reasonCode, errors) = AccessReason.Read(body!.Reason, body.ReasonCode, OpenReasonCodes, "why you open this case", "the access log");
        if (!errors.IsEmpty)
        {
            return AdminProblems.Validation(errors);
        }

        if (found!.Retention == RetentionMode.None)
        {
            return AdminProblems.Conflict($"Case '{id}' has no content: its deployment's retention mode was 'none', so only its metadata was recorded.");
        }

        var caller = AdminAuthentication.CallerOf(context);
        var (content, access) = store!.Cases.OpenSnapshot(id, AccessRecords.Of(caller), writer.LogIdFor(found.Geography), reasonCode, reason, time.GetUtcNow());
        if (content is null)
        {
            return AdminProblems.Conflict($"The snapshot of case '{id}' was purged at the end of its retention period; its metadata and decision remain.");
        }

        await writer.LogAccessAsync(found.Geography, context.RequestAborted);

        byte[] plaintext;
        try
        {
            plaintext = keys.Open(found!.Geography, id, content.Snapshot, content.WrappedKey);
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
    /// Decides an open case. Every decision carries a rationale, and is accepted only from a reviewer who opened the case's
    /// content, or who records why they decide without opening it (there is nothing to open when none was retained or it
    /// was purged): 400 without a rationale, 409 when neither holds (docs/safeguards.md, "Deciding"). A <c>suspend_*</c> action records a suspension of the case's key (and its successors), its
    /// deployment's name, its resource or its tenant (<see cref="MarketplaceStore.Suspend"/>); it takes effect on the data
    /// plane at once on this node (every node within its snapshot refresh), is audited in the control store, and stands
    /// until a lifting decision (<see cref="SuspensionHandlers"/>). A resource or tenant is suspended only by the operator.
    /// </summary>
    public static async Task<Results<Ok<CaseView>, ProblemHttpResult>> DecideAsync(
        HttpContext context, string id, GeographyStores stores, RecordWriter writer, MarketplaceStore market, TimeProvider time)
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

        var rationale = body.Rationale?.Trim();
        if (rationale is not { Length: > 0 and <= AccessReason.MaxChars })
        {
            return AdminProblems.Validation("rationale", $"is required: why you decide as you do (1 to {AccessReason.MaxChars} characters); it is stored with the decision and in the access log");
        }

        var notOpenedReason = body.NotOpenedReason?.Trim();
        if (notOpenedReason is { Length: 0 or > AccessReason.MaxChars })
        {
            return AdminProblems.Validation("not_opened_reason", $"when given, must say why you decide without opening the content (1 to {AccessReason.MaxChars} characters)");
        }

        if (found!.Status != CaseStore.Open)
        {
            return AdminProblems.Conflict($"Case '{id}' was already decided ({found.Decision}, {found.DecisionAction}).");
        }

        var caller = AdminAuthentication.CallerOf(context);
        var content = !found.HasSnapshot ? CaseStore.ContentUnavailable
            : store!.Cases.HasOpened(id, caller.Actor) ? CaseStore.ContentOpened
            : notOpenedReason is not null ? CaseStore.ContentNotOpened
            : null;
        if (content is null)
        {
            return AdminProblems.Conflict(
                $"You have not opened the content of case '{id}'. Open it first (POST /admin/v1/cases/{id}/open), or decide without opening it by giving not_opened_reason: why you do not need to see it.");
        }

        var party = caller.DecidingParty!.Value; // Find admitted only the operator-admin and reviewers
        SuspensionDraft? draft = action switch
        {
            "suspend_key" => new(SuspensionScope.Key, found.KeyId, id, party),
            "suspend_deployment" => new(SuspensionScope.Deployment, found.DeploymentId, id, party),
            "suspend_resource" => new(SuspensionScope.Resource, found.ResourceId, id, party),
            "suspend_tenant" => new(SuspensionScope.Tenant, found.TenantId, id, party),
            _ => null,
        };
        if (draft?.Scope is SuspensionScope.Resource or SuspensionScope.Tenant && caller.SuspendResourceOrTenant() != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(
                $"Only the operator's Trust & Safety may {action.Replace('_', ' ')}: it stops the tenant's use of every publisher's offers. Suspend the key or the deployment, or escalate to the operator.");
        }

        var now = time.GetUtcNow();
        if (draft is not null && market.Suspend(caller.Actor, draft, now) is { Succeeded: false } refused)
        {
            return AdminProblems.From(refused);
        }

        var recorded = new CaseDecisionDraft(decision, action, rationale, content, content == CaseStore.ContentNotOpened ? notOpenedReason : null);
        if (store!.Cases.Decide(id, recorded, AccessRecords.Of(caller), writer.LogIdFor(found.Geography), now) is not { } decided)
        {
            return AdminProblems.Conflict($"Case '{id}' was already decided.");
        }

        await writer.LogAccessAsync(found.Geography, context.RequestAborted);
        return TypedResults.Ok(CaseView.Of(decided));
    }

    /// <summary>
    /// Escalates an open case as urgent: it sorts first in every queue that shows it, and the case records who escalated it,
    /// why, and who was told — the live tokens that review it besides the caller: the operator-admins, the operator's
    /// reviewers of its geography, and the reviewers of its own party there. 409 when it is decided or escalated already.
    /// </summary>
    public static async Task<Results<Ok<CaseView>, ProblemHttpResult>> EscalateAsync(
        HttpContext context, string id, GeographyStores stores, RecordWriter writer, AdminTokenStore tokens, TimeProvider time)
    {
        if (Find(context, id, stores, out var found, out var store) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, CaseJsonContext.Default.EscalateCaseRequest);
        if (problem is not null)
        {
            return problem;
        }

        var reason = body!.Reason?.Trim();
        if (reason is not { Length: > 0 and <= AccessReason.MaxChars })
        {
            return AdminProblems.Validation("reason", $"is required: why this case is urgent (1 to {AccessReason.MaxChars} characters); the people told read it");
        }

        if (found!.Status != CaseStore.Open)
        {
            return AdminProblems.Conflict($"Case '{id}' was already decided ({found.Decision}, {found.DecisionAction}); only an open case is escalated.");
        }

        if (found.Escalation is { } earlier)
        {
            return AdminProblems.Conflict($"Case '{id}' was already escalated by {earlier.ByName} at {ControlStore.FormatTime(earlier.At)}.");
        }

        var caller = AdminAuthentication.CallerOf(context);
        var told = ReviewersOf(found, tokens).Where(t => t.Id != caller.Actor).ToList();
        if (store!.Cases.Escalate(id, reason, told, AccessRecords.Of(caller), writer.LogIdFor(found.Geography), time.GetUtcNow()) is not { } escalated)
        {
            return AdminProblems.Conflict($"Case '{id}' was decided or escalated meanwhile.");
        }

        await writer.LogAccessAsync(found.Geography, context.RequestAborted);
        return TypedResults.Ok(CaseView.Of(escalated));
    }

    /// <summary>The live tokens that may review this case, the operator's first.</summary>
    private static IEnumerable<CasePerson> ReviewersOf(CaseRecord c, AdminTokenStore tokens)
    {
        var reviewers = new List<AdminToken>();
        var page = new PageRequest(AdminRequest.MaxLimit, null);
        while (true)
        {
            var found = tokens.List(null, page);
            reviewers.AddRange(found.Items.Where(t => t.RevokedAt is null));
            if (found.NextAfter is null)
            {
                break;
            }

            page = page with { After = found.NextAfter };
        }

        return reviewers
            .Select(t => (Token: t, Caller: new AdminCaller(t.Id, t.Name, t.Role, t.TenantId, t.PublisherId, t.Geographies)))
            .Where(x => x.Caller.ReviewCase(c.ReviewedBy, c.PublisherId, c.TenantId, c.Geography) == AccessDecision.Allowed
                || (x.Caller.ReviewerFor == ReviewedBy.Operator && x.Caller.Geographies.Contains(c.Geography, StringComparer.OrdinalIgnoreCase)))
            .OrderBy(x => x.Caller.DecidingParty == ReviewedBy.Operator ? 0 : 1)
            .ThenBy(x => x.Token.Name, StringComparer.Ordinal)
            .Select(x => new CasePerson(x.Token.Actor, x.Token.Name));
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
        if (caller.ReviewCases(out _) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(Denied);
        }

        if (FindAnywhere(id, stores, out var record, out var holder) is { } missing)
        {
            return missing;
        }

        if (caller.ReviewCase(record!.ReviewedBy, record.PublisherId, record.TenantId, record.Geography) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden($"Case '{id}' is outside your review scope: it is assigned to other reviewers (another publisher, tenant or the operator) or lies outside your geographies.");
        }

        found = record;
        store = holder;
        return null;
    }

    /// <summary>The case with this id in whichever geography store holds it; 404 when none does.</summary>
    internal static ProblemHttpResult? FindAnywhere(string id, GeographyStores stores, out CaseRecord? found, out ReceiptStore? store)
    {
        foreach (var candidate in stores.All)
        {
            if (candidate.Cases.Find(id) is { } record)
            {
                found = record;
                store = candidate;
                return null;
            }
        }

        found = null;
        store = null;
        return AdminProblems.NotFound($"No case '{id}'.");
    }
}
