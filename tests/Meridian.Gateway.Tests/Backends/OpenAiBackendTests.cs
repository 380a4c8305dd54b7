using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meridian.Gateway.Tests.Backends;

/// <summary>
/// The <c>openai</c> backend kind end to end: a real gateway over HTTP, configured with a config file, in front of
/// small OpenAI-compatible servers the test starts (Kestrel on loopback), which record what they were sent and
/// stream <c>chat.completion.chunk</c> events back. The demo deployment is a data-zone deployment in eastus, so
/// <c>vllm-us</c> (eastus) is inside its boundary and <c>vllm-eu</c> (swedencentral) must never be called.
/// </summary>
public sealed class OpenAiBackendTests : IAsyncLifetime
{
    private const string UpstreamKey = "sk-upstream-test-7Hq2";

    private readonly string _keyEnv = "MERIDIAN_TEST_OPENAI_KEY_" + Guid.NewGuid().ToString("N");
    private FakeOpenAiServer _us = null!;
    private FakeOpenAiServer _eu = null!;
    private OpenAiGateway _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Model => DemoSeed.DeploymentName;

    public async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable(_keyEnv, UpstreamKey);
        _us = await FakeOpenAiServer.StartAsync();
        _eu = await FakeOpenAiServer.StartAsync();
        _gateway = await OpenAiGateway.StartAsync($$"""
            [
              {"id":"vllm-us","kind":"openai","url":"{{_us.ApiBase}}","api_key_env":"{{_keyEnv}}","region":"eastus","models":["{{Model}}"]},
              {"id":"vllm-eu","kind":"openai","url":"{{_eu.ApiBase}}","region":"swedencentral","models":["{{Model}}"]}
            ]
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _us.DisposeAsync();
        await _eu.DisposeAsync();
        Environment.SetEnvironmentVariable(_keyEnv, null);
    }

    [Fact]
    public async Task A_non_streaming_message_is_answered_from_the_openai_upstream()
    {
        _us.Respond = FakeOpenAiServer.Stream(
            Chunks.Role(),
            Chunks.Text("Hello from "),
            Chunks.Text("vLLM."),
            Chunks.Finish("stop"),
            Chunks.Usage(prompt: 31, completion: 5));

        using var response = await _gateway.Client.SendAsync(GatewayFixture.JsonPost("v1/messages", $$"""
            {"model":"{{Model}}","max_tokens":256,"system":"Answer in English.","temperature":0.3,
             "messages":[{"role":"user","content":"Say hello."}]}
            """), Ct);

        using var message = await ApiAssert.MessageAsync(response);
        var root = message.RootElement;
        Assert.StartsWith("msg_", root.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(Model, root.GetProperty("model").GetString());
        var content = Assert.Single(root.GetProperty("content").EnumerateArray());
        Assert.Equal("text", content.GetProperty("type").GetString());
        Assert.Equal("Hello from vLLM.", content.GetProperty("text").GetString());
        Assert.Equal("end_turn", root.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stop_sequence").ValueKind);
        Assert.Equal(31, root.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal(5, root.GetProperty("usage").GetProperty("output_tokens").GetInt32());

        var sent = Assert.Single(_us.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer " + UpstreamKey, sent.Authorization);
        using var body = JsonDocument.Parse(sent.Body);
        var request = body.RootElement;
        Assert.Equal(Model, request.GetProperty("model").GetString());
        var messages = request.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal(["system", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("Answer in English.", messages[0].GetProperty("content").GetString());
        Assert.Equal("Say hello.", messages[1].GetProperty("content").GetString());
        Assert.Equal(256, request.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.3, request.GetProperty("temperature").GetDouble());
        Assert.True(request.GetProperty("stream").GetBoolean());
        Assert.True(request.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Empty(_eu.Requests);
    }

    [Fact]
    public async Task A_streaming_message_arrives_as_anthropic_events_in_protocol_order()
    {
        _us.Respond = FakeOpenAiServer.Stream(
            Chunks.Role(),
            Chunks.Text("One, "),
            Chunks.Delta("{}"),
            Chunks.Text("two, "),
            Chunks.Text("three."),
            Chunks.Finish("length"),
            Chunks.Usage(prompt: 12, completion: 6));

        var events = await StreamAsync($$"""
            {"model":"{{Model}}","max_tokens":6,"stream":true,"messages":[{"role":"user","content":"Count."}]}
            """);

        var names = events.Select(e => e.Name).ToList();
        Assert.Equal(["message_start", "content_block_start"], names.Take(2));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names.TakeLast(3));
        Assert.All(names.Skip(2).SkipLast(3), name => Assert.Equal("content_block_delta", name));
        Assert.All(events, e => Assert.Equal(e.Name, e.Data.GetProperty("type").GetString()));

        Assert.Equal("text", events[1].Data.GetProperty("content_block").GetProperty("type").GetString());
        var text = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("One, two, three.", text);

        var delta = events[^2].Data;
        Assert.Equal("max_tokens", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(6, delta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(12, delta.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Empty(_eu.Requests);
    }

    [Fact]
    public async Task A_streamed_tool_call_arrives_as_tool_use_with_input_json_deltas_that_parse_to_the_upstreams_arguments()
    {
        const string arguments = """{"location": "Stockholm, SE", "unit": "celsius", "days": [1, 2, 3]}""";
        _us.Respond = FakeOpenAiServer.Stream(
        [
            Chunks.Role(),
            Chunks.Text("Checking."),
            Chunks.ToolCall(0, "call_Zx81", "get_forecast", string.Empty),
            .. Chunks.Pieces(arguments, 6).Select(piece => Chunks.ToolCall(0, null, null, piece)),
            Chunks.Finish("tool_calls"),
            Chunks.Usage(prompt: 140, completion: 33),
        ]);

        var events = await StreamAsync($$$"""
            {"model":"{{{Model}}}","max_tokens":512,"stream":true,"system":[{"type":"text","text":"You forecast weather."}],
             "tools":[{"name":"get_forecast","description":"Forecast for a place",
                       "input_schema":{"type":"object","properties":{"location":{"type":"string"},"unit":{"type":"string"},"days":{"type":"array"}},"required":["location"]}}],
             "tool_choice":{"type":"any","disable_parallel_tool_use":true},
             "messages":[{"role":"user","content":"Forecast for Stockholm?"}]}
            """);

        var toolStart = Assert.Single(events, e => e.Name == "content_block_start" && e.Data.GetProperty("content_block").GetProperty("type").GetString() == "tool_use");
        var block = toolStart.Data.GetProperty("content_block");
        Assert.Equal(1, toolStart.Data.GetProperty("index").GetInt32());
        Assert.Equal("call_Zx81", block.GetProperty("id").GetString());
        Assert.Equal("get_forecast", block.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Object, block.GetProperty("input").ValueKind);

        var jsonDeltas = events
            .Where(e => e.Name == "content_block_delta" && e.Data.GetProperty("delta").GetProperty("type").GetString() == "input_json_delta")
            .ToList();
        Assert.True(jsonDeltas.Count > 5, "the arguments should stream in many input_json_delta pieces");
        Assert.All(jsonDeltas, e => Assert.Equal(1, e.Data.GetProperty("index").GetInt32()));
        var input = string.Concat(jsonDeltas.Select(e => e.Data.GetProperty("delta").GetProperty("partial_json").GetString()));
        using (var parsed = JsonDocument.Parse(input))
        using (var original = JsonDocument.Parse(arguments))
        {
            Assert.True(JsonElement.DeepEquals(original.RootElement, parsed.RootElement), input);
        }

        Assert.Equal("tool_use", events[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start"],
            events.Select(e => e.Name).Take(5));

        using var body = JsonDocument.Parse(Assert.Single(_us.Requests).Body);
        var request = body.RootElement;
        var messages = request.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("You forecast weather.", messages[0].GetProperty("content").GetString());
        var tool = Assert.Single(request.GetProperty("tools").EnumerateArray());
        Assert.Equal("function", tool.GetProperty("type").GetString());
        Assert.Equal("get_forecast", tool.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Forecast for a place", tool.GetProperty("function").GetProperty("description").GetString());
        Assert.Equal(["location"], tool.GetProperty("function").GetProperty("parameters").GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("required", request.GetProperty("tool_choice").GetString());
        Assert.False(request.GetProperty("parallel_tool_calls").GetBoolean());
        Assert.True(request.GetProperty("stream").GetBoolean());
        Assert.True(request.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task A_tool_call_answered_without_streaming_is_a_tool_use_block_whose_input_is_the_upstreams_arguments()
    {
        _us.Respond = FakeOpenAiServer.Stream(
        [
            Chunks.ToolCall(0, "call_1", "lookup", string.Empty),
            .. Chunks.Pieces("""{"sku":"A-17","qty":2}""", 4).Select(piece => Chunks.ToolCall(0, null, null, piece)),
            Chunks.Finish("tool_calls"),
        ]);

        using var response = await _gateway.Client.SendAsync(GatewayFixture.JsonPost("v1/messages", $$$"""
            {"model":"{{{Model}}}","max_tokens":100,"tools":[{"name":"lookup","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":"Stock of A-17?"}]}
            """), Ct);

        using var message = await ApiAssert.MessageAsync(response);
        var block = Assert.Single(message.RootElement.GetProperty("content").EnumerateArray());
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.Equal("call_1", block.GetProperty("id").GetString());
        Assert.Equal("A-17", block.GetProperty("input").GetProperty("sku").GetString());
        Assert.Equal(2, block.GetProperty("input").GetProperty("qty").GetInt32());
        Assert.Equal("tool_use", message.RootElement.GetProperty("stop_reason").GetString());
        Assert.True(message.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0, "usage is counted when the upstream sends none");
    }

    [Fact]
    public async Task The_tool_result_turn_reaches_the_upstream_as_tool_calls_and_a_tool_message()
    {
        _us.Respond = FakeOpenAiServer.Stream(Chunks.Text("It is 18C."), Chunks.Finish("stop"), Chunks.Usage(90, 6));

        using var response = await _gateway.Client.SendAsync(GatewayFixture.JsonPost("v1/messages", $$$"""
            {"model":"{{{Model}}}","max_tokens":100,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],
             "messages":[
               {"role":"user","content":"Weather in Oslo?"},
               {"role":"assistant","content":[{"type":"tool_use","id":"call_Zx81","name":"get_weather","input":{"city":"Oslo"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_Zx81","content":"18C, clear"}]}]}
            """), Ct);

        using var message = await ApiAssert.MessageAsync(response);
        Assert.Equal("It is 18C.", message.RootElement.GetProperty("content")[0].GetProperty("text").GetString());

        using var body = JsonDocument.Parse(Assert.Single(_us.Requests).Body);
        var messages = body.RootElement.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal(["user", "assistant", "tool"], messages.Select(m => m.GetProperty("role").GetString()));
        var call = Assert.Single(messages[1].GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("call_Zx81", call.GetProperty("id").GetString());
        Assert.Equal("""{"city":"Oslo"}""", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("call_Zx81", messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("18C, clear", messages[2].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_upstream_429_reaches_the_client_as_a_429_rate_limit_error(bool stream)
    {
        _us.Respond = FakeOpenAiServer.Status(429, """{"error":{"message":"Too many requests in flight","type":"rate_limit","code":429}}""");

        using var response = await _gateway.Client.SendAsync(GatewayFixture.JsonPost("v1/messages", $$"""
            {"model":"{{Model}}","max_tokens":10,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}
            """), Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.TooManyRequests, "rate_limit_error");
        Assert.Single(_us.Requests);
        Assert.Empty(_eu.Requests);
    }

    [Fact]
    public async Task An_upstream_that_rejects_the_gateways_credentials_is_a_502_not_the_callers_401()
    {
        _us.Respond = FakeOpenAiServer.Status(401, """{"error":{"message":"Incorrect API key provided: sk-upstr***","type":"invalid_request_error","code":"invalid_api_key"}}""");

        using var response = await _gateway.Client.SendAsync(GatewayFixture.JsonPost("v1/messages", $$"""
            {"model":"{{Model}}","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}
            """), Ct);

        var (status, errorType, message) = await ErrorOfAsync(response);
        Assert.Equal((HttpStatusCode.BadGateway, "api_error"), (status, errorType));
        Assert.Contains("credentials", message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_that_is_down_fails_closed_with_503_and_nothing_is_sent_outside_the_boundary()
    {
        var deadPort = FreePortWithNothingListening();
        await using var gateway = await OpenAiGateway.StartAsync($$"""
            [
              {"id":"vllm-us","kind":"openai","url":"http://127.0.0.1:{{deadPort}}/v1/","region":"eastus","models":["{{Model}}"]},
              {"id":"vllm-eu","kind":"openai","url":"{{_eu.ApiBase}}","region":"swedencentral","models":["{{Model}}"]}
            ]
            """);

        foreach (var stream in new[] { false, true })
        {
            using var response = await gateway.Client.SendAsync(GatewayFixture.JsonPost("v1/messages", $$"""
                {"model":"{{Model}}","max_tokens":10,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}
                """), Ct);

            var (status, errorType, message) = await ErrorOfAsync(response);
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "api_error"), (status, errorType));

            // The in-boundary backend was tried (and could not be reached), rather than none being eligible.
            Assert.Contains("upstream could not be reached", message, StringComparison.Ordinal);
        }

        Assert.Empty(_eu.Requests);
    }

    private async Task<List<SseEvent>> StreamAsync(string json)
    {
        using var response = await _gateway.Client.SendAsync(GatewayFixture.JsonPost("v1/messages", json), HttpCompletionOption.ResponseHeadersRead, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var events = SseText.Events(text);
        Assert.DoesNotContain(events, e => e.Name == "error");
        return events;
    }

    private static async Task<(HttpStatusCode Status, string? Type, string Message)> ErrorOfAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        ApiAssert.RequestId(response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(text);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        var error = body.RootElement.GetProperty("error");
        return (response.StatusCode, error.GetProperty("type").GetString(), error.GetProperty("message").GetString() ?? string.Empty);
    }

    private static int FreePortWithNothingListening()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary><c>chat.completion.chunk</c> payloads shaped like vLLM's.</summary>
    private static class Chunks
    {
        private static string Q(string value) => "\"" + JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"";

        public static string Delta(string delta, string? finish = null) =>
            $$$"""{"id":"chatcmpl-b71e","object":"chat.completion.chunk","created":1764400000,"model":"{{{Model}}}","choices":[{"index":0,"delta":{{{delta}}},"logprobs":null,"finish_reason":{{{(finish is null ? "null" : Q(finish))}}}}]}""";

        public static string Role() => Delta("""{"role":"assistant","content":""}""");

        public static string Text(string text) => Delta("{\"content\":" + Q(text) + "}");

        public static string Finish(string reason) => Delta("{}", reason);

        public static string ToolCall(int index, string? id, string? name, string arguments)
        {
            var head = id is null ? $"\"index\":{index}" : $"\"index\":{index},\"id\":{Q(id)},\"type\":\"function\"";
            var function = name is null ? $"\"arguments\":{Q(arguments)}" : $"\"name\":{Q(name)},\"arguments\":{Q(arguments)}";
            return Delta("{\"tool_calls\":[{" + head + ",\"function\":{" + function + "}}]}");
        }

        public static string Usage(int prompt, int completion) =>
            $$$"""{"id":"chatcmpl-b71e","object":"chat.completion.chunk","created":1764400000,"model":"{{{Model}}}","choices":[],"usage":{"prompt_tokens":{{{prompt}}},"total_tokens":{{{prompt + completion}}},"completion_tokens":{{{completion}}}}}""";

        public static IEnumerable<string> Pieces(string text, int size)
        {
            for (var i = 0; i < text.Length; i += size)
            {
                yield return text.Substring(i, Math.Min(size, text.Length - i));
            }
        }
    }
}

/// <summary>
/// A minimal OpenAI-compatible server: <c>POST /v1/chat/completions</c> records the request and answers with
/// whatever <see cref="Respond"/> says (by default, a short streamed answer).
/// </summary>
internal sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOpenAiServer(WebApplication app)
    {
        _app = app;
    }

    public sealed record RecordedRequest(string Path, string Authorization, string Body);

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Func<HttpContext, Task> Respond { get; set; } = Stream(
        """{"id":"chatcmpl-0","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}""");

    /// <summary>The API root as an operator configures it, e.g. <c>http://127.0.0.1:41234/v1/</c>.</summary>
    public Uri ApiBase { get; private set; } = null!;

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.ApiBase = new Uri(address.TrimEnd('/') + "/v1/");
        return server;
    }

    /// <summary>Streams each payload as an SSE <c>data:</c> event, flushing between them, then <c>data: [DONE]</c>.</summary>
    public static Func<HttpContext, Task> Stream(params string[] payloads) => async context =>
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        foreach (var payload in payloads)
        {
            await context.Response.WriteAsync($"data: {payload}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    };

    public static Func<HttpContext, Task> Status(int status, string json) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, context.RequestAborted);
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        Requests.Enqueue(new RecordedRequest(context.Request.Path, context.Request.Headers.Authorization.ToString(), body));
        await Respond(context);
    }
}

/// <summary>A gateway on a free loopback port whose backends come from a config file, over a fresh data directory.</summary>
internal sealed class OpenAiGateway : IAsyncDisposable
{
    private readonly GatewayNode _node;
    private readonly TestDataDirectory _directory;

    private OpenAiGateway(GatewayNode node, TestDataDirectory directory)
    {
        _node = node;
        _directory = directory;
    }

    public HttpClient Client => _node.Http;

    /// <param name="backendsJson">The <c>backends</c> array of the config file.</param>
    public static async Task<OpenAiGateway> StartAsync(string backendsJson)
    {
        var directory = new TestDataDirectory("openai-tests");
        var data = Path.Combine(directory.Path, "data");
        Directory.CreateDirectory(data);
        var configFile = Path.Combine(directory.Path, "meridian.json");
        await File.WriteAllTextAsync(configFile, "{\"backends\":" + backendsJson + "}", TestContext.Current.CancellationToken);

        var options = GatewayNode.Options(data, GatewayFixture.DemoKey);
        options.ConfigFile = configFile;
        return new OpenAiGateway(await GatewayNode.StartAsync(options, cancellationToken: TestContext.Current.CancellationToken), directory);
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        _directory.Dispose();
    }
}
