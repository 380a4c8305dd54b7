using Meridian.Gateway.Backends;

namespace Meridian.Gateway.Tests.Backends;

public sealed class BackendTrafficTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Recent_counts_cover_the_last_minute_and_totals_everything_since_the_start()
    {
        var traffic = new BackendTraffic();
        for (var i = 0; i < 10; i++)
        {
            traffic.Attempted(T0.AddSeconds(i), error: i % 5 == 0);
        }

        Assert.Equal(new TrafficCounts(10, 2, 10, 2), traffic.Read(T0.AddSeconds(10)));

        // Half a minute later the first burst is still inside the window; a minute and a bucket later it has left it.
        traffic.Attempted(T0.AddSeconds(40), error: false);
        Assert.Equal(new TrafficCounts(11, 2, 11, 2), traffic.Read(T0.AddSeconds(40)));
        Assert.Equal(new TrafficCounts(11, 2, 1, 0), traffic.Read(T0.AddSeconds(75)));
        Assert.Equal(new TrafficCounts(11, 2, 0, 0), traffic.Read(T0.AddMinutes(5)));
    }

    [Fact]
    public void A_bucket_reused_by_a_later_slot_starts_from_zero()
    {
        var traffic = new BackendTraffic();
        traffic.Attempted(T0, error: true);

        // Exactly one window later the same bucket index comes round again: its old count must not leak in.
        traffic.Attempted(T0 + BackendTraffic.Window, error: false);

        Assert.Equal(new TrafficCounts(2, 1, 1, 0), traffic.Read(T0 + BackendTraffic.Window));
    }

    [Fact]
    public void A_count_with_a_clock_reading_a_window_old_does_not_wipe_the_newer_bucket()
    {
        var traffic = new BackendTraffic();
        traffic.Attempted(T0 + BackendTraffic.Window, error: true);

        // Same bucket index, one window earlier (a thread that read the clock long before it counted).
        traffic.Attempted(T0, error: false);

        Assert.Equal(new TrafficCounts(2, 1, 2, 1), traffic.Read(T0 + BackendTraffic.Window));
    }

    [Fact]
    public void An_answer_that_breaks_off_after_its_first_event_adds_an_error_but_no_request()
    {
        var traffic = new BackendTraffic();
        traffic.Attempted(T0, error: false);
        traffic.FailedAfterStart(T0.AddSeconds(2));

        Assert.Equal(new TrafficCounts(1, 1, 1, 1), traffic.Read(T0.AddSeconds(3)));
    }

    [Fact]
    public void Concurrent_recording_loses_no_count_within_one_bucket()
    {
        var traffic = new BackendTraffic();
        Parallel.For(0, 10_000, i => traffic.Attempted(T0, error: i % 4 == 0));

        Assert.Equal(new TrafficCounts(10_000, 2_500, 10_000, 2_500), traffic.Read(T0));
    }
}
