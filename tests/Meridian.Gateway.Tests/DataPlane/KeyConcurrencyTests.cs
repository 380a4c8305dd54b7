using System.Net;
using System.Text;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.DataPlane;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.DataPlane;

/// <summary>One API key cannot hold a shared node's every worker: past its concurrency limit it is answered 429 at once.</summary>
public sealed class KeyConcurrencyTests : IAsyncLifetime
{
    private readonly AdminServer _server = new()
    {
        Configure = options =>
        {
            options.MaxConcurrentPerKey = 1;
            // Slow enough that a streamed answer is still in flight while the second request arrives.
            options.SimulatorTokenDelay = TimeSpan.FromMilliseconds(20);
        },
    };

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public void Slots_are_counted_per_key_and_given_back()
    {
        var slots = new KeyConcurrency(new GatewayOptions { MaxConcurrentPerKey = 2 });

        Assert.True(slots.TryEnter("key_a"));
        Assert.True(slots.TryEnter("key_a"));
        Assert.False(slots.TryEnter("key_a"));
        Assert.True(slots.TryEnter("key_b"));
        slots.Exit("key_a");
        Assert.True(slots.TryEnter("key_a"));
        Assert.Equal(2, slots.InFlight("key_a"));
    }

    [Fact]
    public async Task A_second_request_while_the_first_streams_is_429_and_the_slot_comes_back_after_it()
    {
        // The demo deployment's boundary is data zone us: a node there serves it.
        var node = await _server.StartNodeAsync(ingressRegion: "eastus");
        using var first = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                """{"model":"claude-sonnet-5","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"Tell me a long story"}]}""",
                Encoding.UTF8, "application/json"),
        };
        first.Headers.Add("x-api-key", AdminServer.DemoKey);
        using var streaming = await node.Http.SendAsync(first, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);

        using (var second = await _server.MessagesAsync(AdminServer.DemoKey, "claude-sonnet-5", node))
        {
            await ApiAssert.ErrorAsync(second, HttpStatusCode.TooManyRequests, "rate_limit_error", "in flight");
        }

        await streaming.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var third = await _server.MessagesAsync(AdminServer.DemoKey, "claude-sonnet-5", node);
            if (third.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
            {
                Assert.Equal(HttpStatusCode.OK, third.StatusCode);
                break;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
