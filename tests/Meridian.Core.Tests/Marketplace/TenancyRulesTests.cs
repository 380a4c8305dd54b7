using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Core.World;

namespace Meridian.Core.Tests.Marketplace;

public sealed class TenancyRulesTests
{
    [Fact]
    public void An_unknown_region_is_named()
    {
        var errors = new FieldErrors();
        Assert.Null(TenancyRules.ValidateResource(WorldMap.Default, "app", "atlantis", errors));
        Assert.True(errors.Has("region"));
    }

    [Fact]
    public void A_resource_is_pinned_to_its_region_zone_and_geography()
    {
        var errors = new FieldErrors();
        var region = TenancyRules.ValidateResource(WorldMap.Default, "app", "SwedenCentral", errors);
        Assert.Equal(new Region("swedencentral", "eu", "eu", "Sweden Central"), region);
    }

    [Fact]
    public void Only_the_current_terms_version_can_be_accepted()
    {
        var offer = new Offer("off_1", "pub_1", "f", [HostingOption.Platform], [DeploymentType.Global], new Prices(1, 1, 1, 1),
            [new OfferModel("m", "M", 10, 1)], new TermsVersion(3, "h", DateTimeOffset.UnixEpoch), 1, DateTimeOffset.UnixEpoch);
        var errors = new FieldErrors();
        TenancyRules.ValidateAcceptance(offer, "off_1", 2, errors);
        Assert.True(errors.Has("accept_terms_version"));

        errors = new FieldErrors();
        TenancyRules.ValidateAcceptance(offer, "off_1", 3, errors);
        Assert.True(errors.IsEmpty);

        errors = new FieldErrors();
        TenancyRules.ValidateAcceptance(null, "off_x", 1, errors);
        Assert.True(errors.Has("offer_id"));
    }

    [Fact]
    public void Tenants_and_publishers_need_contacts()
    {
        var errors = new FieldErrors();
        TenancyRules.ValidateTenant(new TenantDraft("Acme", null, "not-an-email"), errors);
        Assert.True(errors.Has("billing_contact.name"));
        Assert.True(errors.Has("billing_contact.email"));

        errors = new FieldErrors();
        TenancyRules.ValidatePublisher(new PublisherDraft("P", "p@p.example", [new PublisherEndpointDraft("ftp://x", null), new PublisherEndpointDraft("https://ok.example", "\n")]), errors);
        Assert.True(errors.Has("endpoints[0].url"));
        Assert.True(errors.Has("endpoints[1].declared_location"));
    }

    [Theory]
    [InlineData("ok name", true)]
    [InlineData(" leading", false)]
    [InlineData("tab\tinside", false)]
    [InlineData("emoji 🚀 fine", true)]
    public void Display_names_are_clean_text(string name, bool valid) => Assert.Equal(valid, Names.IsDisplayName(name));

    [Fact]
    public void A_lone_surrogate_is_not_text()
    {
        // Built at run time: attribute arguments cannot carry a lone surrogate (metadata would replace it).
        Assert.False(Names.IsDisplayName("lone " + '\ud800' + " surrogate"));
        Assert.False(Names.IsDisplayName("ends high " + '\ud83d'));
        Assert.True(Names.IsWellFormed("pair \ud83d\ude80"));
    }
}
