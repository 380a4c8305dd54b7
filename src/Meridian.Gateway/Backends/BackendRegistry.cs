using System.Collections.Concurrent;
using Meridian.Core.Marketplace;
using Meridian.Protocol;

namespace Meridian.Gateway.Backends;

/// <summary>A backend as the router sees it: where it runs, who runs it, what kind it is, and the client for it.</summary>
/// <param name="Kind">"simulator", "anthropic", …: shown on receipts so a simulated answer is never mistaken for a model's.</param>
/// <param name="ProcessingLocation">What the receipt records as the processing region (a publisher's declared location, or "undeclared").</param>
/// <param name="Models">The model ids it serves; null means every model.</param>
public sealed record RegisteredBackend(
    BackendPlacement Placement,
    string Kind,
    string ProcessingLocation,
    IInferenceBackend Client,
    IReadOnlySet<string>? Models = null)
{
    /// <summary>Its mutable counters (health, load, latency); the same object across registry rebuilds.</summary>
    public BackendState State { get; init; } = new();

    /// <summary>Requests it takes at once (<c>max_in_flight</c>); null for no limit. At the limit it counts as overloaded.</summary>
    public int? MaxInFlight { get; init; }

    public string Id => Placement.BackendId;

    public bool Serves(string modelId) => Models is null || Models.Contains(modelId);

    /// <summary>Inside the deployment's boundary and able to serve its model.</summary>
    public bool IsEligibleFor(DeploymentRoute deployment) => Serves(deployment.ModelId) && Boundary.Allows(deployment, Placement);

    /// <summary>The dry run's and the fail-closed error's words for why this backend may not serve the deployment; null when it may.</summary>
    public string? RejectionFor(DeploymentRoute deployment)
    {
        var rejection = BoundaryExplanation.Explain(deployment, Placement);
        if (rejection != BoundaryRejection.None)
        {
            return BoundaryExplanation.Describe(rejection, deployment, Placement);
        }

        return Serves(deployment.ModelId) ? null : $"does not serve the model {deployment.ModelId}";
    }
}

/// <summary>
/// The backends a deployment may use, nearest first: the resource's own region, then its data zone, then the rest of
/// the boundary. The router balances within the nearest tier that has a usable backend, so data travels no further
/// than it must even when the boundary would allow more. Immutable.
/// </summary>
public sealed class EligibleSet
{
    public static EligibleSet Empty { get; } = new([], []);

    private EligibleSet(RegisteredBackend[] backends, int[] tierEnds)
    {
        Backends = backends;
        TierEnds = tierEnds;
    }

    /// <summary>Ordered by tier; within a tier, in registry order.</summary>
    public RegisteredBackend[] Backends { get; }

    /// <summary>The exclusive end index of each non-empty tier in <see cref="Backends"/>.</summary>
    public int[] TierEnds { get; }

    public int Count => Backends.Length;

    public static EligibleSet For(DeploymentRoute deployment, IReadOnlyList<RegisteredBackend> all)
    {
        var tiers = new List<RegisteredBackend>[3];
        for (var i = 0; i < tiers.Length; i++)
        {
            tiers[i] = [];
        }

        foreach (var backend in all)
        {
            if (!backend.IsEligibleFor(deployment))
            {
                continue;
            }

            var tier = string.Equals(backend.Placement.Region, deployment.ResourceRegion.Name, StringComparison.OrdinalIgnoreCase) ? 0
                : deployment.ResourceRegion.DataZone is { } zone && string.Equals(backend.Placement.DataZone, zone, StringComparison.OrdinalIgnoreCase) ? 1
                : 2;
            tiers[tier].Add(backend);
        }

        var backends = new List<RegisteredBackend>();
        var ends = new List<int>(3);
        foreach (var tier in tiers)
        {
            if (tier.Count > 0)
            {
                backends.AddRange(tier);
                ends.Add(backends.Count);
            }
        }

        return backends.Count == 0 ? Empty : new EligibleSet([.. backends], [.. ends]);
    }
}

/// <summary>
/// The backends this node may route to. Selection only ever considers backends inside the deployment's boundary;
/// when none is eligible the caller fails closed rather than spilling over. Immutable and thread-safe (its only
/// mutable part is a memo of eligible sets, which are themselves immutable). It does not own the clients:
/// <see cref="BackendCatalog"/> does, and shares them between successive registries.
/// </summary>
public sealed class BackendRegistry(IReadOnlyList<RegisteredBackend> backends)
{
    // Keyed by the snapshot's own DeploymentRoute instances, which live exactly as long as this registry. Bounded: a
    // caller passing ad-hoc deployments (the admin dry run) uses EligibleFor instead.
    private const int MaxMemoized = 100_000;
    private readonly ConcurrentDictionary<DeploymentRoute, EligibleSet> _eligible = new(ReferenceEqualityComparer.Instance);

    public IReadOnlyList<RegisteredBackend> All { get; } = backends;

    /// <summary>The eligible set, computed afresh (for one-off questions: the dry run, creation checks).</summary>
    public EligibleSet EligibleFor(DeploymentRoute deployment) => EligibleSet.For(deployment, All);

    /// <summary>What the backends inside a deployment's boundary can do together; none at all when nothing serves it.</summary>
    public BackendCapabilities CapabilitiesOf(DeploymentRoute deployment) =>
        Eligible(deployment).Backends.Aggregate(BackendCapabilities.None, (all, backend) => all.Union(backend.Client.Capabilities));

    /// <summary>The eligible set of a deployment of the routing snapshot, computed once per registry.</summary>
    public EligibleSet Eligible(DeploymentRoute deployment)
    {
        if (_eligible.TryGetValue(deployment, out var set))
        {
            return set;
        }

        set = EligibleSet.For(deployment, All);
        if (_eligible.Count < MaxMemoized)
        {
            _eligible.TryAdd(deployment, set);
        }

        return set;
    }
}
