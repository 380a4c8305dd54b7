using Meridian.Core.Marketplace;

namespace Meridian.Core.Billing;

/// <summary>An offer's prices from <paramref name="EffectiveFrom"/> until the next change.</summary>
public sealed record PricePoint(DateTimeOffset EffectiveFrom, Prices Prices);

/// <summary>A span of time during which one set of prices applied.</summary>
public readonly record struct PriceWindow(DateTimeOffset From, DateTimeOffset To, PricePoint Price);

/// <summary>
/// The price history of one offer: which prices applied when. Usage is charged at the price in effect when it
/// happened, so a price change mid-period splits the period into windows. Immutable.
/// </summary>
public sealed class PriceSchedule
{
    private readonly PricePoint[] _points;

    /// <param name="points">At least one; any order.</param>
    public PriceSchedule(IEnumerable<PricePoint> points)
    {
        _points = [.. points.OrderBy(p => p.EffectiveFrom)];
        if (_points.Length == 0)
        {
            throw new ArgumentException("A price schedule needs at least one price.", nameof(points));
        }
    }

    public IReadOnlyList<PricePoint> Points => _points;

    /// <summary>The price in effect at <paramref name="time"/>; before the first recorded change, the first price.</summary>
    public PricePoint At(DateTimeOffset time)
    {
        var current = _points[0];
        foreach (var point in _points)
        {
            if (point.EffectiveFrom > time)
            {
                break;
            }

            current = point;
        }

        return current;
    }

    /// <summary>Splits [<paramref name="from"/>, <paramref name="to"/>) at every price change inside it.</summary>
    public IEnumerable<PriceWindow> Windows(DateTimeOffset from, DateTimeOffset to)
    {
        var start = from;
        while (start < to)
        {
            var price = At(start);
            var next = _points.FirstOrDefault(p => p.EffectiveFrom > start)?.EffectiveFrom;
            var end = next is { } change && change < to ? change : to;
            yield return new PriceWindow(start, end, price);
            start = end;
        }
    }
}
