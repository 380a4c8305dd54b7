using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Meridian.Protocol.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace Meridian.Gateway.Tests.OpenAi;

/// <summary>
/// <c>response_format</c> through the OpenAI door reaches an Anthropic upstream as <c>output_config.format</c>, and the
/// upstream's JSON answer reaches the client as the message content its SDK parses. The built-in simulator does not
/// honour <c>output_config.format</c> yet (another change adds it), so these tests put a recording Anthropic upstream
/// behind the gateway (<c>serve --upstream</c>): it keeps the Messages body it was sent and answers a fixed JSON object.
/// </summary>
public sealed class StructuredOutputTests(RecordingUpstreamGateway gateway) : IClassFixture<RecordingUpstreamGateway>
{
    private const string CitySchema =
        """{"type":"object","properties":{"name":{"type":"string"},"population":{"type":"integer"}},"required":["name","population"],"additionalProperties":false}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ChatClient Client() => OpenAiClients.Chat(gateway.BaseUrl, RecordingUpstreamGateway.Key);

    private static ChatCompletionOptions JsonSchemaOptions() => new()
    {
        ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat("city", BinaryData.FromString(CitySchema), jsonSchemaIsStrict: true),
    };

    [Fact]
    public async Task A_json_schema_response_format_reaches_the_upstream_as_output_config_format_and_the_answer_parses()
    {
        var tag = Guid.NewGuid().ToString("N");

        var completion = (await Client().CompleteChatAsync([new UserChatMessage($"Which city? {tag}")], JsonSchemaOptions(), Ct)).Value;

        using var answer = JsonDocument.Parse(Assert.Single(completion.Content).Text);
        Assert.Equal("Oslo", answer.RootElement.GetProperty("name").GetString());
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var sent = gateway.Upstream.BodyContaining(tag);
        Assert.Equal($$"""{"type":"json_schema","schema":{{CitySchema}}}""", sent.GetProperty("output_config").GetProperty("format").GetRawText());
        Assert.False(sent.TryGetProperty("response_format", out _));
        Assert.Equal(GatewayFixture.DeploymentName, sent.GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_streamed_json_schema_answer_arrives_as_content_deltas_that_add_up_to_the_JSON()
    {
        var tag = Guid.NewGuid().ToString("N");
        ChatMessage[] messages = [new UserChatMessage($"Which city, streamed? {tag}")];

        var text = new StringBuilder();
        await foreach (var update in Client().CompleteChatStreamingAsync(messages, JsonSchemaOptions(), Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal(RecordingUpstream.Answer, text.ToString());
        var sent = gateway.Upstream.BodyContaining(tag);
        Assert.True(sent.GetProperty("stream").GetBoolean());
        Assert.Equal("json_schema", sent.GetProperty("output_config").GetProperty("format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_json_object_response_format_asks_the_upstream_for_any_JSON_object()
    {
        var tag = Guid.NewGuid().ToString("N");
        var options = new ChatCompletionOptions { ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonObjectFormat() };

        await Client().CompleteChatAsync([new UserChatMessage($"Answer in JSON. {tag}")], options, Ct);

        Assert.Equal(
            """{"type":"json_schema","schema":{"type":"object"}}""",
            gateway.Upstream.BodyContaining(tag).GetProperty("output_config").GetProperty("format").GetRawText());
    }

    [Fact]
    public async Task Extensions_AI_structured_output_gets_a_typed_result_through_the_gateway()
    {
        var tag = Guid.NewGuid().ToString("N");
        using var client = Client().AsIChatClient();

        var response = await client.GetResponseAsync<City>($"Which city? {tag}", cancellationToken: Ct);

        Assert.Equal(new City("Oslo", 709_000), response.Result);
        var format = gateway.Upstream.BodyContaining(tag).GetProperty("output_config").GetProperty("format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal(["name", "population"], format.GetProperty("schema").GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order());
    }

    public sealed record City(string Name, int Population);
}

/// <summary>A gateway (<c>serve --upstream</c>) in front of a <see cref="RecordingUpstream"/>, with a demo key.</summary>
public sealed class RecordingUpstreamGateway : IAsyncLifetime
{
    public const string Key = "mk-test0003-Rc9wQ4tLm2XpZ7bN5vKd8sHa";

    private readonly TestDataDirectory _data = new("openai-tests");
    private GatewayNode? _node;

    public RecordingUpstream Upstream { get; } = new();

    public string BaseUrl { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        await Upstream.StartAsync();
        var options = GatewayNode.Options(_data.Path, Key);
        options.UpstreamUrl = Upstream.Url;
        _node = await GatewayNode.StartAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        BaseUrl = _node.BaseUrl;
    }

    public async ValueTask DisposeAsync()
    {
        if (_node is { } node)
        {
            await node.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        _data.Dispose();
    }
}

/// <summary>
/// An Anthropic upstream on a loopback port that keeps every Messages body it is sent and answers each with
/// <see cref="Answer"/> as the text: one JSON message, or an event stream when the request says <c>stream</c>.
/// </summary>
public sealed class RecordingUpstream : IAsyncDisposable
{
    public const string Answer = """{"name":"Oslo","population":709000}""";

    private readonly ConcurrentQueue<string> _bodies = new();
    private readonly ConcurrentDictionary<string, string?> _traceparents = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public Uri Url { get; private set; } = null!;

    /// <summary>The one body the upstream received whose text contains <paramref name="tag"/>.</summary>
    public JsonElement BodyContaining(string tag)
    {
        using var document = JsonDocument.Parse(Assert.Single(_bodies, b => b.Contains(tag, StringComparison.Ordinal)));
        return document.RootElement.Clone();
    }

    /// <summary>The W3C <c>traceparent</c> header of the one request whose body contains <paramref name="tag"/>, if it had one.</summary>
    public string? TraceparentOf(string tag) => _traceparents[Assert.Single(_bodies, b => b.Contains(tag, StringComparison.Ordinal))];

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/messages", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            _traceparents[body] = context.Request.Headers["traceparent"].FirstOrDefault();
            _bodies.Enqueue(body);
            using var request = JsonDocument.Parse(body);
            var model = request.RootElement.GetProperty("model").GetString()!;
            if (request.RootElement.TryGetProperty("stream", out var stream) && stream.GetBoolean())
            {
                context.Response.ContentType = "text/event-stream";
                StreamEvent[] events =
                [
                    new MessageStartEvent("msg_rec", model, new Usage(21, 1)),
                    new ContentBlockStartEvent(0, TextBlockHeader.Instance),
                    new TextDeltaEvent(0, Answer[..10]),
                    new TextDeltaEvent(0, Answer[10..]),
                    new ContentBlockStopEvent(0),
                    new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 12)),
                    MessageStopEvent.Instance,
                ];
                foreach (var streamEvent in events)
                {
                    SseFraming.Write(context.Response.BodyWriter, streamEvent);
                }

                await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
                return;
            }

            context.Response.ContentType = "application/json";
            var text = JsonSerializer.Serialize(Answer);
            await context.Response.WriteAsync(
                $$$"""{"id":"msg_rec","type":"message","role":"assistant","model":"{{{model}}}","content":[{"type":"text","text":{{{text}}}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":12}}""",
                context.RequestAborted);
        });
        await _app.StartAsync(TestContext.Current.CancellationToken);
        Url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
