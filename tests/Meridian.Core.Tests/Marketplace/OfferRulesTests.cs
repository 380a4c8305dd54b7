using Meridian.Core.Marketplace;
using Meridian.Core.Validation;

namespace Meridian.Core.Tests.Marketplace;

public sealed class OfferRulesTests
{
    private static OfferDraft Draft() => new(
        "pub_1", "Family",
        ["platform", "publisher"],
        ["global", "datazone"],
        new PriceDraft("3.00", "15.00", "3.75", "0.30"),
        [new OfferModelDraft("model-a", "Model A", 200_000, 64_000)],
        "Terms.");

    private static FieldErrors Errors(OfferDraft draft)
    {
        var errors = new FieldErrors();
        OfferRules.Validate(draft, errors);
        return errors;
    }

    [Fact]
    public void A_valid_offer_keeps_prices_as_decimals()
    {
        var errors = new FieldErrors();
        var offer = OfferRules.Validate(Draft(), errors);
        Assert.True(errors.IsEmpty, errors.ToString());
        Assert.Equal(new Prices(3.00m, 15.00m, 3.75m, 0.30m), offer!.Prices);
        Assert.Equal("3.00", OfferRules.Format(offer.Prices.Input));
        Assert.Equal([HostingOption.Platform, HostingOption.Publisher], offer.HostingOptions);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1e3")]
    [InlineData("1,000")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("0.0000001")]
    [InlineData("1000000.01")]
    public void A_price_must_be_a_plain_non_negative_decimal(string price) =>
        Assert.True(Errors(Draft() with { Prices = new PriceDraft(price, "1", "1", "1") }).Has("prices.input"));

    [Fact]
    public void Price_arithmetic_is_exact()
    {
        Assert.True(OfferRules.TryParsePrice("0.1", out var a));
        Assert.True(OfferRules.TryParsePrice("0.2", out var b));
        Assert.Equal(0.3m, a + b);
    }

    [Fact]
    public void A_partial_price_change_keeps_the_other_prices()
    {
        var errors = new FieldErrors();
        var prices = OfferRules.ValidatePrices(new PriceDraft("4.00", null, null, null), new Prices(3m, 15m, 3.75m, 0.3m), errors);
        Assert.Equal(new Prices(4.00m, 15m, 3.75m, 0.3m), prices);
    }

    [Fact]
    public void Platform_hosting_needs_deployment_types() =>
        Assert.True(Errors(Draft() with { DeploymentTypes = [] }).Has("deployment_types"));

    [Fact]
    public void A_publisher_only_offer_has_no_deployment_types() =>
        Assert.True(Errors(Draft() with { HostingOptions = ["publisher"] }).Has("deployment_types"));

    [Fact]
    public void Unknown_and_repeated_options_are_named_by_index()
    {
        var errors = Errors(Draft() with { HostingOptions = ["platform", "cloud", "platform"], DeploymentTypes = ["global", "planetary"] });
        Assert.True(errors.Has("hosting_options[1]"));
        Assert.True(errors.Has("hosting_options[2]"));
        Assert.True(errors.Has("deployment_types[1]"));
    }

    [Fact]
    public void Models_are_checked_one_by_one()
    {
        var errors = Errors(Draft() with
        {
            Models = [new OfferModelDraft("ok", "OK", 1000, 100), new OfferModelDraft("ok", "Again", 1000, 2000), new OfferModelDraft("bad id", null, 0, null)],
        });
        Assert.True(errors.Has("models[1].model_id"));
        Assert.True(errors.Has("models[1].max_output_tokens"));
        Assert.True(errors.Has("models[2].model_id"));
        Assert.True(errors.Has("models[2].display_name"));
        Assert.True(errors.Has("models[2].context_window"));
        Assert.True(errors.Has("models[2].max_output_tokens"));
        Assert.False(errors.Has("models[0].model_id"));
    }

    [Fact]
    public void Terms_text_is_required() => Assert.True(Errors(Draft() with { TermsText = "  " }).Has("terms_text"));

    [Fact]
    public void The_terms_hash_identifies_the_text() =>
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", OfferRules.TermsSha256(string.Empty));
}
