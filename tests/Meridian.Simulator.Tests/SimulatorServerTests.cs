using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Protocol.Messages;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Simulator.Tests;

/// <summary>One simulator server on a free loopback port, shared by the HTTP tests.</summary>
public sealed class SimulatorServerFixture : IAsyncLifetime
{
    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = SimulatorServer.Build(new SimulatorServerOptions { Port = 0 });
        await App.StartAsync(TestContext.Current.CancellationToken);
        BaseAddress = SimulatorServer.GetBaseAddress(App);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}

public sealed class SimulatorServerTests(SimulatorServerFixture server) : IClassFixture<SimulatorServerFixture>, IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = server.BaseAddress };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Fact]
    public void Server_listens_on_loopback_on_a_port_it_picked()
    {
        Assert.Equal("127.0.0.1", server.BaseAddress.Host);
        Assert.NotEqual(0, server.BaseAddress.Port);
    }

    [Fact]
    public async Task Messages_answers_one_JSON_message()
    {
        using var response = await PostAsync("/v1/messages", Sim.Ask("Hello over HTTP"), Bearer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        AssertRequestId(response);
        using var json = await ReadJsonAsync(response);
        var message = json.RootElement;
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal(Sim.Model, message.GetProperty("model").GetString());
        Assert.Matches("^msg_[A-Za-z0-9]{24}$", message.GetProperty("id").GetString());
        var block = Assert.Single(message.GetProperty("content").EnumerateArray());
        Assert.Equal("text", block.GetProperty("type").GetString());
        Assert.Contains("Hello over HTTP", block.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);
        var usage = message.GetProperty("usage");
        using var request = Sim.Parse(Sim.Ask("Hello over HTTP"));
        Assert.Equal(TokenCounter.CountInput(request), usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(TokenCounter.Count(block.GetProperty("text").GetString()!), usage.GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Messages_with_stream_true_answers_server_sent_events_with_event_lines()
    {
        var body = Sim.Ask("Stream it");
        body["stream"] = true;

        using var response = await PostAsync("/v1/messages", body, ApiKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        AssertRequestId(response);
        var frames = ParseSse(await response.Content.ReadAsStringAsync(Ct));
        Assert.All(frames, f => Assert.Equal(f.Event, f.Data.RootElement.GetProperty("type").GetString()));
        var names = frames.Select(f => f.Event).ToList();
        Assert.Equal(["message_start", "content_block_start", "ping"], names[..3]);
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names[^3..]);
        Assert.All(names[3..^3], n => Assert.Equal("content_block_delta", n));

        var streamed = string.Concat(frames
            .Where(f => f.Event == "content_block_delta")
            .Select(f => f.Data.RootElement.GetProperty("delta").GetProperty("text").GetString()));
        using var whole = await PostAsync("/v1/messages", Sim.Ask("Stream it"), ApiKey);
        using var message = await ReadJsonAsync(whole);
        Assert.Equal(message.RootElement.GetProperty("content")[0].GetProperty("text").GetString(), streamed);
        Assert.Equal("end_turn", frames[^2].Data.RootElement.GetProperty("delta").GetProperty("stop_reason").GetString());
        foreach (var frame in frames)
        {
            frame.Data.Dispose();
        }
    }

    [Fact]
    public async Task Same_request_gets_the_same_message_apart_from_its_id()
    {
        using var first = await PostAsync("/v1/messages", Sim.Ask("Twice"), ApiKey);
        using var second = await PostAsync("/v1/messages", Sim.Ask("Twice"), ApiKey);

        var a = JsonNode.Parse(await first.Content.ReadAsStringAsync(Ct))!.AsObject();
        var b = JsonNode.Parse(await second.Content.ReadAsStringAsync(Ct))!.AsObject();
        Assert.NotEqual(a["id"]!.GetValue<string>(), b["id"]!.GetValue<string>());
        a.Remove("id");
        b.Remove("id");
        Assert.Equal(a.ToJsonString(), b.ToJsonString());
    }

    [Fact]
    public async Task Tool_calls_come_back_as_tool_use_blocks_with_object_input()
    {
        var body = Sim.Ask("Go");
        body["tools"] = JsonNode.Parse("""[{"name":"search","input_schema":{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer","minimum":5}},"required":["query","limit"]}}]""");
        body["tool_choice"] = JsonNode.Parse("""{"type":"any"}""");

        using var response = await PostAsync("/v1/messages", body, ApiKey);

        using var json = await ReadJsonAsync(response);
        var block = Assert.Single(json.RootElement.GetProperty("content").EnumerateArray());
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.Equal("search", block.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.String, block.GetProperty("input").GetProperty("query").ValueKind);
        Assert.Equal(5, block.GetProperty("input").GetProperty("limit").GetInt32());
        Assert.Equal("tool_use", json.RootElement.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public async Task Foundry_style_paths_answer_the_same_way()
    {
        using var response = await PostAsync("/anthropic/v1/messages", Sim.Ask("Foundry"), ApiKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = await ReadJsonAsync(response);
        Assert.Contains("Foundry", json.RootElement.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/messages/count_tokens")]
    [InlineData("/anthropic/v1/messages/count_tokens")]
    public async Task Count_tokens_answers_input_tokens(string path)
    {
        var body = Sim.Ask("How many tokens is this sentence?");
        body.Remove("max_tokens");
        body["system"] = "Count carefully.";

        using var response = await PostAsync(path, body, Bearer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertRequestId(response);
        using var json = await ReadJsonAsync(response);
        Assert.True(MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(body.ToJsonString()), isCountTokens: true, out var request, out _));
        using (request)
        {
            Assert.Equal(TokenCounter.CountInput(request), json.RootElement.GetProperty("input_tokens").GetInt32());
        }

        Assert.Single(json.RootElement.EnumerateObject());
    }

    [Fact]
    public async Task Models_lists_the_simulator_model_like_Anthropic()
    {
        using var response = await SendAsync(HttpMethod.Get, "/v1/models?limit=5", null, Bearer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertRequestId(response);
        using var json = await ReadJsonAsync(response);
        var model = Assert.Single(json.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("model", model.GetProperty("type").GetString());
        Assert.Equal(SimulatorServer.DefaultModelId, model.GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(model.GetProperty("display_name").GetString()));
        Assert.True(DateTimeOffset.TryParse(model.GetProperty("created_at").GetString(), out _));
        Assert.False(json.RootElement.GetProperty("has_more").GetBoolean());
        Assert.Equal(SimulatorServer.DefaultModelId, json.RootElement.GetProperty("first_id").GetString());
        Assert.Equal(SimulatorServer.DefaultModelId, json.RootElement.GetProperty("last_id").GetString());
    }

    [Fact]
    public async Task Models_after_the_only_model_is_an_empty_page()
    {
        using var response = await SendAsync(HttpMethod.Get, $"/v1/models?after_id={SimulatorServer.DefaultModelId}", null, Bearer);

        using var json = await ReadJsonAsync(response);
        Assert.Empty(json.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("first_id").ValueKind);
        Assert.False(json.RootElement.GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task Models_rejects_a_bad_limit()
    {
        using var response = await SendAsync(HttpMethod.Get, "/v1/models?limit=0", null, Bearer);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
    }

    [Fact]
    public async Task One_model_by_id_and_404_for_others()
    {
        using var found = await SendAsync(HttpMethod.Get, $"/v1/models/{SimulatorServer.DefaultModelId}", null, ApiKey);
        using var missing = await SendAsync(HttpMethod.Get, "/v1/models/claude-nonexistent", null, ApiKey);

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        using var json = await ReadJsonAsync(found);
        Assert.Equal(SimulatorServer.DefaultModelId, json.RootElement.GetProperty("id").GetString());
        await AssertErrorAsync(missing, HttpStatusCode.NotFound, "not_found_error");
    }

    [Theory]
    [InlineData("/v1/messages")]
    [InlineData("/v1/messages/count_tokens")]
    [InlineData("/anthropic/v1/messages")]
    public async Task Requests_without_an_api_key_get_401(string path)
    {
        using var response = await PostAsync(path, Sim.Ask("no key"), _ => { });

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task Models_without_an_api_key_get_401()
    {
        using var response = await SendAsync(HttpMethod.Get, "/v1/models", null, _ => { });

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task An_empty_bearer_token_is_no_key()
    {
        using var response = await PostAsync("/v1/messages", Sim.Ask("empty"), h => h.TryAddWithoutValidation("Authorization", "Bearer "));

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task Malformed_JSON_gets_400_invalid_request_error()
    {
        using var response = await SendAsync(HttpMethod.Post, "/v1/messages", "{\"model\": \"x\", ", ApiKey);

        var message = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.Contains("not valid JSON", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_missing_max_tokens_gets_400_naming_the_field()
    {
        var body = Sim.Ask("no max");
        body.Remove("max_tokens");

        using var response = await PostAsync("/v1/messages", body, ApiKey);

        var message = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.StartsWith("max_tokens", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_body_gets_400()
    {
        using var response = await SendAsync(HttpMethod.Post, "/v1/messages/count_tokens", string.Empty, ApiKey);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
    }

    [Fact]
    public async Task Unknown_paths_get_404_in_Anthropic_shape()
    {
        using var response = await SendAsync(HttpMethod.Get, "/v1/nothing-here", null, ApiKey);

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "not_found_error");
    }

    [Fact]
    public async Task Every_response_carries_a_fresh_request_id()
    {
        using var ok = await PostAsync("/v1/messages", Sim.Ask("ids"), ApiKey);
        using var unauthorized = await PostAsync("/v1/messages", Sim.Ask("ids"), _ => { });

        var a = AssertRequestId(ok);
        var b = AssertRequestId(unauthorized);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_does_not_break_the_server()
    {
        await using var slow = SimulatorServer.Build(new SimulatorServerOptions
        {
            Simulator = new SimulatorOptions { PerTokenDelay = TimeSpan.FromMilliseconds(20) },
        });
        await slow.StartAsync(Ct);
        // No draining on dispose: the connection closes mid-stream, as when a user closes the tab.
        using var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0 };
        using var client = new HttpClient(handler) { BaseAddress = SimulatorServer.GetBaseAddress(slow) };
        var body = Sim.Ask("slow stream");
        body["stream"] = true;

        using (var request = NewRequest(HttpMethod.Post, "/v1/messages", body.ToJsonString(), ApiKey))
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await using var stream = await response.Content.ReadAsStreamAsync(Ct);
            var buffer = new byte[64];
            Assert.True(await stream.ReadAsync(buffer, Ct) > 0);
        }

        using var again = NewRequest(HttpMethod.Post, "/v1/messages", Sim.Ask("still there?", maxTokens: 3).ToJsonString(), ApiKey);
        using var after = await client.SendAsync(again, Ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        await slow.StopAsync(Ct);
    }

    private static void ApiKey(HttpRequestHeaders headers) => headers.Add("x-api-key", "sk-anything");

    private static void Bearer(HttpRequestHeaders headers) => headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-anything");

    private Task<HttpResponseMessage> PostAsync(string path, JsonNode body, Action<HttpRequestHeaders> auth) =>
        SendAsync(HttpMethod.Post, path, body.ToJsonString(), auth);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body, Action<HttpRequestHeaders> auth)
    {
        using var request = NewRequest(method, path, body, auth);
        return await _client.SendAsync(request, Ct);
    }

    private static HttpRequestMessage NewRequest(HttpMethod method, string path, string? body, Action<HttpRequestHeaders> auth)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("anthropic-version", "2023-06-01");
        auth(request.Headers);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

    private static string AssertRequestId(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("request-id", out var values), "request-id header missing");
        var id = Assert.Single(values);
        Assert.Matches("^req_[A-Za-z0-9]{24}$", id);
        return id;
    }

    /// <summary>Checks Anthropic's error shape and returns error.message.</summary>
    private static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorType)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var requestId = AssertRequestId(response);
        using var json = await ReadJsonAsync(response);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(errorType, json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(requestId, json.RootElement.GetProperty("request_id").GetString());
        return json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
    }

    private static List<(string Event, JsonDocument Data)> ParseSse(string text)
    {
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var frames = new List<(string, JsonDocument)>();
        foreach (var frame in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            frames.Add((lines[0]["event: ".Length..], JsonDocument.Parse(lines[1]["data: ".Length..])));
        }

        return frames;
    }
}
