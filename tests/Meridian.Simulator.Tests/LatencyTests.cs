using Meridian.Protocol;
using Meridian.Protocol.Streaming;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Simulator.Tests;

public sealed class LatencyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task First_token_delay_then_per_token_delay_pace_the_deltas()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        var backend = Sim.Backend(new SimulatorOptions { FirstTokenDelay = TimeSpan.FromSeconds(1), PerTokenDelay = TimeSpan.FromMilliseconds(50) }, time);
        using var request = Sim.Parse(Sim.Ask("Pace yourself."));
        await using var events = backend.StreamAsync(new BackendCall(request, Sim.Model, "msg_pace"), ct).GetAsyncEnumerator(ct);

        // message_start, content_block_start and ping are sent at once.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await events.MoveNextAsync());
        }

        Assert.IsType<PingEvent>(events.Current);

        var firstDelta = events.MoveNextAsync();
        Assert.False(firstDelta.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(firstDelta.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await firstDelta.AsTask().WaitAsync(Wait, ct));
        Assert.IsType<TextDeltaEvent>(events.Current);

        for (var i = 0; i < 3; i++)
        {
            var next = events.MoveNextAsync();
            Assert.False(next.IsCompleted);
            time.Advance(TimeSpan.FromMilliseconds(49));
            Assert.False(next.IsCompleted);
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(await next.AsTask().WaitAsync(Wait, ct));
            Assert.IsType<TextDeltaEvent>(events.Current);
        }
    }

    [Fact]
    public async Task Per_token_delay_applies_to_tool_input_deltas_too()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        var backend = Sim.Backend(new SimulatorOptions { PerTokenDelay = TimeSpan.FromMilliseconds(20) }, time);
        var body = Sim.Ask("Go.");
        body["tools"] = System.Text.Json.Nodes.JsonNode.Parse("""[{"name":"t","input_schema":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}}]""");
        body["tool_choice"] = System.Text.Json.Nodes.JsonNode.Parse("""{"type":"any"}""");
        using var request = Sim.Parse(body);
        await using var events = backend.StreamAsync(new BackendCall(request, Sim.Model, "msg_pace"), ct).GetAsyncEnumerator(ct);

        // start, tool block start, ping, then the first json delta without delay (FirstTokenDelay is zero).
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await events.MoveNextAsync());
        }

        Assert.IsType<InputJsonDeltaEvent>(events.Current);
        var second = events.MoveNextAsync();
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(20));
        Assert.True(await second.AsTask().WaitAsync(Wait, ct));
        Assert.IsType<InputJsonDeltaEvent>(events.Current);
    }

    [Fact]
    public async Task Without_delays_the_whole_answer_streams_without_time_passing()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();

        var events = await Sim.RunAsync(Sim.Ask("No waiting."), Sim.Backend(new SimulatorOptions(), time));

        Assert.IsType<MessageStopEvent>(events[^1]);
        Assert.Equal(start, time.GetUtcNow());
    }

    [Fact]
    public async Task Cancelling_during_a_delay_stops_the_stream()
    {
        var time = new FakeTimeProvider();
        var backend = Sim.Backend(new SimulatorOptions { FirstTokenDelay = TimeSpan.FromMinutes(1) }, time);
        using var request = Sim.Parse(Sim.Ask("Cancel me."));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using var events = backend.StreamAsync(new BackendCall(request, Sim.Model, "msg_cancel"), cts.Token).GetAsyncEnumerator(cts.Token);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await events.MoveNextAsync());
        }

        var waiting = events.MoveNextAsync();
        Assert.False(waiting.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
    }

    [Fact]
    public async Task An_already_cancelled_token_yields_nothing()
    {
        using var request = Sim.Parse(Sim.Ask("Never mind."));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Sim.Backend().StreamAsync(new BackendCall(request, Sim.Model, "msg_x"), cts.Token))
            {
                Assert.Fail("no event expected");
            }
        });
    }
}
