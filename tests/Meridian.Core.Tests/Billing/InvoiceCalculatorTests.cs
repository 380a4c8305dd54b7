using Meridian.Core.Billing;
using Meridian.Core.Marketplace;

namespace Meridian.Core.Tests.Billing;

public sealed class InvoiceCalculatorTests
{
    private static readonly BillingPeriod Period = new(2026, 11);
    private static readonly DateTimeOffset Change = new(2026, 11, 20, 9, 15, 0, TimeSpan.Zero);
    private static readonly PricePoint Before = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new Prices(3.00m, 15.00m, 3.75m, 0.30m));
    private static readonly PricePoint After = new(Change, new Prices(2.50m, 12.50m, 3.125m, 0.25m));

    private static UsageSum Sum(string deployment, TokenCounts tokens, string offer = "off_a", string publisher = "pub_a") =>
        new("ten_a", deployment, deployment + "-name", "model-x", offer, publisher, 3, tokens);

    [Fact]
    public void Each_token_type_is_a_line_at_its_price_and_the_total_is_exact()
    {
        var window = new PriceWindow(Period.Start, Change, Before);
        var lines = InvoiceCalculator.Lines([new PricedUsage(Sum("dep_1", new TokenCounts(1_234, 567, 89, 10_000)), window)]);

        Assert.Equal(4, lines.Count);
        var input = Assert.Single(lines, l => l.TokenType == TokenType.Input);
        Assert.Equal(1_234, input.Tokens);
        Assert.Equal(3.00m, input.UnitPricePerMillion);
        Assert.Equal(0.003702m, input.Amount);
        var invoice = new Invoice("ten_a", Period, InvoiceStatus.Open, lines);
        Assert.Equal((1_234 * 3.00m + 567 * 15.00m + 89 * 3.75m + 10_000 * 0.30m) / 1_000_000m, invoice.Total);
        Assert.Equal(0.02m, invoice.TotalDue);
    }

    [Fact]
    public void A_price_change_mid_period_gives_a_line_per_price()
    {
        var lines = InvoiceCalculator.Lines(
        [
            new PricedUsage(Sum("dep_1", new TokenCounts(1_000_000, 0, 0, 0)), new PriceWindow(Period.Start, Change, Before)),
            new PricedUsage(Sum("dep_1", new TokenCounts(2_000_000, 0, 0, 0)), new PriceWindow(Change, Period.End, After)),
        ]);

        Assert.Equal(2, lines.Count);
        Assert.Equal((3.00m, 3.00m, Before.EffectiveFrom), (lines[0].UnitPricePerMillion, lines[0].Amount, lines[0].PriceEffectiveFrom));
        Assert.Equal((2.50m, 5.00m, Change), (lines[1].UnitPricePerMillion, lines[1].Amount, lines[1].PriceEffectiveFrom));
        Assert.Equal(8.00m, new Invoice("ten_a", Period, InvoiceStatus.Closed, lines).Total);
    }

    [Fact]
    public void Types_without_tokens_have_no_line()
    {
        var lines = InvoiceCalculator.Lines([new PricedUsage(Sum("dep_1", new TokenCounts(10, 0, 0, 0)), new PriceWindow(Period.Start, Period.End, Before))]);
        Assert.Equal(TokenType.Input, Assert.Single(lines).TokenType);
    }

    [Fact]
    public void Settlement_revenue_is_the_publishers_lines_and_fee_plus_payout_is_revenue()
    {
        var window = new PriceWindow(Period.Start, Period.End, Before);
        var a = new Invoice("ten_a", Period, InvoiceStatus.Closed, InvoiceCalculator.Lines(
        [
            new PricedUsage(Sum("dep_1", new TokenCounts(1_000_000, 100_000, 0, 0)), window),
            new PricedUsage(Sum("dep_2", new TokenCounts(500_000, 0, 0, 0), offer: "off_other", publisher: "pub_b"), window),
        ]));
        var b = new Invoice("ten_b", Period, InvoiceStatus.Closed, InvoiceCalculator.Lines(
            [new PricedUsage(Sum("dep_3", new TokenCounts(0, 333_333, 0, 0)) with { TenantId = "ten_b" }, window)]));

        var settlement = SettlementCalculator.Settle("pub_a", Period, [a, b], offer => offer == "off_a" ? 17.5m : 20m);

        var line = Assert.Single(settlement.Offers);
        Assert.Equal("off_a", line.OfferId);
        Assert.Equal(2, line.Customers);
        var expectedRevenue = 3.00m + 1.5m + 333_333 * 15.00m / 1_000_000m;
        Assert.Equal(expectedRevenue, settlement.Revenue);
        Assert.Equal(expectedRevenue * 0.175m, settlement.Fee);
        Assert.Equal(settlement.Revenue, settlement.Fee + settlement.Payout);
        Assert.Equal(
            a.Lines.Where(l => l.PublisherId == "pub_a").Sum(l => l.Amount) + b.Lines.Where(l => l.PublisherId == "pub_a").Sum(l => l.Amount),
            settlement.Revenue);
        Assert.Equal(new TokenCounts(1_000_000, 433_333, 0, 0), line.Tokens);
    }
}
