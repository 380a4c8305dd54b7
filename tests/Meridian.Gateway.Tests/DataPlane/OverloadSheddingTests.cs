using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.DataPlane;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.DataPlane;

/// <summary>
/// Issue 15, item 6: past its node-wide limit of requests in flight a node sheds load with 529 at once — with
/// <c>Retry-After</c> and a request id, and receipted as the wire said — rather than queueing without bound.
/// </summary>
public sealed class OverloadSheddingTests : IAsyncLifetime
{
    private readonly AdminServer _server = new()
    {
        Configure = options =>
        {
            options.MaxRequestsInFlight = 1;
            // Slow enough that a streamed answer is still in flight while the second request arrives.
            options.SimulatorTokenDelay = TimeSpan.FromMilliseconds(20);
        },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public void Slots_are_counted_for_the_whole_node_and_given_back()
    {
        var slots = new NodeConcurrency(new GatewayOptions { MaxRequestsInFlight = 2 });

        Assert.True(slots.TryEnter());
        Assert.True(slots.TryEnter());
        Assert.False(slots.TryEnter());
        slots.Exit();
        Assert.True(slots.TryEnter());
        Assert.Equal(2, slots.InFlight);
    }

    [Fact]
    public async Task A_request_past_the_nodes_limit_is_529_at_once_with_retry_after_and_receipted_as_529()
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
        using var streaming = await node.Http.SendAsync(first, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);

        using var shed = await _server.MessagesAsync(AdminServer.DemoKey, "claude-sonnet-5", node);
        var error = await shed.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(529, (int)shed.StatusCode);
        Assert.Equal("overloaded_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("requests in flight", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), shed.Headers.RetryAfter?.Delta);
        var requestId = ApiAssert.RequestId(shed);
        Assert.Equal(requestId, error.GetProperty("request_id").GetString());
        await streaming.Content.ReadAsStringAsync(Ct);

        using var receiptRequest = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        receiptRequest.Headers.Add("x-api-key", AdminServer.DemoKey);
        using var receiptResponse = await node.Http.SendAsync(receiptRequest, Ct);
        Assert.Equal(HttpStatusCode.OK, receiptResponse.StatusCode);
        var receipt = await receiptResponse.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(529, receipt.GetProperty("status").GetInt32());
        Assert.Equal("overloaded_error", receipt.GetProperty("error_type").GetString());
        Assert.True(!receipt.TryGetProperty("processing_region", out var region) || region.ValueKind == JsonValueKind.Null, receipt.GetRawText());
    }
}
