using System.Globalization;

namespace Meridian.Core.Billing;

/// <summary>A calendar month in UTC, written <c>2026-11</c>: the period of invoices, settlements and budgets.</summary>
public readonly record struct BillingPeriod(int Year, int Month) : IComparable<BillingPeriod>
{
    public DateTimeOffset Start => new(Year, Month, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first instant after the period (exclusive end).</summary>
    public DateTimeOffset End => Start.AddMonths(1);

    public BillingPeriod Next => Of(End);

    public static BillingPeriod Of(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new BillingPeriod(utc.Year, utc.Month);
    }

    public bool Contains(DateTimeOffset time) => time >= Start && time < End;

    public static bool TryParse(string? text, out BillingPeriod period)
    {
        period = default;
        if (text is not { Length: 7 } || text[4] != '-'
            || !int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var month)
            || year is < 2000 or > 9998 || month is < 1 or > 12)
        {
            return false;
        }

        period = new BillingPeriod(year, month);
        return true;
    }

    public const string Rule = "must be a month as YYYY-MM, such as 2026-11";

    public int CompareTo(BillingPeriod other) => (Year, Month).CompareTo((other.Year, other.Month));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}");
}

/// <summary>Hours, the grain of the aggregates and of the metering feed.</summary>
public static class Hours
{
    public static DateTimeOffset Floor(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    public static DateTimeOffset Ceiling(DateTimeOffset time)
    {
        var floor = Floor(time);
        return floor == time ? floor : floor.AddHours(1);
    }
}
