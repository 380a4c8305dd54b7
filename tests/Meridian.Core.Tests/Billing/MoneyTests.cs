using Meridian.Core.Billing;
using Meridian.Core.Marketplace;

namespace Meridian.Core.Tests.Billing;

public sealed class MoneyTests
{
    [Fact]
    public void Costs_are_exact_decimals()
    {
        Assert.Equal(0.000003125m, Money.Cost(1, 3.125m));
        Assert.Equal(3.125m, Money.Cost(1_000_000, 3.125m));
        // A billion tokens at a price with six decimals: no rounding anywhere.
        Assert.Equal(1_234_567.891m * 1_000m, Money.Cost(1_000_000_000, 1_234_567.891m));
        Assert.Equal(0m, Money.Cost(0, 15m));
    }

    [Fact]
    public void Token_counts_cost_the_sum_of_their_types_at_their_prices()
    {
        var prices = new Prices(3.00m, 15.00m, 3.75m, 0.30m);
        var tokens = new TokenCounts(1_000, 500, 200, 4_000);
        Assert.Equal(0.003m + 0.0075m + 0.00075m + 0.0012m, tokens.CostAt(prices));
    }

    [Theory]
    [InlineData("12.5", "12.50")]
    [InlineData("0.000003125", "0.000003125")]
    [InlineData("7", "7.00")]
    [InlineData("1000000.10", "1000000.10")]
    public void Formats_money_with_at_least_cents_and_every_exact_digit(string value, string expected) =>
        Assert.Equal(expected, Money.Format(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("0.005", "0.01")]
    [InlineData("0.0049", "0.00")]
    [InlineData("2.675", "2.68")]
    public void Rounds_what_is_due_half_away_from_zero(string value, string expected) =>
        Assert.Equal(expected, Money.Format(Money.RoundToCents(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture))));
}
