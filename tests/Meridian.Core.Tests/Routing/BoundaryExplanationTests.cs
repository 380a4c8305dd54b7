using Meridian.Core.Marketplace;
using Meridian.Core.World;

namespace Meridian.Core.Tests.Routing;

/// <summary>The boundary rule with its reasons: Explain agrees with Allows everywhere, and names the one fact that fails.</summary>
public sealed class BoundaryExplanationTests
{
    private static readonly Region[] Regions =
    [
        new("eastus", "us", "us", "East US"),
        new("westus", "us", "us", "West US"),
        new("swedencentral", "eu", "eu", "Sweden Central"),
        new("lonely", null, "xx", "No zone"),
    ];

    [Fact]
    public void Explain_is_none_exactly_when_the_boundary_allows()
    {
        var placements = Regions.Select(r => new BackendPlacement("p-" + r.Name, r.Name, r.DataZone, BackendPlacement.Platform))
            .Append(new BackendPlacement("pub-a", "France", "publisher", "pub_a"))
            .Append(new BackendPlacement("pub-b", "undeclared", "publisher", "pub_b"))
            .ToList();
        foreach (var region in Regions)
        {
            foreach (var hosting in Enum.GetValues<HostingOption>())
            {
                foreach (DeploymentType? type in new DeploymentType?[] { null, DeploymentType.Global, DeploymentType.DataZone, DeploymentType.Regional })
                {
                    var deployment = Deployment(region, hosting, type);
                    foreach (var placement in placements)
                    {
                        Assert.Equal(Boundary.Allows(deployment, placement), BoundaryExplanation.Explain(deployment, placement) == BoundaryRejection.None);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("eastus", DeploymentType.Regional, "westus", BoundaryRejection.WrongRegion, "wrong region (westus, not eastus)")]
    [InlineData("eastus", DeploymentType.DataZone, "swedencentral", BoundaryRejection.WrongZone, "wrong zone (eu, not us)")]
    [InlineData("lonely", DeploymentType.DataZone, "lonely", BoundaryRejection.WrongZone, "wrong zone (region lonely has no data zone)")]
    [InlineData("eastus", DeploymentType.Global, "westus", BoundaryRejection.None, "eligible")]
    public void Platform_rejections_name_the_region_or_zone(string resource, DeploymentType type, string backend, BoundaryRejection expected, string words)
    {
        var deployment = Deployment(Regions.Single(r => r.Name == resource), HostingOption.Platform, type);
        var region = Regions.Single(r => r.Name == backend);
        var placement = new BackendPlacement("b", region.Name, region.DataZone, BackendPlacement.Platform);

        var rejection = BoundaryExplanation.Explain(deployment, placement);

        Assert.Equal(expected, rejection);
        Assert.Equal(words, BoundaryExplanation.Describe(rejection, deployment, placement));
    }

    [Fact]
    public void Another_partys_backend_is_operated_by_another_party_both_ways()
    {
        var platformDeployment = Deployment(Regions[0], HostingOption.Platform, DeploymentType.Global);
        var publisherDeployment = Deployment(Regions[0], HostingOption.Publisher, null);
        var publisherBackend = new BackendPlacement("pub", "France", "publisher", "pub_b");
        var platformBackend = new BackendPlacement("east", "eastus", "us", BackendPlacement.Platform);

        Assert.Equal(BoundaryRejection.OperatedByAnotherParty, BoundaryExplanation.Explain(platformDeployment, publisherBackend));
        Assert.Equal(BoundaryRejection.OperatedByAnotherParty, BoundaryExplanation.Explain(publisherDeployment, platformBackend));
        Assert.Equal(BoundaryRejection.OperatedByAnotherParty, BoundaryExplanation.Explain(publisherDeployment, publisherBackend));
        Assert.Equal("operated by another party (pub_b, not the publisher pub_a)", BoundaryExplanation.Describe(BoundaryRejection.OperatedByAnotherParty, publisherDeployment, publisherBackend));
    }

    private static DeploymentRoute Deployment(Region region, HostingOption hosting, DeploymentType? type) =>
        new("dep", "dep", "ten", "res", "pub_a", "off", "m", 1024, hosting, type, region);
}
