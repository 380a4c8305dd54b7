using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meridian.Gateway.Tests;

/// <summary>
/// The SSE bytes themselves, read line by line over raw HTTP: what the SDKs' parsers depend on (PROTOCOL.md,
/// "Streaming"): an <c>event:</c> line, one single-line <c>data:</c> JSON whose type is the event name, a blank line.
/// </summary>
public sealed class SseFramingOverHttpTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private const string Body = """
        {"model":"claude-sonnet-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Stream a few words about the northern tide"}]}
        """;

    private readonly HttpClient _client = gateway.CreateHttpClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData("/v1/messages")]
    [InlineData("/anthropic/v1/messages")]
    public async Task A_stream_is_framed_event_by_event_in_protocol_order(string path)
    {
        var events = await StreamAsync(path);

        var names = events.Select(e => e.Name).ToList();
        Assert.Equal(["message_start", "content_block_start", "ping"], names.Take(3));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names.TakeLast(3));
        var middle = names.Skip(3).SkipLast(3).ToList();
        Assert.NotEmpty(middle);
        Assert.All(middle, name => Assert.Equal("content_block_delta", name));

        var start = events[0].Data.GetProperty("message");
        Assert.Equal("message", start.GetProperty("type").GetString());
        Assert.Equal("assistant", start.GetProperty("role").GetString());
        Assert.StartsWith("msg_", start.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, start.GetProperty("content").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, start.GetProperty("stop_reason").ValueKind);
        Assert.True(start.GetProperty("usage").GetProperty("input_tokens").GetInt32() > 0, "message_start usage.input_tokens should be positive");

        var blockStart = events[1].Data;
        Assert.Equal(0, blockStart.GetProperty("index").GetInt32());
        Assert.Equal("text", blockStart.GetProperty("content_block").GetProperty("type").GetString());

        var text = new StringBuilder();
        foreach (var delta in events.Where(e => e.Name == "content_block_delta"))
        {
            Assert.Equal(0, delta.Data.GetProperty("index").GetInt32());
            Assert.Equal("text_delta", delta.Data.GetProperty("delta").GetProperty("type").GetString());
            text.Append(delta.Data.GetProperty("delta").GetProperty("text").GetString());
        }

        Assert.Contains("Stream a few words about the northern tide", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, events[^3].Data.GetProperty("index").GetInt32());

        var messageDelta = events[^2].Data;
        Assert.Equal("end_turn", messageDelta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.True(messageDelta.GetProperty("delta").TryGetProperty("stop_sequence", out var stopSequence), "message_delta should carry stop_sequence");
        Assert.Equal(JsonValueKind.Null, stopSequence.ValueKind);
        Assert.True(messageDelta.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0, "message_delta usage.output_tokens should be positive");
    }

    [Fact]
    public async Task The_Foundry_path_streams_the_same_events_as_the_plain_path()
    {
        var plain = await StreamAsync("/v1/messages");
        var foundry = await StreamAsync("/anthropic/v1/messages");

        Assert.Equal(plain.Select(Normalized), foundry.Select(Normalized));
    }

    [Fact]
    public async Task A_streamed_answer_carries_the_same_text_and_usage_as_the_JSON_answer()
    {
        var events = await StreamAsync("/v1/messages");
        using var request = GatewayFixture.JsonPost("/v1/messages", Body.Replace("\"stream\":true,", string.Empty, StringComparison.Ordinal));
        using var response = await _client.SendAsync(request, Ct);
        using var message = await ApiAssert.MessageAsync(response);

        var streamedText = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()));
        var jsonText = string.Concat(message.RootElement.GetProperty("content").EnumerateArray().Select(b => b.GetProperty("text").GetString()));
        Assert.Equal(jsonText, streamedText);
        var usage = message.RootElement.GetProperty("usage");
        Assert.Equal(usage.GetProperty("output_tokens").GetInt32(), events[^2].Data.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("input_tokens").GetInt32(), events[0].Data.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    /// <summary>Sends the streaming request and parses the body strictly, frame by frame.</summary>
    private async Task<List<SseEvent>> StreamAsync(string path)
    {
        using var request = GatewayFixture.JsonPost(path, Body);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        ApiAssert.RequestId(response);

        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var events = new List<SseEvent>();
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (line.Length == 0 && events.Count > 0 && events[^1].Name == "message_stop")
            {
                continue;
            }

            Assert.StartsWith("event: ", line, StringComparison.Ordinal);
            var name = line["event: ".Length..];
            var dataLine = await reader.ReadLineAsync(Ct);
            Assert.NotNull(dataLine);
            Assert.StartsWith("data: ", dataLine, StringComparison.Ordinal);
            var data = JsonDocument.Parse(dataLine["data: ".Length..]).RootElement.Clone();
            Assert.Equal(name, data.GetProperty("type").GetString());
            Assert.Equal(string.Empty, await reader.ReadLineAsync(Ct));
            events.Add(new SseEvent(name, data));
        }

        Assert.NotEmpty(events);
        Assert.Equal("message_stop", events[^1].Name);
        return events;
    }

    /// <summary>An event as text, minus the one thing that must differ between two answers: the message id.</summary>
    private static string Normalized(SseEvent streamEvent)
    {
        var node = JsonNode.Parse(streamEvent.Data.GetRawText())!;
        if (node["message"] is JsonObject message)
        {
            message.Remove("id");
        }

        return $"{streamEvent.Name} {node.ToJsonString()}";
    }
}
