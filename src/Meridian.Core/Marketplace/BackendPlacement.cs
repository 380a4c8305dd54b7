namespace Meridian.Core.Marketplace;

/// <summary>Where a backend runs and who operates it: the facts the boundary rule looks at.</summary>
/// <param name="OperatedBy">"platform", or the id of the publisher that runs it.</param>
/// <param name="DataZone">The backend region's data zone; null when the region has none.</param>
public sealed record BackendPlacement(string BackendId, string Region, string? DataZone, string OperatedBy)
{
    public const string Platform = "platform";
}

/// <summary>Where a request entered, relative to its deployment's boundary.</summary>
public enum IngressDecision
{
    /// <summary>Inside the boundary, or a deployment whose boundary sets no rule for ingress (Global, publisher-hosted).</summary>
    Inside,

    /// <summary>Outside the boundary, at a region the operator allowed for this deployment: served, and recorded as such.</summary>
    AllowedOutside,

    /// <summary>Outside the boundary: refused before the content is screened or sent anywhere.</summary>
    Refused,
}

/// <summary>The data boundary: may this backend process requests for this deployment, and may they enter where they did?</summary>
public static class Boundary
{
    /// <summary>
    /// Ingress is part of the boundary: a platform-hosted DataZone deployment takes its requests in only at nodes in its
    /// data zone, a Regional one only in its region, unless the operator allowed that ingress region for the deployment.
    /// Global deployments (any platform region) and publisher-hosted ones (the data leaves for the publisher anyway, as
    /// acknowledged) keep the rule of their processing: any ingress.
    /// </summary>
    public static IngressDecision Ingress(DeploymentRoute deployment, string ingressRegion, string? ingressDataZone)
    {
        if (deployment.Hosting == HostingOption.Publisher)
        {
            return IngressDecision.Inside;
        }

        var inside = deployment.Type switch
        {
            DeploymentType.DataZone => deployment.ResourceRegion.DataZone is { } zone && string.Equals(ingressDataZone, zone, StringComparison.OrdinalIgnoreCase),
            DeploymentType.Regional => string.Equals(ingressRegion, deployment.ResourceRegion.Name, StringComparison.OrdinalIgnoreCase),
            _ => true,
        };
        return inside ? IngressDecision.Inside
            : deployment.AllowedIngress.Contains(ingressRegion, StringComparer.OrdinalIgnoreCase) ? IngressDecision.AllowedOutside
            : IngressDecision.Refused;
    }

    /// <summary>The regions of the world at which the deployment's requests come in inside its boundary: where to call it.</summary>
    public static IEnumerable<string> IngressRegionsInside(DeploymentRoute deployment, World.WorldMap world) =>
        world.Regions.Where(r => Ingress(deployment, r.Name, r.DataZone) == IngressDecision.Inside).Select(r => r.Name);

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
