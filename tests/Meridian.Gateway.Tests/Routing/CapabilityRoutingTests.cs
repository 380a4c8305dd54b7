using System.Text;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Microsoft.Extensions.Time.Testing;
using static Meridian.Gateway.Tests.Routing.RoutingKit;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>Only backends able to express a request are tried; when none is, the client hears which field, as a 400.</summary>
public sealed class CapabilityRoutingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));

    private static BackendCall UnknownFieldCall()
    {
        MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes("""
            {"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"speed":"fast"}
            """), isCountTokens: false, out var request, out _);
        return new BackendCall(request!, "claude-sonnet-5", "msg_test");
    }

    private static ScriptedBackend Refusing() => new() { Refuses = r => FeatureSupport.FirstUnsupported(r, "a scripted backend") };

    [Fact]
    public async Task A_request_goes_to_the_backend_that_can_express_it_even_when_a_nearer_one_cannot()
    {
        var east = Refusing();
        var west = new ScriptedBackend();
        var registry = new BackendRegistry([Backend("east", EastUs, east), Backend("west", WestUs, west)]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.DataZone), registry, UnknownFieldCall(), Ct);

        Assert.Null(route.Error);
        Assert.Equal("west", route.Backend!.Id);
        Assert.Equal(0, east.Calls);
    }

    [Fact]
    public async Task When_no_eligible_backend_can_express_it_the_answer_is_400_naming_the_field_and_nothing_is_sent()
    {
        var east = Refusing();
        var registry = new BackendRegistry([Backend("east", EastUs, east), Backend("west", WestUs, new ScriptedBackend())]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.Regional), registry, UnknownFieldCall(), Ct);

        Assert.Equal(400, route.Error!.Status);
        Assert.Equal("invalid_request_error", route.Error.Type);
        Assert.StartsWith("speed: 'speed' is not supported by this deployment's backend (a scripted backend)", route.Error.Message, StringComparison.Ordinal);
        Assert.Empty(route.Attempts);
        Assert.Equal(0, east.Calls);
        Assert.Null(route.Failure);
    }

    [Fact]
    public async Task A_plain_request_asks_no_backend_anything()
    {
        var asked = 0;
        var east = new ScriptedBackend { Refuses = _ => { asked++; return "never"; } };
        var registry = new BackendRegistry([Backend("east", EastUs, east)]);

        await using var route = await Router(_time).OpenAsync(Deployment(EastUs, DeploymentType.Regional), registry, Call, Ct);

        Assert.Null(route.Error);
        Assert.Equal(0, asked);
    }
}
