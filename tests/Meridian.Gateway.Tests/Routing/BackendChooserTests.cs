using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Microsoft.Extensions.Time.Testing;
using static Meridian.Gateway.Tests.Routing.RoutingKit;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>Choice among eligible backends: nearest tier first, then power of two choices on latency × load; health gates it all.</summary>
public sealed class BackendChooserTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void The_resource_region_is_preferred_while_it_has_a_healthy_backend()
    {
        var registry = new BackendRegistry([Backend("west", WestUs), Backend("east", EastUs), Backend("sweden", Sweden)]);
        var set = registry.Eligible(Deployment(EastUs, DeploymentType.Global));
        var chooser = new BackendChooser(new RoutingOptions(), _time, new Random(1));

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("east", set.Backends[chooser.Choose(set, [])].Id);
        }

        Assert.Equal("west", set.Backends[chooser.Choose(set, [0])].Id);
        Assert.Equal("sweden", set.Backends[chooser.Choose(set, [0, 1])].Id);
        Assert.Equal(-1, chooser.Choose(set, [0, 1, 2]));
    }

    [Fact]
    public void Power_of_two_choices_prefers_the_faster_and_less_loaded_backend()
    {
        var slow = Backend("slow", EastUs);
        var fast = Backend("fast", EastUs);
        slow.State.Succeeded(TimeSpan.FromMilliseconds(400), 1);
        fast.State.Succeeded(TimeSpan.FromMilliseconds(20), 1);
        var set = new BackendRegistry([slow, fast]).Eligible(Deployment(EastUs, DeploymentType.Regional));
        var chooser = new BackendChooser(new RoutingOptions(), _time, new Random(3));

        // With two candidates both are always compared: the cheaper wins every time.
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("fast", set.Backends[chooser.Choose(set, [])].Id));

        // Load counts too: 30 requests in flight on the fast one make the slow one cheaper.
        for (var i = 0; i < 30; i++)
        {
            fast.State.Started();
        }

        Assert.Equal("slow", set.Backends[chooser.Choose(set, [])].Id);
    }

    [Fact]
    public void Balancing_spreads_load_over_equal_backends()
    {
        var backends = Enumerable.Range(0, 4).Select(i => Backend($"east-{i}", EastUs)).ToList();
        var set = new BackendRegistry(backends).Eligible(Deployment(EastUs, DeploymentType.Regional));
        var chooser = new BackendChooser(new RoutingOptions(), _time, new Random(11));
        var counts = new int[4];
        for (var i = 0; i < 400; i++)
        {
            var index = chooser.Choose(set, []);
            counts[index]++;
            set.Backends[index].State.Started(); // none finishes: in-flight grows and steers choices away
        }

        Assert.All(counts, c => Assert.InRange(c, 80, 120));
    }

    [Fact]
    public void Consecutive_failures_eject_a_backend_for_a_back_off_that_doubles()
    {
        var options = new RoutingOptions { FailureThreshold = 3, EjectionBase = TimeSpan.FromSeconds(5), EjectionMax = TimeSpan.FromSeconds(60) };
        var east = Backend("east", EastUs);
        var state = east.State;

        Assert.False(state.Failed(_time.GetUtcNow(), options));
        Assert.False(state.Failed(_time.GetUtcNow(), options));
        Assert.Equal(BackendCondition.Healthy, state.ConditionAt(_time.GetUtcNow(), null));
        Assert.True(state.Failed(_time.GetUtcNow(), options));
        Assert.Equal(BackendCondition.Ejected, state.ConditionAt(_time.GetUtcNow(), null));

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(BackendCondition.Healthy, state.ConditionAt(_time.GetUtcNow(), null));

        // Half-open: one more failure re-ejects it, for twice as long.
        Assert.True(state.Failed(_time.GetUtcNow(), options));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(BackendCondition.Ejected, state.ConditionAt(_time.GetUtcNow(), null));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(BackendCondition.Healthy, state.ConditionAt(_time.GetUtcNow(), null));

        // A success forgives everything: the next ejection needs the full threshold and starts at the base again.
        state.Succeeded(TimeSpan.FromMilliseconds(10), 0.3);
        Assert.False(state.Failed(_time.GetUtcNow(), options));
        Assert.False(state.Failed(_time.GetUtcNow(), options));
        Assert.True(state.Failed(_time.GetUtcNow(), options));
        Assert.Equal(_time.GetUtcNow().AddSeconds(5), state.EjectedUntil);
    }

    [Fact]
    public void Ejected_probed_down_and_overloaded_backends_are_not_chosen()
    {
        var options = new RoutingOptions { FailureThreshold = 1 };
        var ejected = Backend("ejected", EastUs);
        var probedDown = Backend("probed-down", EastUs);
        var full = Backend("full", EastUs, maxInFlight: 1);
        var spare = Backend("spare", WestUs);
        ejected.State.Failed(_time.GetUtcNow(), options);
        probedDown.State.Probed(up: false, threshold: 1);
        full.State.Started();
        var set = new BackendRegistry([ejected, probedDown, full, spare]).Eligible(Deployment(EastUs, DeploymentType.DataZone));
        var chooser = new BackendChooser(options, _time, new Random(5));

        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("spare", set.Backends[chooser.Choose(set, [])].Id));

        probedDown.State.Probed(up: true, threshold: 1);
        Assert.Equal("probed-down", set.Backends[chooser.Choose(set, [])].Id);
    }

    [Fact]
    public void Probes_mark_a_backend_down_only_after_the_threshold_and_up_after_one_success()
    {
        var state = Backend("east", EastUs).State;

        Assert.False(state.Probed(up: false, threshold: 2));
        Assert.False(state.IsProbeDown);
        Assert.True(state.Probed(up: false, threshold: 2));
        Assert.True(state.IsProbeDown);
        Assert.False(state.Probed(up: false, threshold: 2));
        Assert.True(state.Probed(up: true, threshold: 2));
        Assert.False(state.IsProbeDown);
    }

    [Fact]
    public void Latency_is_a_moving_average_of_the_time_to_first_event()
    {
        var state = Backend("east", EastUs).State;

        state.Succeeded(TimeSpan.FromMilliseconds(100), 0.5);
        Assert.Equal(100, state.LatencyMs, 3);
        state.Succeeded(TimeSpan.FromMilliseconds(200), 0.5);
        Assert.Equal(150, state.LatencyMs, 3);
    }
}
