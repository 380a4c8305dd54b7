using Meridian.Core.Marketplace;
using Meridian.Core.World;

namespace Meridian.Core.Tests.Marketplace;

public sealed class DeploymentRulesTests
{
    private static readonly Region Sweden = new("swedencentral", "eu", "eu", "Sweden Central");
    private static readonly Region NoZone = new("edge", null, "eu", "Edge");

    private static readonly Offer Offer = new(
        "off_1", "pub_1", "family",
        [HostingOption.Platform, HostingOption.Publisher],
        [DeploymentType.DataZone, DeploymentType.Regional],
        new Prices(3.00m, 15.00m, 3.75m, 0.30m),
        [new OfferModel("model-a", "Model A", 200_000, 64_000)],
        new TermsVersion(2, "abc", DateTimeOffset.UnixEpoch),
        1,
        DateTimeOffset.UnixEpoch);

    private static readonly Subscription Current = new("sub_1", "ten_1", "off_1", 2, "token:tok_1", DateTimeOffset.UnixEpoch, 1);

    private static DeploymentDraft Platform(string? type = "datazone") =>
        new("dep-a", "off_1", "model-a", "platform", type, 60, 1000, null, null);

    private static DeploymentDraft Publisher(bool? acknowledge = true, string? type = null) =>
        new("dep-p", "off_1", "model-a", "publisher", type, null, null, null, acknowledge);

    private static void AssertInvalid(DeploymentDecision decision, string field)
    {
        Assert.Equal(DeploymentVerdict.Invalid, decision.Verdict);
        Assert.True(decision.Errors.Has(field), $"expected an error on '{field}', got: {decision.Errors}");
    }

    [Fact]
    public void A_valid_platform_deployment_keeps_every_choice_explicit()
    {
        var decision = DeploymentRules.Validate(Platform(), Offer, Current, Sweden);
        Assert.Equal(DeploymentVerdict.Valid, decision.Verdict);
        var valid = decision.Deployment!;
        Assert.Equal(HostingOption.Platform, valid.Hosting);
        Assert.Equal(DeploymentType.DataZone, valid.Type);
        Assert.Equal(new Capacity(60, 1000), valid.Capacity);
        Assert.Equal("default", valid.SafeguardPolicy);
        Assert.False(valid.DataMayLeaveGeographyAcknowledged);
    }

    [Fact]
    public void A_publisher_hosted_deployment_records_the_acknowledgment_and_has_no_type()
    {
        var decision = DeploymentRules.Validate(Publisher(), Offer, Current, Sweden);
        Assert.Equal(DeploymentVerdict.Valid, decision.Verdict);
        Assert.Null(decision.Deployment!.Type);
        Assert.True(decision.Deployment.DataMayLeaveGeographyAcknowledged);
        Assert.Equal(new Capacity(DeploymentRules.DefaultRpm, DeploymentRules.DefaultTpm), decision.Deployment.Capacity);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public void Publisher_hosted_without_acknowledgment_names_the_field(bool? acknowledge) =>
        AssertInvalid(DeploymentRules.Validate(Publisher(acknowledge), Offer, Current, Sweden), "acknowledge_data_may_leave_geography");

    [Fact]
    public void Publisher_hosted_with_a_type_is_refused() =>
        AssertInvalid(DeploymentRules.Validate(Publisher(type: "regional"), Offer, Current, Sweden), "deployment_type");

    [Fact]
    public void A_type_the_offer_does_not_support_is_refused() =>
        AssertInvalid(DeploymentRules.Validate(Platform("global"), Offer, Current, Sweden), "deployment_type");

    [Theory]
    [InlineData(null)]
    [InlineData("continental")]
    public void Platform_hosting_needs_a_known_type(string? type) =>
        AssertInvalid(DeploymentRules.Validate(Platform(type), Offer, Current, Sweden), "deployment_type");

    [Fact]
    public void Datazone_in_a_region_without_a_zone_is_refused()
    {
        AssertInvalid(DeploymentRules.Validate(Platform("datazone"), Offer, Current, NoZone), "deployment_type");
        Assert.Equal(DeploymentVerdict.Valid, DeploymentRules.Validate(Platform("regional"), Offer, Current, NoZone).Verdict);
    }

    [Fact]
    public void A_hosting_option_the_offer_does_not_support_is_refused()
    {
        var platformOnly = Offer with { HostingOptions = [HostingOption.Platform] };
        AssertInvalid(DeploymentRules.Validate(Publisher(), platformOnly, Current, Sweden), "hosting_option");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("satellite")]
    public void The_hosting_option_is_required_and_known(string? hosting) =>
        AssertInvalid(DeploymentRules.Validate(Platform() with { HostingOption = hosting }, Offer, Current, Sweden), "hosting_option");

    [Fact]
    public void A_model_outside_the_offer_is_refused() =>
        AssertInvalid(DeploymentRules.Validate(Platform() with { ModelId = "model-z" }, Offer, Current, Sweden), "model_id");

    [Fact]
    public void An_unknown_offer_is_refused() =>
        AssertInvalid(DeploymentRules.Validate(Platform() with { OfferId = "off_nope" }, null, null, Sweden), "offer_id");

    [Theory]
    [InlineData(0, 1000, "capacity.rpm")]
    [InlineData(-1, 1000, "capacity.rpm")]
    [InlineData(60, 0, "capacity.tpm")]
    [InlineData(60, -100, "capacity.tpm")]
    public void Capacity_must_be_positive(int rpm, int tpm, string field) =>
        AssertInvalid(DeploymentRules.Validate(Platform() with { Rpm = rpm, Tpm = tpm }, Offer, Current, Sweden), field);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("-leading-dash")]
    public void The_name_must_be_callable(string? name) =>
        AssertInvalid(DeploymentRules.Validate(Platform() with { Name = name }, Offer, Current, Sweden), "name");

    [Fact]
    public void An_unknown_safeguard_policy_is_refused() =>
        AssertInvalid(DeploymentRules.Validate(Platform() with { SafeguardPolicy = "lenient" }, Offer, Current, Sweden), "safeguard_policy");

    [Fact]
    public void A_policy_the_gateway_configured_is_accepted_by_name()
    {
        var decision = DeploymentRules.Validate(Platform() with { SafeguardPolicy = "strict" }, Offer, Current, Sweden, ["default", "strict"]);
        Assert.Equal("strict", decision.Deployment!.SafeguardPolicy);
        AssertInvalid(DeploymentRules.Validate(Platform() with { SafeguardPolicy = "lenient" }, Offer, Current, Sweden, ["default", "strict"]), "safeguard_policy");
    }

    [Fact]
    public void Who_reviews_and_retention_default_to_the_publisher_and_standard_and_are_parsed_when_given()
    {
        var defaulted = DeploymentRules.Validate(Platform(), Offer, Current, Sweden).Deployment!;
        Assert.Equal(ReviewedBy.Publisher, defaulted.ReviewedBy);
        Assert.Equal(RetentionMode.Standard, defaulted.Retention);

        var chosen = DeploymentRules.Validate(Platform() with { ReviewedBy = "tenant", RetentionMode = "none" }, Offer, Current, Sweden).Deployment!;
        Assert.Equal(ReviewedBy.Tenant, chosen.ReviewedBy);
        Assert.Equal(RetentionMode.None, chosen.Retention);
    }

    [Theory]
    [InlineData("Tenant", null, "reviewed_by")]
    [InlineData("customer", null, "reviewed_by")]
    [InlineData(null, "forever", "retention_mode")]
    [InlineData(null, "", "retention_mode")]
    public void Unknown_review_settings_are_refused(string? reviewedBy, string? retention, string field) =>
        AssertInvalid(DeploymentRules.Validate(Platform() with { ReviewedBy = reviewedBy, RetentionMode = retention }, Offer, Current, Sweden), field);

    [Theory]
    [InlineData(true, RetentionMode.None, false, true)]
    [InlineData(true, RetentionMode.None, true, false)]
    [InlineData(true, RetentionMode.Standard, false, false)]
    [InlineData(false, RetentionMode.None, false, false)]
    public void Only_retention_none_without_exemption_on_an_offer_requiring_retention_refuses_requests(bool requires, RetentionMode mode, bool exempt, bool refused) =>
        Assert.Equal(refused, CaseReview.RefusesRequests(requires, mode, exempt));

    [Fact]
    public void Without_a_subscription_the_terms_are_not_accepted()
    {
        var decision = DeploymentRules.Validate(Platform(), Offer, null, Sweden);
        Assert.Equal(DeploymentVerdict.TermsNotAccepted, decision.Verdict);
        Assert.Contains("version 2", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Outdated_accepted_terms_are_not_accepted()
    {
        var decision = DeploymentRules.Validate(Platform(), Offer, Current with { TermsVersion = 1 }, Sweden);
        Assert.Equal(DeploymentVerdict.TermsNotAccepted, decision.Verdict);
    }

    [Fact]
    public void Field_errors_come_before_the_terms_question()
    {
        var decision = DeploymentRules.Validate(Platform("global"), Offer, null, Sweden);
        AssertInvalid(decision, "deployment_type");
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var decision = DeploymentRules.Validate(new DeploymentDraft(null, "off_1", "model-z", "publisher", "global", 0, 0, "x", false), Offer, Current, Sweden);
        foreach (var field in new[] { "name", "model_id", "deployment_type", "acknowledge_data_may_leave_geography", "capacity.rpm", "capacity.tpm", "safeguard_policy" })
        {
            AssertInvalid(decision, field);
        }
    }
}
