using System.Text.Json.Serialization;
using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Core.Validation;
using Meridian.Gateway.Backends;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// The boundary check of deployment creation (docs/admin-api.md, "Dry run"): a deployment whose boundary holds no
/// backend that serves its model is refused at creation, and <c>?dry_run=true</c> shows the compiled target set without
/// creating anything. Uses the node's current backend registry; health is shown but never refuses a creation.
/// </summary>
internal static class DeploymentPlanning
{
    public const string DryRunParameter = "dry_run";

    public static bool IsDryRun(HttpContext context, out ProblemHttpResult? problem)
    {
        problem = null;
        if (!context.Request.Query.TryGetValue(DryRunParameter, out var values))
        {
            return false;
        }

        switch (values.ToString().ToLowerInvariant())
        {
            case "true" or "1" or "":
                return true;
            case "false" or "0":
                return false;
            default:
                problem = AdminProblems.Validation(DryRunParameter, "must be true or false");
                return false;
        }
    }

    /// <summary>
    /// Validates the draft as creation would and compiles its boundary. Returns a problem when the draft is refused
    /// (field errors, including an empty target set), else the plan.
    /// </summary>
    /// <param name="operatorView">Whether the caller is the operator, who sees every backend; anyone else sees only those inside the boundary.</param>
    public static async Task<(DeploymentPlanView? Plan, ProblemHttpResult? Problem)> EvaluateAsync(
        Resource resource, DeploymentDraft draft, MarketplaceStore store, BackendRegistry registry, DateTimeOffset now, bool dryRun,
        IReadOnlyCollection<string> safeguardPolicies, bool operatorView, CancellationToken cancellationToken)
    {
        var offer = string.IsNullOrEmpty(draft.OfferId) ? null : store.FindOffer(draft.OfferId, now);
        var subscription = offer is null ? null : await FindSubscriptionAsync(store, resource.TenantId, offer.Id, cancellationToken);
        var decision = DeploymentRules.Validate(draft, offer, subscription, resource.Region, safeguardPolicies);
        if (decision.Verdict == DeploymentVerdict.TermsNotAccepted)
        {
            return (null, AdminProblems.TermsNotAccepted(decision.Message!));
        }

        if (decision.Verdict == DeploymentVerdict.Invalid || offer is null)
        {
            return (null, AdminProblems.Validation(decision.Errors));
        }

        var valid = decision.Deployment!;
        var route = new DeploymentRoute(
            "(new)", valid.Name, resource.TenantId, resource.Id, offer.PublisherId, offer.Id, valid.ModelId,
            offer.FindModel(valid.ModelId)?.MaxOutputTokens ?? 0, valid.Hosting, valid.Type, resource.Region);
        var plan = BoundaryPlan.For(route, registry, offer.Models.Select(m => m.ModelId), now);
        if (!operatorView)
        {
            plan = plan.InsideBoundaryOnly();
        }

        var refusal = plan.EligibleCount == 0 ? Refusal(route, plan) : null;
        if (refusal is not null && !dryRun)
        {
            var field = valid.Hosting == HostingOption.Publisher ? "hosting_option" : "deployment_type";
            return (null, AdminProblems.Validation(FieldErrors.Of(field, refusal),
                "No backend inside this deployment's boundary serves its model; it was not created. Try ?dry_run=true to see each backend and why."));
        }

        return (View(route, resource, plan, refusal), null);
    }

    private static string Refusal(DeploymentRoute route, BoundaryPlan plan)
    {
        var why = plan.Backends.Count == 0
            ? "none is inside it"
            : string.Join("; ", plan.Backends.Select(b => $"{b.Id}: {b.Why}"));
        return $"no backend inside the boundary ({plan.Boundary}) serves model {route.ModelId}: {why}";
    }

    private static DeploymentPlanView View(DeploymentRoute route, Resource resource, BoundaryPlan plan, string? refusal) => new(
        DryRun: true,
        WouldCreate: refusal is null,
        RefusedBecause: refusal,
        ResourceId: resource.Id,
        Region: resource.Region.Name,
        DataZone: resource.Region.DataZone,
        Geography: resource.Region.Geography,
        ModelId: route.ModelId,
        HostingOption: WireNames.Of(route.Hosting),
        DeploymentType: route.Type is { } type ? WireNames.Of(type) : null,
        Boundary: plan.Boundary,
        EligibleCount: plan.EligibleCount,
        UsableNow: plan.UsableCount,
        Backends: [.. plan.Backends.Select(b => new PlannedBackendView(b.Id, b.Kind, b.Region, b.DataZone, b.OperatedBy, b.Eligible, b.UsableNow, b.Reasons, b.Why, b.Health))],
        FeaturesLost: [.. plan.FeaturesLost.Select(f => new LostFeatureView(f.Feature, f.ModelId, f.AvailableIn, f.Description))]);

    private static async Task<Subscription?> FindSubscriptionAsync(MarketplaceStore store, string tenantId, string offerId, CancellationToken cancellationToken)
    {
        string? after = null;
        do
        {
            var page = await store.SubscriptionsAsync(tenantId, new PageRequest(AdminRequest.MaxLimit, after), cancellationToken);
            if (page.Items.FirstOrDefault(s => s.OfferId == offerId) is { } found)
            {
                return found;
            }

            after = page.NextAfter;
        }
        while (after is not null);

        return null;
    }
}

/// <summary>Source-generated metadata for the routing and compliance shapes of the admin API (same options as <see cref="AdminJsonContext"/>).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    MaxDepth = 32)]
[JsonSerializable(typeof(DeploymentPlanView))]
[JsonSerializable(typeof(BoundaryReportView))]
[JsonSerializable(typeof(BackendListView))]
[JsonSerializable(typeof(Operations.LiveMetricsView))]
internal sealed partial class RoutingAdminJsonContext : JsonSerializerContext;
