using System.Net;
using System.Text;
using Meridian.Core.Billing;
using Meridian.Core.Receipts;
using Meridian.Gateway.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>
/// One billing rule for every way a request can end, streaming or not (docs/metering.md, "What a request is billed"):
/// the ledger row always carries exactly the receipt's tokens, and what is billed depends only on how the answer ended.
/// </summary>
public sealed class BillingEndingsTests(BillingEndingsTests.Gateways gateways) : IClassFixture<BillingEndingsTests.Gateways>
{
    private const string DemoKey = "mk-bill0001-Zq7vR2pLx9TcW4nB8sKd3fHy";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Two gateways: one on a simulator at 20 ms per token (so a client can leave mid-answer), one on an upstream that fails mid-answer.</summary>
    public sealed class Gateways : IAsyncLifetime
    {
        private readonly TestDataDirectory _simulatorData = new("billing-endings");
        private readonly TestDataDirectory _failingData = new("billing-endings");
        private WebApplication _upstream = null!;
        private GatewayNode _simulator = null!;
        private GatewayNode _failingUpstream = null!;

        public string SimulatorData => _simulatorData.Path;

        public string FailingData => _failingData.Path;

        public WebApplication Simulator => _simulator.App;

        public WebApplication FailingUpstream => _failingUpstream.App;

        public async ValueTask InitializeAsync()
        {
            var simulator = GatewayNode.Options(SimulatorData, DemoKey);
            simulator.SimulatorTokenDelay = TimeSpan.FromMilliseconds(20);
            _simulator = await GatewayNode.StartAsync(simulator, cancellationToken: Ct);
            _upstream = await StartFailingUpstreamAsync();
            var failing = GatewayNode.Options(FailingData, DemoKey);
            failing.UpstreamUrl = new Uri(Address(_upstream));
            _failingUpstream = await GatewayNode.StartAsync(failing, cancellationToken: Ct);
            // One request first, so the tokenizer is loaded and the path compiled before any test times a client's patience.
            await SendAsync(Simulator, "Warm up.", stream: false, maxTokens: 1);
        }

        public async ValueTask DisposeAsync()
        {
            await _simulator.DisposeAsync();
            await _failingUpstream.DisposeAsync();
            await _upstream.StopAsync(CancellationToken.None);
            await _upstream.DisposeAsync();
            _simulatorData.Dispose();
            _failingData.Dispose();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_complete_answer_is_billed_what_the_backend_reported(bool stream)
    {
        var (id, _) = await SendAsync(gateways.Simulator, "Say a few words about ledgers.", stream, maxTokens: 12);
        var (receipt, usage) = await RecordAsync(gateways.SimulatorData, id);

        Assert.Equal(200, receipt.Status);
        AssertLedgerEqualsReceipt(receipt, usage);
        Assert.True(receipt.InputTokens > 0 && receipt.OutputTokens > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_request_blocked_on_input_is_billed_nothing(bool stream)
    {
        var (id, status) = await SendAsync(gateways.Simulator, "I'm going to kill you and your whole family.", stream, maxTokens: 12);
        var (receipt, usage) = await RecordAsync(gateways.SimulatorData, id);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Null(usage);
        Assert.Equal((0L, 0L), (receipt.InputTokens, receipt.OutputTokens));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_answer_blocked_on_output_is_billed_the_input_and_what_was_generated_until_the_block(bool stream)
    {
        // The simulator echoes the prompt; the echo of the second line is what the output screener blocks.
        var (id, _) = await SendAsync(gateways.Simulator, "Tonight:\nI'm going to kill myself tonight.", stream, maxTokens: 64);
        var (receipt, usage) = await RecordAsync(gateways.SimulatorData, id);

        Assert.StartsWith("block", receipt.SafeguardVerdict, StringComparison.Ordinal);
        AssertLedgerEqualsReceipt(receipt, usage);
        Assert.True(receipt.InputTokens > 0 && receipt.OutputTokens > 0, $"{receipt.InputTokens} in, {receipt.OutputTokens} out");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_answer_the_client_walked_away_from_is_billed_what_was_generated_until_then(bool stream)
    {
        var id = await SendAndLeaveAsync(gateways.Simulator, "Write a long essay about ledgers and their history.", stream);
        var (receipt, usage) = await RecordAsync(gateways.SimulatorData, id);

        Assert.Equal("client_closed_request", receipt.ErrorType);
        AssertLedgerEqualsReceipt(receipt, usage);
        Assert.True(receipt.InputTokens > 0 && receipt.OutputTokens > 0, $"{receipt.InputTokens} in, {receipt.OutputTokens} out");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_answer_the_backend_failed_is_billed_nothing_whatever_the_client_saw(bool stream)
    {
        var (id, _) = await SendAsync(gateways.FailingUpstream, "Say a few words about ledgers.", stream, maxTokens: 64);
        var (receipt, usage) = await RecordAsync(gateways.FailingData, id);

        Assert.Equal("api_error", receipt.ErrorType);
        Assert.Null(usage);
        Assert.Equal((0L, 0L), (receipt.InputTokens, receipt.OutputTokens));
    }

    private static void AssertLedgerEqualsReceipt(Receipt receipt, UsageRecord? usage)
    {
        Assert.NotNull(usage);
        Assert.Equal((receipt.InputTokens, receipt.OutputTokens, receipt.CacheCreationInputTokens, receipt.CacheReadInputTokens),
            (usage.Tokens.Input, usage.Tokens.Output, usage.Tokens.CacheWrite, usage.Tokens.CacheRead));
    }

    /// <summary>The request's record once written: its receipt and its ledger row (null when it is billed nothing).</summary>
    private static async Task<(Receipt Receipt, UsageRecord? Usage)> RecordAsync(string data, string requestId)
    {
        var store = TestStores.Geographies(data, "us").For("us");
        for (var i = 0; i < 200; i++)
        {
            if (await store.FindAsync(requestId, Ct) is { } receipt)
            {
                return (receipt, store.Ledger.Find(requestId));
            }

            await Task.Delay(25, Ct);
        }

        throw new Xunit.Sdk.XunitException($"No receipt for {requestId} was written.");
    }

    private static async Task<(string RequestId, HttpStatusCode Status)> SendAsync(WebApplication gateway, string prompt, bool stream, int maxTokens)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Address(gateway)) };
        using var response = await http.SendAsync(Request(prompt, stream, maxTokens), Ct);
        await response.Content.ReadAsStringAsync(Ct);
        return (response.Headers.GetValues("request-id").Single(), response.StatusCode);
    }

    /// <summary>
    /// Sends a request for a long answer and leaves in the middle of it: a stream after its first text deltas, a JSON
    /// request (whose answer is read whole before anything is sent) after a second.
    /// </summary>
    private static async Task<string> SendAndLeaveAsync(WebApplication gateway, string prompt, bool stream)
    {
        // No draining on dispose: the connection closes mid-answer, as when a user closes the tab.
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(Address(gateway)) };
        if (stream)
        {
            using var response = await http.SendAsync(Request(prompt, stream, maxTokens: 2000), HttpCompletionOption.ResponseHeadersRead, Ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            var deltas = 0;
            while (deltas < 3 && await reader.ReadLineAsync(Ct) is { } line)
            {
                deltas += line.Contains("\"text_delta\"", StringComparison.Ordinal) ? 1 : 0;
            }

            return response.Headers.GetValues("request-id").Single();
        }

        using (var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            leave.CancelAfter(TimeSpan.FromSeconds(1));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.SendAsync(Request(prompt, stream, maxTokens: 2000), leave.Token));
        }

        // No header reached the client: find the request by its receipt, the only one of a client that left.
        var store = TestStores.Geographies(Data(gateway), "us").For("us");
        for (var i = 0; i < 200; i++)
        {
            if (store.ListForTenant("ten_demo", 50).FirstOrDefault(r => r.ErrorType == "client_closed_request" && !r.Streamed) is { } receipt)
            {
                return receipt.RequestId;
            }

            await Task.Delay(25, Ct);
        }

        throw new Xunit.Sdk.XunitException("No receipt of the abandoned request was written.");
    }

    private static HttpRequestMessage Request(string prompt, bool stream, int maxTokens)
    {
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            model = "claude-sonnet-5", max_tokens = maxTokens, stream, messages = new[] { new { role = "user", content = prompt } },
        });
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", DemoKey);
        return request;
    }

    /// <summary>An Anthropic upstream that begins an answer and dies in the middle of it: a stream cut after three deltas, or half a JSON body.</summary>
    private static async Task<WebApplication> StartFailingUpstreamAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/v1/messages", async (HttpContext context) =>
        {
            using var body = await System.Text.Json.JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var stream = body.RootElement.TryGetProperty("stream", out var s) && s.GetBoolean();
            if (stream)
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync(
                    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_f\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":56}}}\n\n" +
                    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
                    context.RequestAborted);
                for (var i = 0; i < 3; i++)
                {
                    await context.Response.WriteAsync(
                        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Ledgers record. \"}}\n\n",
                        context.RequestAborted);
                }

                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
            else
            {
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 400;
                await context.Response.WriteAsync("{\"id\":\"msg_f\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Ledg", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            context.Abort();
        });
        await app.StartAsync(Ct);
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";

    private static string Data(WebApplication gateway) => gateway.Services.GetRequiredService<GatewayOptions>().DataDirectory;
}
