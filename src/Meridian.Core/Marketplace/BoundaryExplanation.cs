namespace Meridian.Core.Marketplace;

/// <summary>Why a backend may not process a deployment's requests: the one fact of its placement that fails the boundary.</summary>
public enum BoundaryRejection
{
    /// <summary>Inside the boundary.</summary>
    None,

    /// <summary>Run by someone other than the party the hosting option names (the platform, or the deployment's publisher).</summary>
    OperatedByAnotherParty,

    /// <summary>A regional deployment, and the backend is in another region.</summary>
    WrongRegion,

    /// <summary>A data zone deployment, and the backend is in another zone (or the resource's region has none).</summary>
    WrongZone,
}

/// <summary>
/// The boundary rule of <see cref="Boundary.Allows"/>, with its reason: used to explain a dry run and a fail-closed
/// error. <c>Explain(d, b) == None</c> exactly when <c>Allows(d, b)</c> (a property test holds the two together).
/// </summary>
public static class BoundaryExplanation
{
    public static BoundaryRejection Explain(DeploymentRoute deployment, BackendPlacement backend)
    {
        if (Boundary.Allows(deployment, backend))
        {
            return BoundaryRejection.None;
        }

        if (deployment.Hosting == HostingOption.Publisher
            || !string.Equals(backend.OperatedBy, BackendPlacement.Platform, StringComparison.Ordinal))
        {
            return BoundaryRejection.OperatedByAnotherParty;
        }

        return deployment.Type == DeploymentType.Regional ? BoundaryRejection.WrongRegion : BoundaryRejection.WrongZone;
    }

    /// <summary>The wire name: <c>operated_by_another_party</c>, <c>wrong_region</c>, <c>wrong_zone</c>.</summary>
    public static string WireName(BoundaryRejection rejection) => rejection switch
    {
        BoundaryRejection.OperatedByAnotherParty => "operated_by_another_party",
        BoundaryRejection.WrongRegion => "wrong_region",
        BoundaryRejection.WrongZone => "wrong_zone",
        _ => "eligible",
    };

    /// <summary>Whether a wire reason (<see cref="WireName"/>) says the backend is outside the boundary.</summary>
    public static bool IsBoundaryReason(string reason) => reason is "operated_by_another_party" or "wrong_region" or "wrong_zone";

    /// <summary>In words, naming only regions, zones and parties: <c>wrong zone (eu, not us)</c>.</summary>
    public static string Describe(BoundaryRejection rejection, DeploymentRoute deployment, BackendPlacement backend) => rejection switch
    {
        BoundaryRejection.OperatedByAnotherParty => deployment.Hosting == HostingOption.Publisher
            ? $"operated by another party ({backend.OperatedBy}, not the publisher {deployment.PublisherId})"
            : $"operated by another party (publisher {backend.OperatedBy}, not the platform)",
        BoundaryRejection.WrongRegion => $"wrong region ({backend.Region}, not {deployment.ResourceRegion.Name})",
        BoundaryRejection.WrongZone => deployment.ResourceRegion.DataZone is { } zone
            ? $"wrong zone ({(string.IsNullOrEmpty(backend.DataZone) ? "none" : backend.DataZone)}, not {zone})"
            : $"wrong zone (region {deployment.ResourceRegion.Name} has no data zone)",
        _ => "eligible",
    };

    /// <summary>Where the deployment's requests may be processed, in words a receipt can be checked against.</summary>
    public static string DescribeBoundary(DeploymentRoute deployment) => DescribeBoundary(
        deployment.Hosting, deployment.Type, deployment.ResourceRegion.Name, deployment.ResourceRegion.DataZone, deployment.PublisherId);

    /// <summary>Where a deployment's requests may be processed, in words a receipt can be checked against.</summary>
    public static string DescribeBoundary(HostingOption hosting, DeploymentType? type, string resourceRegion, string? resourceZone, string publisherId) =>
        (hosting, type) switch
        {
            (HostingOption.Publisher, _) => $"publisher {publisherId}'s infrastructure",
            (_, DeploymentType.Regional) => $"region {resourceRegion}",
            (_, DeploymentType.DataZone) => $"data zone {resourceZone ?? "(none)"}",
            _ => "any platform region",
        };
}
