using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Core.World;

namespace Meridian.Core.Tests.World;

public sealed class WorldRulesTests
{
    [Fact]
    public void A_region_may_have_no_data_zone()
    {
        var errors = new FieldErrors();
        var region = WorldRules.ValidateRegion(WorldMap.Default, "edge", new RegionDraft("eu", null, "Edge"), errors);
        Assert.True(errors.IsEmpty, errors.ToString());
        Assert.Null(region!.DataZone);
    }

    [Fact]
    public void A_data_zone_lies_in_one_geography()
    {
        var errors = new FieldErrors();
        Assert.Null(WorldRules.ValidateRegion(WorldMap.Default, "oddball", new RegionDraft("us", "eu", "Odd"), errors));
        Assert.True(errors.Has("data_zone"));
    }

    [Theory]
    [InlineData("Upper", "eu", "name")]
    [InlineData("ok", "EU!", "geography")]
    [InlineData("ok", null, "geography")]
    public void Place_names_are_lower_case_identifiers(string name, string? geography, string field)
    {
        var errors = new FieldErrors();
        WorldRules.ValidateRegion(WorldMap.Default, name, new RegionDraft(geography, null, "Display"), errors);
        Assert.True(errors.Has(field), errors.ToString());
    }

    [Fact]
    public void Moving_zone_or_geography_moves_data_but_renaming_does_not()
    {
        var region = new Region("r", "eu", "eu", "R");
        Assert.False(WorldRules.MovesData(region, region with { DisplayName = "Renamed" }));
        Assert.True(WorldRules.MovesData(region, region with { DataZone = null }));
        Assert.True(WorldRules.MovesData(region, region with { Geography = "us" }));
    }

    [Fact]
    public void A_datazone_boundary_never_matches_missing_zones()
    {
        var deployment = new DeploymentRoute("d", "n", "t", "r", "p", "o", "m", 100, HostingOption.Platform, DeploymentType.DataZone, new Region("edge", null, "eu", "Edge"));
        Assert.False(Boundary.Allows(deployment, new BackendPlacement("b", "other-edge", null, BackendPlacement.Platform)));
    }
}
