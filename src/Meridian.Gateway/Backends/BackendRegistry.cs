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
    public bool Serves(string modelId) => Models is null || Models.Contains(modelId);

    /// <summary>Inside the deployment's boundary and able to serve its model.</summary>
    public bool IsEligibleFor(DeploymentRoute deployment) => Serves(deployment.ModelId) && Boundary.Allows(deployment, Placement);
}

/// <summary>
/// The backends this node may route to. Selection only ever considers backends inside the deployment's boundary;
/// when none is eligible the caller fails closed rather than spilling over. Immutable and thread-safe. It does not own
/// the clients: <see cref="BackendCatalog"/> does, and shares them between successive registries.
/// </summary>
public sealed class BackendRegistry(IReadOnlyList<RegisteredBackend> backends)
{
    public IReadOnlyList<RegisteredBackend> All { get; } = backends;

    public IEnumerable<RegisteredBackend> EligibleFor(DeploymentRoute deployment) =>
        All.Where(b => b.IsEligibleFor(deployment));

    /// <summary>
    /// Prefers a backend in the resource's own region, then its data zone, then any eligible one, so data travels
    /// no further than it must even when the boundary would allow more.
    /// </summary>
    public RegisteredBackend? Select(DeploymentRoute deployment)
    {
        RegisteredBackend? sameZone = null;
        RegisteredBackend? any = null;
        foreach (var backend in All)
        {
            if (!backend.IsEligibleFor(deployment))
            {
                continue;
            }

            if (string.Equals(backend.Placement.Region, deployment.ResourceRegion.Name, StringComparison.OrdinalIgnoreCase))
            {
                return backend;
            }

            if (sameZone is null && string.Equals(backend.Placement.DataZone, deployment.ResourceRegion.DataZone, StringComparison.OrdinalIgnoreCase))
            {
                sameZone = backend;
            }

            any ??= backend;
        }

        return sameZone ?? any;
    }
}
