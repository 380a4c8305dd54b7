namespace Meridian.Core.Marketplace;

/// <summary>Where a backend runs and who operates it: the facts the boundary rule looks at.</summary>
/// <param name="OperatedBy">"platform", or the id of the publisher that runs it.</param>
/// <param name="DataZone">The backend region's data zone; null when the region has none.</param>
public sealed record BackendPlacement(string BackendId, string Region, string? DataZone, string OperatedBy)
{
    public const string Platform = "platform";
}

/// <summary>The data boundary: may this backend process requests for this deployment?</summary>
public static class Boundary
{
    public static bool Allows(DeploymentRoute deployment, BackendPlacement backend)
    {
        if (deployment.Hosting == HostingOption.Publisher)
        {
            return string.Equals(backend.OperatedBy, deployment.PublisherId, StringComparison.Ordinal);
        }

        if (!string.Equals(backend.OperatedBy, BackendPlacement.Platform, StringComparison.Ordinal))
        {
            return false;
        }

        return deployment.Type switch
        {
            DeploymentType.Global => true,
            // A resource region without a zone has no DataZone boundary at all (creation refuses it); never match null to null.
            DeploymentType.DataZone => deployment.ResourceRegion.DataZone is { } zone
                && string.Equals(backend.DataZone, zone, StringComparison.OrdinalIgnoreCase),
            DeploymentType.Regional => string.Equals(backend.Region, deployment.ResourceRegion.Name, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }
}
