using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Simulator.Tests;

/// <summary>Builds requests the way the gateway receives them (parsed from UTF-8 JSON) and runs the simulator on them.</summary>
internal static class Sim
{
    public const string Model = "claude-simulated";

    public static JsonObject Ask(string userText, int maxTokens = 4096) => new()
    {
        ["model"] = Model,
        ["max_tokens"] = maxTokens,
        ["messages"] = new JsonArray(User(userText)),
    };

    public static JsonObject User(string text) => new() { ["role"] = "user", ["content"] = text };

    public static JsonObject Assistant(string text) => new() { ["role"] = "assistant", ["content"] = text };

    public static MessagesRequest Parse(JsonNode body) => Parse(body.ToJsonString());

    public static MessagesRequest Parse(string json)
    {
        var parsed = MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(json), isCountTokens: false, out var request, out var error);
        Assert.True(parsed, error?.Message);
        return request!;
    }

    public static SimulatorBackend Backend(SimulatorOptions? options = null, TimeProvider? time = null) =>
        new(options ?? new SimulatorOptions(), time ?? TimeProvider.System);

    public static async Task<List<StreamEvent>> RunAsync(JsonNode body, SimulatorBackend? backend = null)
    {
        using var request = Parse(body);
        return await RunAsync(request, backend);
    }

    public static async Task<List<StreamEvent>> RunAsync(MessagesRequest request, SimulatorBackend? backend = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new List<StreamEvent>();
        await foreach (var e in (backend ?? Backend()).StreamAsync(new BackendCall(request, Model, "msg_test"), ct))
        {
            events.Add(e);
        }

        return events;
    }

    public static MessageAggregate Aggregate(IEnumerable<StreamEvent> events)
    {
        var message = new MessageAggregate();
        foreach (var e in events)
        {
            message.Apply(e);
        }

        return message;
    }

    /// <summary>What the text deltas add up to.</summary>
    public static string StreamedText(IEnumerable<StreamEvent> events) =>
        string.Concat(events.OfType<TextDeltaEvent>().Select(e => e.Text));

    public static string StreamedInputJson(IEnumerable<StreamEvent> events) =>
        string.Concat(events.OfType<InputJsonDeltaEvent>().Select(e => e.PartialJson));

    public static MessageDeltaEvent Final(IEnumerable<StreamEvent> events) => Assert.Single(events.OfType<MessageDeltaEvent>());

    /// <summary>The exact bytes a streaming client would receive.</summary>
    public static byte[] Sse(IEnumerable<StreamEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var e in events)
        {
            SseFraming.Write(buffer, e);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Wire names in order, text and JSON deltas told apart: "message_start", "text_delta", ...</summary>
    public static List<string> Shape(IEnumerable<StreamEvent> events) => events.Select(e => e switch
    {
        TextDeltaEvent => "text_delta",
        InputJsonDeltaEvent => "input_json_delta",
        ContentBlockStartEvent { Block: ToolUseBlockHeader } => "content_block_start(tool_use)",
        ContentBlockStartEvent => "content_block_start(text)",
        _ => Encoding.UTF8.GetString(SseFraming.NameOf(e)),
    }).ToList();

    /// <summary>Collapses runs of the same name: text_delta, text_delta → text_delta+.</summary>
    public static List<string> CompactShape(IEnumerable<StreamEvent> events)
    {
        var result = new List<string>();
        foreach (var name in Shape(events))
        {
            if (result.Count > 0 && (result[^1] == name || result[^1] == name + "+"))
            {
                result[^1] = name + "+";
            }
            else
            {
                result.Add(name);
            }
        }

        return result;
    }
}
