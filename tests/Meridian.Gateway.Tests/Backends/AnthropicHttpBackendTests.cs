using System.Net;
using System.Text;
using Meridian.Gateway.Backends;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Backends;

/// <summary>
/// An Anthropic upstream over HTTP: what the gateway sends it (the client's bytes, the stream flag as the client set it)
/// and how it reads what comes back (one JSON message for a non-streaming client, events for a streaming one), and,
/// through a whole gateway, that a non-streaming client gets the upstream's bytes only when screening changed nothing.
/// </summary>
public sealed class AnthropicHttpBackendTests
{
    private const string Answer =
        """{"id":"msg_up1","type":"message","role":"assistant","model":"claude-up","content":[{"type":"text","text":"Hello there"},{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"x"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":7,"cache_read_input_tokens":3},"container":null}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_non_streaming_call_sends_the_clients_bytes_and_reads_one_message_as_events_and_bytes()
    {
        await using var upstream = await StubUpstream.StartAsync("application/json", Answer);
        const string body = """{"model":"claude-up","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"unknown_field":[1,2]}""";

        var events = await CallAsync(upstream, body, upstreamModel: "claude-up");

        Assert.Equal(body, upstream.LastBody);
        Assert.Equal(
            [
                new MessageStartEvent("msg_up1", "claude-up", new Usage(12, 7, 0, 3)),
                new ContentBlockStartEvent(0, TextBlockHeader.Instance),
                new TextDeltaEvent(0, "Hello there"),
                new ContentBlockStopEvent(0),
                new ContentBlockStartEvent(1, new ToolUseBlockHeader("toolu_1", "lookup")),
                new InputJsonDeltaEvent(1, """{"q":"x"}"""),
                new ContentBlockStopEvent(1),
                new MessageDeltaEvent(StopReasons.ToolUse, null, new Usage(12, 7, 0, 3)),
                MessageStopEvent.Instance,
            ],
            events.SkipLast(1));
        Assert.Equal(Answer, Encoding.UTF8.GetString(Assert.IsType<UpstreamMessageEvent>(events[^1]).Json.Span));
    }

    [Fact]
    public async Task A_model_the_upstream_names_differently_is_rewritten_and_the_stream_flag_kept()
    {
        await using var upstream = await StubUpstream.StartAsync("application/json", Answer);

        await CallAsync(upstream, """{"model":"my-deployment","max_tokens":16,"stream":false,"messages":[{"role":"user","content":"hi"}]}""", upstreamModel: "claude-up");

        Assert.Equal("""{"max_tokens":16,"stream":false,"messages":[{"role":"user","content":"hi"}],"model":"claude-up"}""", upstream.LastBody);
    }

    [Fact]
    public async Task Content_the_gateway_does_not_model_is_never_passed_on_as_the_upstreams_bytes()
    {
        // A thinking block is not screened as output, and citations carry source text: the answer must be written again
        // from the events (which leave them out, as a stream's parser does), never sent as the upstream wrote it.
        var thinking = Answer.Replace("""[{"type":"text","text":"Hello there"}""", """[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"Hello there"}""", StringComparison.Ordinal);
        var cited = Answer.Replace("""{"type":"text","text":"Hello there"}""", """{"type":"text","text":"Hello there","citations":[{"cited_text":"x"}]}""", StringComparison.Ordinal);
        foreach (var answer in new[] { thinking, cited })
        {
            await using var upstream = await StubUpstream.StartAsync("application/json", answer);

            var events = await CallAsync(upstream, """{"model":"claude-up","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", upstreamModel: "claude-up");

            Assert.DoesNotContain(events, e => e is UpstreamMessageEvent);
            Assert.Contains(new TextDeltaEvent(answer == thinking ? 1 : 0, "Hello there"), events);
        }
    }

    [Fact]
    public async Task A_streaming_call_reads_the_upstreams_events_as_they_come()
    {
        var sse = new System.Buffers.ArrayBufferWriter<byte>();
        StreamEvent[] sent =
        [
            new MessageStartEvent("msg_up2", "claude-up", new Usage(5, 1)),
            new ContentBlockStartEvent(0, TextBlockHeader.Instance),
            new TextDeltaEvent(0, "Hi"),
            new ContentBlockStopEvent(0),
            new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 2)),
            MessageStopEvent.Instance,
        ];
        foreach (var streamEvent in sent)
        {
            SseFraming.Write(sse, streamEvent);
        }

        await using var upstream = await StubUpstream.StartAsync("text/event-stream", Encoding.UTF8.GetString(sse.WrittenSpan));
        const string body = """{"model":"claude-up","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        var events = await CallAsync(upstream, body, upstreamModel: "claude-up");

        Assert.Equal(body, upstream.LastBody);
        Assert.Equal(sent, events);
    }

    [Fact]
    public async Task A_non_streaming_client_gets_the_upstreams_bytes_unless_screening_redacted_them()
    {
        var clean = Answer.Replace("Hello there", "Plain answer", StringComparison.Ordinal);
        var card = Answer.Replace("Hello there", "Your card is 4111 1111 1111 1111.", StringComparison.Ordinal);
        await using var upstream = await StubUpstream.StartAsync("application/json", clean);
        await using var gateway = await GatewayInFront.StartAsync(upstream.Url);

        using (var response = await gateway.SendAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(clean, await response.Content.ReadAsStringAsync(Ct));
        }

        upstream.Answer = card;
        using (var response = await gateway.SendAsync())
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("4111", text, StringComparison.Ordinal);
            Assert.Contains("[REDACTED:", text, StringComparison.Ordinal);
            Assert.Contains("\"msg_up1\"", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task What_the_gateway_does_not_know_reaches_an_Anthropic_upstream_unchanged_with_the_clients_betas_version_and_query()
    {
        await using var upstream = await StubUpstream.StartAsync("application/json", Answer);
        await using var gateway = await GatewayInFront.StartAsync(upstream.Url);
        const string body = """
            {"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":[{"type":"hologram","frames":2},{"type":"text","text":"hi"}]},
             {"role":"system","content":"more"},{"role":"assistant","content":"a"},{"role":"narrator","content":"n"}],"speed":"fast"}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages?beta=true") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("anthropic-beta", ["claude-code-20250219", "mid-conversation-system-2026-04-07"]);
        request.Headers.Add("anthropic-version", "2026-10-21");

        using var response = await gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, upstream.LastBody);
        Assert.Equal("?beta=true", upstream.LastQuery);
        Assert.Equal(["claude-code-20250219", "mid-conversation-system-2026-04-07"], upstream.LastBeta!.Split(',', StringSplitOptions.TrimEntries));
        Assert.Equal("2026-10-21", upstream.LastVersion);
    }

    private static async Task<List<StreamEvent>> CallAsync(StubUpstream upstream, string body, string upstreamModel)
    {
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false });
        var backend = new AnthropicHttpBackend(invoker, upstream.Url, apiKey: null);
        Assert.True(MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(body), isCountTokens: false, out var request, out _));
        using (request)
        {
            var events = new List<StreamEvent>();
            await foreach (var streamEvent in backend.StreamAsync(new BackendCall(request, upstreamModel, "msg_gw"), Ct))
            {
                events.Add(streamEvent);
            }

            return events;
        }
    }

    /// <summary>An upstream on a loopback port that answers every <c>POST /v1/messages</c> with a fixed body and keeps the last request's.</summary>
    private sealed class StubUpstream : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private StubUpstream(WebApplication app, string contentType, string answer)
        {
            _app = app;
            Answer = answer;
            app.MapPost("/v1/messages", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
                LastBody = await reader.ReadToEndAsync(context.RequestAborted);
                LastQuery = context.Request.QueryString.Value;
                LastBeta = context.Request.Headers["anthropic-beta"].ToString();
                LastVersion = context.Request.Headers["anthropic-version"].ToString();
                context.Response.ContentType = contentType;
                await context.Response.WriteAsync(Answer, context.RequestAborted);
            });
        }

        public string Answer { get; set; }

        public string? LastBody { get; private set; }

        public string? LastQuery { get; private set; }

        public string? LastBeta { get; private set; }

        public string? LastVersion { get; private set; }

        public Uri Url => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

        public static async Task<StubUpstream> StartAsync(string contentType, string answer)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var stub = new StubUpstream(builder.Build(), contentType, answer);
            await stub._app.StartAsync(Ct);
            return stub;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    /// <summary>A gateway (<c>serve --upstream</c>) in front of one upstream, with the demo key and the default safeguard policy.</summary>
    private sealed class GatewayInFront : IAsyncDisposable
    {
        private const string DemoKey = Admin.AdminServer.DemoKey;
        private readonly GatewayNode _node;
        private readonly HttpClient _client;
        private readonly TestDataDirectory _data;

        private GatewayInFront(GatewayNode node, TestDataDirectory data)
        {
            _node = node;
            _data = data;
            _client = node.Http;
            _client.DefaultRequestHeaders.Add("x-api-key", DemoKey);
        }

        public static async Task<GatewayInFront> StartAsync(Uri upstream)
        {
            var data = new TestDataDirectory("upstream-tests");
            var options = GatewayNode.Options(data.Path, DemoKey);
            options.UpstreamUrl = upstream;
            return new GatewayInFront(await GatewayNode.StartAsync(options, cancellationToken: Ct), data);
        }

        public Task<HttpResponseMessage> SendAsync() => _client.PostAsync("v1/messages", new StringContent(
            """{"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);

        public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _client.SendAsync(request, Ct);

        public async ValueTask DisposeAsync()
        {
            await _node.DisposeAsync();
            _data.Dispose();
        }
    }
}
