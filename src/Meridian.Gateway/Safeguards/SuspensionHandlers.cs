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
/// Trust &amp; Safety suspensions under <c>/admin/v1/suspensions</c> (docs/safeguards.md, "Suspensions"): the standing and
/// lifted ones, and the decision that lifts one. Lifting needs a reason and a role allowed to make it
/// (<see cref="AdminCaller.LiftSuspension"/>); it is written to the case's access log, then lifted in the control store
/// with its audit record, and the data plane serves the covered keys and deployments again on the next request.
/// </summary>
internal static class SuspensionHandlers
{
    private const string Denied = "Only the operator and Trust & Safety reviewers see and lift suspensions.";

    /// <summary>Why a suspension is lifted, in words the tenant may be shown (the free-text reason stays with the operator and reviewers).</summary>
    public static readonly IReadOnlyList<string> LiftReasonCodes = ["appeal", "remediated", "decided_in_error"];

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/suspensions", List);
        admin.MapGet("/suspensions/{id}", Get);
        admin.MapPost("/suspensions/{id}/lift", LiftAsync).WithBody<LiftSuspensionRequest>();
    }

    /// <summary>
    /// <c>?status=standing|lifted&amp;tenant=&amp;case_id=&amp;limit=&amp;cursor=</c>: newest first. The operator-admin sees
    /// every suspension; a reviewer those on cases it may review or suspensions it may lift, so a page can hold fewer than
    /// <c>limit</c> items while <c>next_cursor</c> still leads on.
    /// </summary>
    public static Results<Ok<ListResponse<SuspensionView>>, ProblemHttpResult> List(
        HttpContext context, MarketplaceStore market, GeographyStores stores, AdminTokenStore tokens)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.ReviewCases(out _) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(Denied);
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var query = context.Request.Query;
        var status = query["status"].ToString();
        if (status is not ("" or "standing" or "lifted"))
        {
            return AdminProblems.Validation("status", "must be standing or lifted");
        }

        var filter = new SuspensionFilter(
            status switch { "standing" => true, "lifted" => false, _ => null },
            query["tenant"].ToString() is { Length: > 0 } tenant ? tenant : null,
            query["case_id"].ToString() is { Length: > 0 } caseId ? caseId : null);
        var found = market.Suspensions(filter, page);
        var visible = found.Items.Where(s => Visible(caller, s, stores)).ToList();
        var names = ActorNames.For(tokens, visible.SelectMany(s => new[] { s.SuspendedBy, s.Lift?.LiftedBy }));
        return TypedResults.Ok(AdminRequest.List(new Page<Suspension>(visible, found.NextAfter), s => AdminViews.Suspension(s, caller, names)));
    }

    public static Results<Ok<SuspensionView>, ProblemHttpResult> Get(HttpContext context, string id, MarketplaceStore market, GeographyStores stores, AdminTokenStore tokens)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.ReviewCases(out _) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(Denied);
        }

        if (market.FindSuspension(id) is not { } suspension)
        {
            return AdminProblems.NotFound($"No suspension '{id}'.");
        }

        return Visible(caller, suspension, stores)
            ? TypedResults.Ok(AdminViews.Suspension(suspension, caller, ActorNames.For(tokens, [suspension.SuspendedBy, suspension.Lift?.LiftedBy])))
            : AdminProblems.Forbidden($"Suspension '{id}' is outside your review scope: its case is assigned to other reviewers or lies outside your geographies.");
    }

    /// <summary>
    /// Lifts a standing suspension: 400 without a reason, 403 for a role that may not, 409 when already lifted. The access
    /// record is committed before the lift, so a failure between the two leaves the suspension standing, never lifted
    /// without its record (a retry records the lift again).
    /// </summary>
    public static async Task<Results<Ok<SuspensionView>, ProblemHttpResult>> LiftAsync(
        HttpContext context, string id, MarketplaceStore market, GeographyStores stores, AdminTokenStore tokens, RecordWriter writer, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.ReviewCases(out _) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden("Only the operator and Trust & Safety reviewers lift suspensions; a tenant cannot lift its own.");
        }

        if (market.FindSuspension(id) is not { } suspension)
        {
            return AdminProblems.NotFound($"No suspension '{id}'.");
        }

        if (CaseHandlers.FindAnywhere(suspension.CaseId, stores, out var found, out var store) is { } missing)
        {
            return missing;
        }

        if (caller.LiftSuspension(suspension.Party, found!.ReviewedBy, found.PublisherId, found.TenantId, found.Geography) != AccessDecision.Allowed)
        {
            return AdminProblems.Forbidden(
                $"Suspension '{id}' was decided by the {CaseReview.Of(suspension.Party)}'s Trust & Safety: only its reviewers in the case's geography, or the operator, may lift it.");
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.LiftSuspensionRequest);
        if (problem is not null)
        {
            return problem;
        }

        var (reason, reasonCode, errors) = AccessReason.Read(
            body!.Reason, body.ReasonCode, LiftReasonCodes, "why the suspension is lifted", "the case's access log and the audit log");
        if (!errors.IsEmpty)
        {
            return AdminProblems.Validation(errors);
        }

        if (suspension.Lift is { } earlier)
        {
            return AdminProblems.Conflict($"Suspension '{id}' was already lifted at {earlier.LiftedAt:O}.");
        }

        var now = time.GetUtcNow();
        store!.Cases.RecordLift(suspension.CaseId, AccessRecords.Of(caller), writer.LogIdFor(found.Geography), reasonCode, reason, now);
        await writer.LogAccessAsync(found.Geography, context.RequestAborted);
        var lifted = market.LiftSuspension(caller.Actor, id, reasonCode, reason, now);
        return lifted.Succeeded
            ? TypedResults.Ok(AdminViews.Suspension(lifted.Value!, caller, ActorNames.For(tokens, [lifted.Value!.SuspendedBy, caller.Actor])))
            : AdminProblems.From(lifted);
    }

    /// <summary>The operator-admin sees all; a reviewer a suspension on a case it may review, or one it may lift.</summary>
    private static bool Visible(AdminCaller caller, Suspension suspension, GeographyStores stores)
    {
        if (caller.IsOperator)
        {
            return true;
        }

        return CaseHandlers.FindAnywhere(suspension.CaseId, stores, out var found, out _) is null
            && (caller.ReviewCase(found!.ReviewedBy, found.PublisherId, found.TenantId, found.Geography) == AccessDecision.Allowed
                || caller.LiftSuspension(suspension.Party, found.ReviewedBy, found.PublisherId, found.TenantId, found.Geography) == AccessDecision.Allowed);
    }
}
