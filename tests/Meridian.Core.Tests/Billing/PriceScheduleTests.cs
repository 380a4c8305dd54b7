using Meridian.Core.Billing;
using Meridian.Core.Marketplace;

namespace Meridian.Core.Tests.Billing;

public sealed class PriceScheduleTests
{
    private static readonly DateTimeOffset Created = new(2026, 10, 15, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Changed = new(2026, 11, 10, 14, 30, 0, TimeSpan.Zero);
    private static readonly Prices Old = new(3m, 15m, 3.75m, 0.3m);
    private static readonly Prices New = new(2.5m, 12m, 3m, 0.25m);

    private static PriceSchedule Schedule() => new([new PricePoint(Changed, New), new PricePoint(Created, Old)]);

    [Fact]
    public void The_price_at_a_time_is_the_last_change_before_it()
    {
        var schedule = Schedule();
        Assert.Equal(Old, schedule.At(Changed.AddTicks(-1)).Prices);
        Assert.Equal(New, schedule.At(Changed).Prices);
        Assert.Equal(New, schedule.At(Changed.AddYears(1)).Prices);
        // Before the first recorded price: the first price (usage cannot predate the offer, but never throw).
        Assert.Equal(Old, schedule.At(Created.AddDays(-1)).Prices);
    }

    [Fact]
    public void A_change_inside_a_period_splits_it_into_two_windows()
    {
        var period = new BillingPeriod(2026, 11);
        var windows = Schedule().Windows(period.Start, period.End).ToList();
        Assert.Equal(2, windows.Count);
        Assert.Equal((period.Start, Changed, Old), (windows[0].From, windows[0].To, windows[0].Price.Prices));
        Assert.Equal((Changed, period.End, New), (windows[1].From, windows[1].To, windows[1].Price.Prices));
    }

    [Fact]
    public void A_period_without_changes_is_one_window()
    {
        var period = new BillingPeriod(2026, 12);
        var window = Assert.Single(Schedule().Windows(period.Start, period.End));
        Assert.Equal(New, window.Price.Prices);
        Assert.Equal(Changed, window.Price.EffectiveFrom);
    }
}
