using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Foundry;
using Anthropic.Models.Messages;

namespace Meridian.Gateway.Tests;

/// <summary>
/// The Foundry flavour of the official .NET SDK (<c>Anthropic.Foundry</c> 1.0.0): <see cref="AnthropicFoundryClient"/>
/// with <see cref="AnthropicFoundryApiKeyCredentials"/>, its base URL moved from
/// <c>https://{resource}.services.ai.azure.com/anthropic</c> to the gateway's <c>/anthropic</c>.
/// </summary>
public sealed class FoundrySdkTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private readonly RecordingHandler _recorder = new() { InnerHandler = new SocketsHttpHandler() };
    private HttpClient? _http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _http?.Dispose();
        _recorder.Dispose();
    }

    [Fact]
    public async Task A_message_goes_to_the_anthropic_path_with_x_api_key()
    {
        var client = NewClient(GatewayFixture.DemoKey);

        var message = await client.Messages.Create(OfficialSdkTests.Ask("Hello from Foundry"), Ct);

        Assert.Contains("Hello from Foundry", OfficialSdkTests.TextOf(message), StringComparison.Ordinal);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.True(message.Usage.OutputTokens > 0, "usage.output_tokens should be positive");
        var sent = Assert.Single(_recorder.Requests);
        Assert.Equal("/anthropic/v1/messages", sent.Path);
        Assert.Equal(GatewayFixture.DemoKey, sent.ApiKey);
        Assert.Null(sent.Authorization);
    }

    [Fact]
    public async Task A_stream_goes_to_the_anthropic_path_and_adds_up_to_the_plain_answer()
    {
        var client = NewClient(GatewayFixture.DemoKey);
        var request = OfficialSdkTests.Ask("Stream hello from Foundry");
        var expected = OfficialSdkTests.TextOf(await client.Messages.Create(request, Ct));

        var text = new StringBuilder();
        var sawStop = false;
        string? stopReason = null;
        await foreach (var streamEvent in client.Messages.CreateStreaming(request, Ct))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                text.Append(textDelta.Text);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stopReason = messageDelta.Delta.StopReason?.Raw();
            }
            else if (streamEvent.TryPickStop(out _))
            {
                sawStop = true;
            }
        }

        Assert.Equal(expected, text.ToString());
        Assert.Equal("end_turn", stopReason);
        Assert.True(sawStop, "message_stop should end the stream");
        Assert.All(_recorder.Requests, sent => Assert.Equal("/anthropic/v1/messages", sent.Path));
        Assert.All(_recorder.Requests, sent => Assert.Equal(GatewayFixture.DemoKey, sent.ApiKey));
    }

    [Fact]
    public async Task Count_tokens_works_on_the_anthropic_path()
    {
        var client = NewClient(GatewayFixture.DemoKey);

        var counted = await client.Messages.CountTokens(
            new MessageCountTokensParams { Model = GatewayFixture.DeploymentName, Messages = [new UserMessageParam("Count me")] },
            Ct);

        Assert.True(counted.InputTokens > 0, "count_tokens should count something");
        Assert.Equal("/anthropic/v1/messages/count_tokens", Assert.Single(_recorder.Requests).Path);
    }

    [Fact]
    public async Task A_wrong_key_is_AnthropicUnauthorizedException_401()
    {
        var client = NewClient(GatewayFixture.DemoKey + "-wrong");

        var ex = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => client.Messages.Create(OfficialSdkTests.Ask("hi"), Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("authentication_error", ex.Type?.Raw());
        Assert.StartsWith("req_", ex.RequestID, StringComparison.Ordinal);
    }

    private IAnthropicClient NewClient(string key)
    {
        _http ??= new HttpClient(_recorder, disposeHandler: false);
        return new AnthropicFoundryClient(new AnthropicFoundryApiKeyCredentials(key, "res_demo"))
            .WithOptions(options => options with
            {
                BaseUrl = gateway.BaseUrl + "/anthropic",
                HttpClient = _http,
                MaxRetries = 0,
                Timeout = TimeSpan.FromSeconds(60),
            });
    }

    /// <summary>What the SDK put on the wire: path and credentials headers of each request.</summary>
    private sealed class RecordingHandler : DelegatingHandler
    {
        public ConcurrentQueue<SentRequest> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue(new SentRequest(
                request.RequestUri!.AbsolutePath,
                request.Headers.TryGetValues("x-api-key", out var keys) ? string.Join(",", keys) : null,
                request.Headers.Authorization?.ToString()));
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed record SentRequest(string Path, string? ApiKey, string? Authorization);
}
