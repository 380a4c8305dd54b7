namespace Meridian.Core.Marketplace;

/// <summary>
/// One change of a term an offer's subscribers are bound by (its prices, its retention requirement). New subscribers get
/// it from <paramref name="AnnouncedAt"/>; a tenant already subscribed then is bound from <paramref name="BindingAt"/>,
/// the end of the operator's notice period, or from when it accepts the offer's terms again, whichever comes first.
/// </summary>
public sealed record TermsChange<T>(DateTimeOffset AnnouncedAt, DateTimeOffset BindingAt, T Value);

/// <summary>A value of a term and the moment it began to apply.</summary>
public sealed record TermsPoint<T>(DateTimeOffset From, T Value);

/// <summary>
/// What one term of an offer is for one tenant over time: piecewise constant, changing when a change binds it (its notice
/// ends, or it accepts the terms while the change is announced). Immutable; safe to share between threads.
/// </summary>
public sealed class TermsTimeline<T>
{
    private readonly TermsPoint<T>[] _points;

    private TermsTimeline(TermsPoint<T>[] points) => _points = points;

    /// <summary>When each value began to apply, oldest first; never empty.</summary>
    public IReadOnlyList<TermsPoint<T>> Points => _points;

    /// <summary>The value at <paramref name="time"/>; before the first point, the first value.</summary>
    public T At(DateTimeOffset time)
    {
        var current = _points[0].Value;
        foreach (var point in _points)
        {
            if (point.From > time)
            {
                break;
            }

            current = point.Value;
        }

        return current;
    }

    /// <summary>
    /// The timeline of a tenant that accepted the offer's terms at each of <paramref name="acceptances"/> (subscribing is
    /// the first). At any moment the term is the newest change that either bound everyone (its notice ended) or was
    /// announced by the tenant's latest acceptance until then — so a tenant's acceptance takes everything announced
    /// up to it, and nothing announced after it until that change's notice ends.
    /// </summary>
    /// <param name="changes">At least one (the offer's creation is a change that binds at once); any order.</param>
    public static TermsTimeline<T> Of(IEnumerable<TermsChange<T>> changes, IEnumerable<DateTimeOffset> acceptances)
    {
        var ordered = changes.OrderBy(c => c.AnnouncedAt).ToArray();
        if (ordered.Length == 0)
        {
            throw new ArgumentException("A term needs at least one value.", nameof(changes));
        }

        var accepted = acceptances.Order().ToArray();
        var moments = ordered.Select(c => c.BindingAt).Concat(accepted).Append(ordered[0].AnnouncedAt).Distinct().Order();
        var points = new List<TermsPoint<T>> { new(ordered[0].AnnouncedAt, ordered[0].Value) };
        foreach (var moment in moments)
        {
            var value = ValueAt(ordered, LatestAtOrBefore(accepted, moment), moment);
            if (!EqualityComparer<T>.Default.Equals(value, points[^1].Value))
            {
                points.Add(new TermsPoint<T>(moment, value));
            }
        }

        return new TermsTimeline<T>([.. points]);
    }

    /// <summary>
    /// The changes announced but not yet binding on a tenant whose latest acceptance was <paramref name="lastAcceptance"/>:
    /// what it will be bound by at each change's <see cref="TermsChange{T}.BindingAt"/> unless it accepts sooner.
    /// </summary>
    public static IReadOnlyList<TermsChange<T>> Pending(IEnumerable<TermsChange<T>> changes, DateTimeOffset? lastAcceptance, DateTimeOffset now) =>
        [.. changes.Where(c => c.AnnouncedAt <= now && c.BindingAt > now && (lastAcceptance is null || c.AnnouncedAt > lastAcceptance)).OrderBy(c => c.AnnouncedAt)];

    private static T ValueAt(TermsChange<T>[] ordered, DateTimeOffset? lastAcceptance, DateTimeOffset moment)
    {
        var value = ordered[0].Value;
        foreach (var change in ordered)
        {
            if (change.AnnouncedAt > moment)
            {
                break;
            }

            if (change.BindingAt <= moment || (lastAcceptance is { } accepted && change.AnnouncedAt <= accepted))
            {
                value = change.Value;
            }
        }

        return value;
    }

    private static DateTimeOffset? LatestAtOrBefore(DateTimeOffset[] sorted, DateTimeOffset moment)
    {
        DateTimeOffset? latest = null;
        foreach (var time in sorted)
        {
            if (time > moment)
            {
                break;
            }

            latest = time;
        }

        return latest;
    }
}
