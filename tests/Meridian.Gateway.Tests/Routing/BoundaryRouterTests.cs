using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Microsoft.Extensions.Time.Testing;
using static Meridian.Gateway.Tests.Routing.RoutingKit;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>Failover only inside the eligible set, before the first event; fail closed when nothing eligible can take the request.</summary>
public sealed class BoundaryRouterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(Answer.Http503, "http_503")]
    [InlineData(Answer.Http529, "http_529")]
    [InlineData(Answer.Http429, "http_429")]
    [InlineData(Answer.Http500, "http_500")]
    [InlineData(Answer.ConnectError, "connect_error")]
    [InlineData(Answer.Empty, "empty_stream")]
    public async Task A_failed_attempt_fails_over_to_another_eligible_backend(Answer failure, string outcome)
    {
        var east = new ScriptedBackend(failure);
        var west = new ScriptedBackend();
        var sweden = new ScriptedBackend();
        var registry = new BackendRegistry([Backend("east", EastUs, east), Backend("west", WestUs, west), Backend("sweden", Sweden, sweden)]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.DataZone), registry, Call, Ct);

        Assert.Null(route.Error);
        Assert.Equal("west", route.Backend!.Id);
        Assert.Equal([("east", outcome), ("west", "ok")], route.Attempts.Select(a => (a.Backend, a.Outcome)));
        Assert.Equal(0, sweden.Calls);
    }

    [Fact]
    public async Task A_regional_deployment_never_fails_over_out_of_its_region()
    {
        var east = new ScriptedBackend { Then = Answer.ConnectError };
        var west = new ScriptedBackend();
        var registry = new BackendRegistry([Backend("east", EastUs, east), Backend("west", WestUs, west)]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.Regional), registry, Call, Ct);

        // Every eligible backend was tried and failed: the last attempt's own error, naming the path — and never the
        // operator's backends outside the boundary, which are none of the tenant's business.
        Assert.Equal(503, route.Error!.Status);
        Assert.Equal("api_error", route.Error.Type);
        Assert.Contains("east: failed (connect_error)", route.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("west", route.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, west.Calls);
        Assert.Equal(route.Error.Message, route.Failure);
    }

    [Fact]
    public async Task The_clients_own_error_is_answered_without_failover()
    {
        var east = new ScriptedBackend(Answer.Http400);
        var west = new ScriptedBackend();
        var registry = new BackendRegistry([Backend("east", EastUs, east), Backend("west", WestUs, west)]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.DataZone), registry, Call, Ct);

        Assert.Equal(400, route.Error!.Status);
        Assert.Null(route.Failure);
        Assert.Equal(0, west.Calls);
        Assert.Equal(0, east.Calls - 1);
    }

    [Fact]
    public async Task No_eligible_backend_fails_closed_with_503_naming_the_candidates_inside_the_boundary_only()
    {
        var registry = new BackendRegistry(
        [
            Backend("sweden", Sweden),
            Backend("west", WestUs),
            Backend("east-haiku", EastUs, models: ["claude-haiku-4-5"]),
            Backend("acme-endpoint-1", null, operatedBy: "pub_acme"),
        ]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.Regional), registry, Call, Ct);

        Assert.Equal(503, route.Error!.Status);
        Assert.Equal("api_error", route.Error.Type);
        Assert.Empty(route.Attempts);
        var message = route.Error.Message;
        Assert.Contains("region eastus", message, StringComparison.Ordinal);
        Assert.Contains("east-haiku: does not serve the model claude-sonnet-5", message, StringComparison.Ordinal);
        Assert.DoesNotContain("sweden", message, StringComparison.Ordinal);
        Assert.DoesNotContain("acme", message, StringComparison.Ordinal);
        Assert.Contains("dry run", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eligible_backends_that_are_all_unhealthy_fail_closed_with_529()
    {
        var options = new RoutingOptions { FailureThreshold = 1 };
        var east = Backend("east", EastUs);
        var west = Backend("west", WestUs, maxInFlight: 1);
        east.State.Failed(_time.GetUtcNow(), options);
        west.State.Started();
        var sweden = new ScriptedBackend();
        var registry = new BackendRegistry([east, west, Backend("sweden", Sweden, sweden)]);

        await using var route = await Router(_time, options).OpenAsync(Deployment(EastUs, DeploymentType.DataZone), registry, Call, Ct);

        Assert.Equal(529, route.Error!.Status);
        Assert.Contains("east: unhealthy (ejected after failures)", route.Error.Message, StringComparison.Ordinal);
        Assert.Contains("west: overloaded (at its in-flight limit)", route.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sweden", route.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sweden.Calls);
    }

    [Fact]
    public async Task A_publisher_hosted_deployment_uses_only_that_publishers_backends()
    {
        var acme = new ScriptedBackend(Answer.Http503);
        var other = new ScriptedBackend();
        var platform = new ScriptedBackend();
        var registry = new BackendRegistry(
        [
            Backend("acme-1", null, acme, operatedBy: "pub_acme"),
            Backend("other-1", null, other, operatedBy: "pub_other"),
            Backend("east", EastUs, platform),
        ]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, null, HostingOption.Publisher), registry, Call, Ct);

        Assert.Equal(503, route.Error!.Status);
        Assert.Equal(["acme-1"], route.Attempts.Select(a => a.Backend));
        Assert.Equal(0, other.Calls + platform.Calls);
    }

    [Fact]
    public async Task In_flight_slots_are_released_after_success_and_failure()
    {
        var east = Backend("east", EastUs, new ScriptedBackend(Answer.Http503));
        var west = Backend("west", WestUs, new ScriptedBackend());
        var registry = new BackendRegistry([east, west]);

        var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.DataZone), registry, Call, Ct);
        Assert.Equal(0, east.State.InFlight);
        Assert.Equal(1, west.State.InFlight);
        await route.DisposeAsync();

        Assert.Equal(0, west.State.InFlight);
        Assert.Equal(1, east.State.ConsecutiveFailures);
        Assert.True(west.State.LatencyMs >= 0);
    }

    [Fact]
    public async Task Attempts_stop_at_the_configured_maximum()
    {
        var backends = Enumerable.Range(0, 5).Select(i => Backend($"east-{i}", EastUs, new ScriptedBackend { Then = Answer.Http503 })).ToArray();
        var registry = new BackendRegistry(backends);

        await using var route = await Router(_time, new RoutingOptions { MaxAttempts = 3 }).OpenAsync(Deployment(EastUs, DeploymentType.Regional), registry, Call, Ct);

        Assert.Equal(503, route.Error!.Status);
        Assert.Equal(3, route.Attempts.Count);
        Assert.Equal(3, route.Attempts.Select(a => a.Backend).Distinct().Count());
    }
}
