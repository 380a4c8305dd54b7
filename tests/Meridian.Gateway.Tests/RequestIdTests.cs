using Meridian.Gateway.Http;

namespace Meridian.Gateway.Tests;

/// <summary>Request ids: the documented shape, unique, and ordered by time so the stores' indexes grow at their end.</summary>
public sealed class RequestIdTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_id_is_the_prefix_and_24_base62_characters()
    {
        var id = RequestIds.New("req_", Noon);
        Assert.Matches("^req_[0-9A-Za-z]{24}$", id);
    }

    [Fact]
    public void Ids_made_a_millisecond_apart_sort_in_time_order_whatever_their_random_part()
    {
        for (var i = 0; i < 1_000; i++)
        {
            var at = Noon.AddMilliseconds(i * 7_919);
            var earlier = RequestIds.New("req_", at);
            var later = RequestIds.New("req_", at.AddMilliseconds(1));
            Assert.True(string.CompareOrdinal(earlier, later) < 0, $"{earlier} does not sort before {later}");
        }
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_are_distinct()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => RequestIds.New("req_", Noon)).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        // The random part spreads over the whole alphabet (a biased or truncated generator would not reach every character).
        Assert.Equal(62, ids.SelectMany(id => id[12..]).Distinct().Count());
    }
}
