using Meridian.Core.Billing;

namespace Meridian.Core.Tests.Billing;

public sealed class BillingPeriodTests
{
    [Theory]
    [InlineData("2026-11", 2026, 11)]
    [InlineData("2027-01", 2027, 1)]
    public void Parses_a_month(string text, int year, int month)
    {
        Assert.True(BillingPeriod.TryParse(text, out var period));
        Assert.Equal(new BillingPeriod(year, month), period);
        Assert.Equal(text, period.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("2026-13")]
    [InlineData("2026-00")]
    [InlineData("2026-1")]
    [InlineData("26-11")]
    [InlineData("2026/11")]
    [InlineData("2026-11-01")]
    [InlineData("+026-11")]
    public void Refuses_anything_but_YYYY_MM(string? text) => Assert.False(BillingPeriod.TryParse(text, out _));

    [Fact]
    public void A_period_is_the_calendar_month_in_UTC()
    {
        var period = new BillingPeriod(2026, 12);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), period.Start);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), period.End);
        Assert.Equal(new BillingPeriod(2027, 1), period.Next);
        Assert.Equal(period, BillingPeriod.Of(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero)));
        // 00:30 on Jan 1st in UTC+1 is still December in UTC.
        Assert.Equal(period, BillingPeriod.Of(new DateTimeOffset(2027, 1, 1, 0, 30, 0, TimeSpan.FromHours(1))));
        Assert.False(period.Contains(period.End));
        Assert.True(period.Contains(period.Start));
    }

    [Fact]
    public void Hours_floor_and_ceiling()
    {
        var time = new DateTimeOffset(2026, 11, 3, 14, 30, 5, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 14, 0, 0, TimeSpan.Zero), Hours.Floor(time));
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 15, 0, 0, TimeSpan.Zero), Hours.Ceiling(time));
        Assert.Equal(Hours.Floor(time), Hours.Ceiling(Hours.Floor(time)));
    }
}
