using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Gateway.Hosting;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// The Trust &amp; Safety settings that may change after creation (docs/safeguards.md, "Who reviews" and "Retention modes"):
/// a deployment's <c>reviewed_by</c>, <c>retention_mode</c> and the operator's retention exemption, and an offer's
/// <c>requires_retention</c>. Every change is audited with the object before and after, and reloads this node's routing
/// snapshot so the data plane applies it to the next request.
/// </summary>
public static class ReviewSettingsHandlers
{
    private const string ManageDenied = "Only a tenant-admin or an operator-admin may change a deployment's review settings.";

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPatch("/deployments/{id}", UpdateDeployment).WithBody<UpdateDeploymentRequest>();
        admin.MapPut("/offers/{id}/retention", SetOfferRetention).WithBody<OfferRetentionRequest>();
    }

    /// <summary>
    /// <c>PATCH /deployments/{id}</c>: the operator-admin and the owning tenant's admins switch who reviews and the retention
    /// mode; only the operator-admin grants (<c>true</c>) or revokes (<c>false</c>) the retention exemption.
    /// </summary>
    public static async Task<Results<Ok<DeploymentView>, ProblemHttpResult>> UpdateDeployment(
        HttpContext context, string id, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = store.FindDeployment(id);
        if (TenantHandlers.Authorize(caller.ManageTenant(found?.TenantId ?? string.Empty), found, $"No deployment '{id}'.", ManageDenied) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.UpdateDeploymentRequest);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        ReviewedBy? reviewedBy = null;
        if (body!.ReviewedBy is { } reviewedByText)
        {
            reviewedBy = CaseReview.TryParse(reviewedByText, out ReviewedBy parsed) ? parsed : null;
            if (reviewedBy is null)
            {
                errors.Add("reviewed_by", $"must be one of {string.Join(", ", CaseReview.ReviewerNames)}");
            }
        }

        RetentionMode? retention = null;
        if (body.RetentionMode is { } retentionText)
        {
            retention = CaseReview.TryParse(retentionText, out RetentionMode parsed) ? parsed : null;
            if (retention is null)
            {
                errors.Add("retention_mode", $"must be one of {string.Join(", ", CaseReview.RetentionNames)}");
            }
        }

        if (body is { ReviewedBy: null, RetentionMode: null, RetentionExemption: null })
        {
            errors.Add("body", "give at least one of reviewed_by, retention_mode, retention_exemption");
        }

        if (!errors.IsEmpty)
        {
            return AdminProblems.Validation(errors);
        }

        // Exempting a deployment from an offer's retention requirement overrides the publisher's terms: the operator's call alone.
        if (body.RetentionExemption is not null && !caller.IsOperator)
        {
            return AdminProblems.Forbidden("Only an operator-admin grants or revokes a retention exemption.");
        }

        var result = store.UpdateDeploymentReview(caller.Actor, id, new DeploymentReviewChange(reviewedBy, retention, body.RetentionExemption), time.GetUtcNow());
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        return TypedResults.Ok(AdminViews.Deployment(result.Value!, store.StandingSuspensions(), caller));
    }

    /// <summary>
    /// <c>PUT /offers/{id}/retention</c>: the operator-admin or the offer's publisher-admin; honours <c>If-Match</c>. Binds
    /// new subscribers at once and existing ones after the operator's notice period (<see cref="GatewayOptions.TermsNotice"/>).
    /// </summary>
    public static async Task<Results<Ok<OfferView>, ProblemHttpResult>> SetOfferRetention(
        HttpContext context, string id, MarketplaceStore store, TimeProvider time, GatewayOptions options)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (OfferHandlers.Authorize(caller, id, store, time.GetUtcNow()) is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadIfMatch(context, out var ifMatch, out var badIfMatch))
        {
            return badIfMatch!;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.OfferRetentionRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.RequiresRetention is not { } requiresRetention)
        {
            return AdminProblems.Validation("requires_retention", "is required: true or false");
        }

        var result = store.SetOfferRequiresRetention(caller.Actor, id, requiresRetention, ifMatch.Version, time.GetUtcNow(), options.TermsNotice);
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        AdminRequest.SetETag(context, result.Value!.Version);
        return TypedResults.Ok(AdminViews.Offer(result.Value));
    }
}
