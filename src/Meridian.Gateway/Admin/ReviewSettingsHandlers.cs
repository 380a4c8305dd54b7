using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Gateway.Configuration;
using Meridian.Storage.Control;
using Meridian.Safeguards.Policies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Meridian.Gateway.Admin;

/// <summary>
/// The Trust &amp; Safety settings that may change after creation (docs/safeguards.md, "Who reviews" and "Retention modes"):
/// a deployment's <c>reviewed_by</c>, <c>retention_mode</c> and the operator's retention exemption, and an offer's
/// <c>requires_retention</c>. Every change is audited with the object before and after, and reloads this node's routing
/// snapshot so the data plane applies it to the next request.
/// </summary>
internal static class ReviewSettingsHandlers
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
        HttpContext context, string id, MarketplaceStore store, TimeProvider time, [FromServices] SafeguardPolicySet policies,
        [FromServices] SafeguardsOptions safeguards)
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

        if (body is { ReviewedBy: null, RetentionMode: null, RetentionExemption: null, SafeguardPolicy: null, Safeguards.ValueKind: JsonValueKind.Undefined })
        {
            errors.Add("body", "give at least one of reviewed_by, retention_mode, retention_exemption, safeguard_policy, safeguards");
        }

        var (policy, settings) = ReadSafeguards(body, found!, policies, errors);
        if (!errors.IsEmpty)
        {
            return AdminProblems.Validation(errors);
        }

        // A tenant may tighten its deployment's screening, never loosen what the policy its publisher and operator rely on does.
        if (!caller.IsOperator && (settings?.Parsed ?? ParsedOf(found!.SafeguardSettings)) is { } tightening
            && tightening.Loosened(policy ?? policies.Default) is { Count: > 0 } loosened)
        {
            return AdminProblems.Forbidden($"Only an operator-admin may loosen a deployment's safeguards below its policy '{policy?.Name}': {string.Join(", ", loosened)}.");
        }

        // The operator's retention period is what its storage and its promises to publishers are sized for: a tenant may keep
        // content for a shorter time, never a longer one.
        if (!caller.IsOperator && settings?.Parsed.RetentionDays is { } days && TimeSpan.FromDays(days) > safeguards.Retention)
        {
            return AdminProblems.Forbidden(
                $"Only an operator-admin may keep flagged content longer than this gateway's retention period of {safeguards.Retention.TotalDays:0.##} days (safeguards.retention_days: {days}).");
        }

        // Exempting a deployment from an offer's retention requirement overrides the publisher's terms: the operator's call alone.
        if (body.RetentionExemption is not null && !caller.IsOperator)
        {
            return AdminProblems.Forbidden("Only an operator-admin grants or revokes a retention exemption.");
        }

        var change = new DeploymentReviewChange(reviewedBy, retention, body.RetentionExemption)
        {
            SafeguardPolicy = body.SafeguardPolicy,
            SafeguardSettings = settings is null ? null : new SafeguardSettingsChange(settings.Json),
        };
        var result = store.UpdateDeploymentReview(caller.Actor, id, change, time.GetUtcNow());
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        return TypedResults.Ok(AdminViews.Deployment(result.Value!, await store.StandingSuspensionsAsync(context.RequestAborted), caller));
    }

    /// <summary>
    /// Reads <c>safeguard_policy</c> (a name this node knows) and <c>safeguards</c> (validated whole, every error naming its
    /// path); returns the policy the deployment will screen with and the settings to store (null: unchanged).
    /// </summary>
    private static (SafeguardPolicy? Policy, ParsedSettings? Settings) ReadSafeguards(
        UpdateDeploymentRequest body, Deployment deployment, SafeguardPolicySet policies, FieldErrors errors)
    {
        var name = body.SafeguardPolicy ?? deployment.SafeguardPolicy;
        if (!policies.TryGet(name, out var policy))
        {
            errors.Add("safeguard_policy", $"must be a policy this gateway knows: {string.Join(", ", policies.Names.Order(StringComparer.Ordinal))}");
        }

        switch (body.Safeguards.ValueKind)
        {
            case JsonValueKind.Undefined:
                return (policy, null);
            case JsonValueKind.Null:
                return (policy, new ParsedSettings(null, DeploymentSafeguards.None));
            default:
                if (!DeploymentSafeguards.TryParse(body.Safeguards, out var parsed, out var field, out var error))
                {
                    errors.Add(field ?? "safeguards", error!);
                    return (policy, null);
                }

                return (policy, new ParsedSettings(parsed.IsEmpty ? null : body.Safeguards.GetRawText(), parsed));
        }
    }

    private static DeploymentSafeguards? ParsedOf(string? json) =>
        json is not null && DeploymentSafeguards.TryParse(json, out var parsed, out _, out _) ? parsed : null;

    private sealed record ParsedSettings(string? Json, DeploymentSafeguards Parsed);

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
