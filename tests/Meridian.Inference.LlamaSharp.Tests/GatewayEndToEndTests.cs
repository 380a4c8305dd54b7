using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Meridian.Storage.Control;

namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>
/// The gateway over real HTTP with one <c>llamasharp</c> backend (the tiny GGUF) declared in a config file, in the demo
/// deployment's region: <c>/v1/messages</c> answers with tokens llama.cpp generated, and the receipt names the backend.
/// </summary>
public sealed class GatewayEndToEndTests : IAsyncLifetime
{
    private const string DemoKey = "mk-llama001-Qm4vT8zLw2PxR6nB3sKd9fHy";
    private const string BackendId = "llama-eastus";

    private readonly TestDataDirectory _directory = new("llamasharp-gateway");
    private GatewayNode? _node;
    private HttpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var model = Path.Combine(_directory.Path, "tiny.gguf");
        TinyGguf.Write(model, TinyModelFixture.Seed);
        var config = Path.Combine(_directory.Path, "meridian.json");
        await File.WriteAllTextAsync(config, $$"""
            { "backends": [ { "id": "{{BackendId}}", "kind": "llamasharp", "model_path": {{JsonSerializer.Serialize(model)}}, "region": "{{DemoSeed.ResourceRegion}}" } ] }
            """, Ct);

        var options = GatewayNode.Options(Path.Combine(_directory.Path, "data"), DemoKey);
        options.ConfigFile = config;
        _node = await GatewayNode.StartAsync(options, cancellationToken: Ct);
        _client = _node.Http;
    }

    public async ValueTask DisposeAsync()
    {
        if (_node is { } node)
        {
            await node.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task A_message_is_answered_by_the_in_process_model_and_receipted()
    {
        using var response = await _client.SendAsync(Post(stream: false), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);

        using var json = JsonDocument.Parse(body);
        var message = json.RootElement;
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("max_tokens", message.GetProperty("stop_reason").GetString());
        var text = message.GetProperty("content")[0].GetProperty("text").GetString();
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.Equal(16, message.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.True(message.GetProperty("usage").GetProperty("input_tokens").GetInt32() > 0);

        // The same request again: greedy decoding, the same answer.
        using var again = await _client.SendAsync(Post(stream: false), Ct);
        using var againJson = JsonDocument.Parse(await again.Content.ReadAsStringAsync(Ct));
        Assert.Equal(text, againJson.RootElement.GetProperty("content")[0].GetProperty("text").GetString());

        using var receipt = await ReceiptAsync(RequestId(response));
        Assert.Equal($"{BackendId} (llamasharp)", receipt.RootElement.GetProperty("backend").GetString());
        Assert.Equal(DemoSeed.ResourceRegion, receipt.RootElement.GetProperty("processing_region").GetString());
        Assert.Equal(16, receipt.RootElement.GetProperty("output_tokens").GetInt32());
        Assert.DoesNotContain(text!, receipt.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_message_carries_the_generated_tokens_as_text_deltas()
    {
        using var plain = await _client.SendAsync(Post(stream: false), Ct);
        using var plainJson = JsonDocument.Parse(await plain.Content.ReadAsStringAsync(Ct));
        var expected = plainJson.RootElement.GetProperty("content")[0].GetProperty("text").GetString();

        using var response = await _client.SendAsync(Post(stream: true), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync(Ct))
            .Split('\n')
            .Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement)
            .ToList();

        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("message_start", types[0]);
        Assert.Equal("content_block_start", types[1]);
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], types[^3..]);
        Assert.All(types[2..^3], t => Assert.Equal("content_block_delta", t));
        var streamed = string.Concat(events.Where(e => e.GetProperty("type").GetString() == "content_block_delta")
            .Select(e => e.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal(expected, streamed);

        using var receipt = await ReceiptAsync(RequestId(response));
        Assert.Equal($"{BackendId} (llamasharp)", receipt.RootElement.GetProperty("backend").GetString());
        Assert.True(receipt.RootElement.GetProperty("streamed").GetBoolean());
    }

    [Fact]
    public async Task A_required_tool_call_is_a_400_that_names_the_limitation()
    {
        using var request = Json($$"""
            {"model":"{{DemoSeed.DeploymentName}}","max_tokens":16,"tools":[{"name":"lookup","input_schema":{"type":"object"} }],
             "tool_choice":{"type":"any"},"messages":[{"role":"user","content":"Look it up."}]}
            """);
        using var response = await _client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("does not support tools", json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Post(bool stream) => Json($$"""
        {"model":"{{DemoSeed.DeploymentName}}","max_tokens":16,"stream":{{(stream ? "true" : "false")}},
         "messages":[{"role":"user","content":"Say something, tiny model."}]}
        """);

    private static HttpRequestMessage Json(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("x-api-key", DemoKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    private static string RequestId(HttpResponseMessage response) => Assert.Single(response.Headers.GetValues("request-id"));

    private async Task<JsonDocument> ReceiptAsync(string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", DemoKey);
        using var response = await _client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body);
    }
}
