namespace Meridian.Core.Marketplace;

/// <summary>Where a backend runs and who operates it: the facts the boundary rule looks at.</summary>
/// <param name="OperatedBy">"platform", or the id of the publisher that runs it.</param>
public sealed record BackendPlacement(string BackendId, string Region, string DataZone, string OperatedBy)
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
            DeploymentType.DataZone => string.Equals(backend.DataZone, deployment.ResourceRegion.DataZone, StringComparison.OrdinalIgnoreCase),
            DeploymentType.Regional => string.Equals(backend.Region, deployment.ResourceRegion.Name, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }
}
