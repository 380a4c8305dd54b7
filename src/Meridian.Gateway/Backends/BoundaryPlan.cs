using Meridian.Core.Marketplace;

namespace Meridian.Gateway.Backends;

/// <summary>One backend in a deployment's plan: may it serve the deployment, why not, and how it stands right now.</summary>
/// <param name="Reasons">Wire names: <c>wrong_region</c>, <c>wrong_zone</c>, <c>operated_by_another_party</c>, <c>does_not_serve_model</c>, <c>unhealthy</c>, <c>overloaded</c>.</param>
/// <param name="Why">The same in words, naming regions, zones and parties only.</param>
internal sealed record PlannedBackend(
    string Id,
    string Kind,
    string Region,
    string? DataZone,
    string OperatedBy,
    bool Eligible,
    bool UsableNow,
    IReadOnlyList<string> Reasons,
    string Why,
    string Health);

/// <summary>A model of the offer this boundary cannot reach although some backend serves it elsewhere.</summary>
internal sealed record LostFeature(string Feature, string ModelId, IReadOnlyList<string> AvailableIn, string Description);

/// <summary>
/// A deployment's boundary compiled into its allowed target set: every backend of the registry, eligible or not and
/// why, plus what the boundary costs (models the offer has that only backends outside it serve). Pure: the admin dry
/// run and the creation check build it from the current registry.
/// </summary>
internal sealed record BoundaryPlan(string Boundary, IReadOnlyList<PlannedBackend> Backends, IReadOnlyList<LostFeature> FeaturesLost)
{
    public int EligibleCount => Backends.Count(b => b.Eligible);

    public int UsableCount => Backends.Count(b => b.UsableNow);

    /// <summary>
    /// The plan as a tenant may see it: only the backends inside the deployment's boundary. The operator's fleet
    /// outside it (other regions, other publishers' infrastructure) is none of the tenant's business.
    /// </summary>
    public BoundaryPlan InsideBoundaryOnly() =>
        this with { Backends = [.. Backends.Where(b => !b.Reasons.Any(BoundaryExplanation.IsBoundaryReason))] };

    public static BoundaryPlan For(DeploymentRoute deployment, BackendRegistry registry, IEnumerable<string> offerModels, DateTimeOffset now)
    {
        var backends = registry.All.Select(b => Plan(b, deployment, now)).ToList();
        var lost = new List<LostFeature>();
        foreach (var model in offerModels.Distinct(StringComparer.Ordinal))
        {
            var candidate = deployment with { ModelId = model };
            if (registry.All.Any(b => b.IsEligibleFor(candidate)))
            {
                continue;
            }

            // Served somewhere by the kind of party this hosting option uses, but never inside this boundary.
            var elsewhere = registry.All
                .Where(b => b.Serves(model) && SameOperatorClass(deployment, b.Placement))
                .Select(b => b.ProcessingLocation)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (elsewhere.Count > 0)
            {
                lost.Add(new LostFeature(
                    "model", model, elsewhere,
                    $"model {model} is served only outside this boundary (in {string.Join(", ", elsewhere)})"));
            }
        }

        return new BoundaryPlan(BoundaryExplanation.DescribeBoundary(deployment), backends, lost);
    }

    private static PlannedBackend Plan(RegisteredBackend backend, DeploymentRoute deployment, DateTimeOffset now)
    {
        var reasons = new List<string>(2);
        var words = new List<string>(2);
        var rejection = BoundaryExplanation.Explain(deployment, backend.Placement);
        if (rejection != BoundaryRejection.None)
        {
            reasons.Add(BoundaryExplanation.WireName(rejection));
            words.Add(BoundaryExplanation.Describe(rejection, deployment, backend.Placement));
        }

        if (!backend.Serves(deployment.ModelId))
        {
            reasons.Add("does_not_serve_model");
            words.Add($"does not serve the model {deployment.ModelId}");
        }

        var eligible = reasons.Count == 0;
        var condition = backend.State.ConditionAt(now, backend.MaxInFlight);
        if (condition != BackendCondition.Healthy)
        {
            reasons.Add(condition == BackendCondition.Overloaded ? "overloaded" : "unhealthy");
            words.Add(BoundaryRouter.Describe(condition));
        }

        return new PlannedBackend(
            backend.Id, backend.Kind, backend.ProcessingLocation, backend.Placement.DataZone, backend.Placement.OperatedBy,
            eligible, eligible && condition == BackendCondition.Healthy, reasons,
            words.Count == 0 ? "eligible" : string.Join("; ", words),
            BoundaryRouter.Describe(condition));
    }

    private static bool SameOperatorClass(DeploymentRoute deployment, BackendPlacement placement) =>
        deployment.Hosting == HostingOption.Publisher
            ? string.Equals(placement.OperatedBy, deployment.PublisherId, StringComparison.Ordinal)
            : string.Equals(placement.OperatedBy, BackendPlacement.Platform, StringComparison.Ordinal);
}
