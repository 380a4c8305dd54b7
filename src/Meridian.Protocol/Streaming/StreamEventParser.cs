using System.Text.Json;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Turns the JSON of one Anthropic SSE <c>data:</c> line back into a <see cref="StreamEvent"/>. Events the gateway
/// does not model (thinking, citations, future kinds) yield null and are skipped by the caller.
/// </summary>
public static class StreamEventParser
{
    public static StreamEvent? Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        switch (type.GetString())
        {
            case "message_start":
                var message = root.GetProperty("message");
                return new MessageStartEvent(
                    message.GetProperty("id").GetString()!,
                    message.GetProperty("model").GetString()!,
                    ReadUsage(message));
            case "content_block_start":
                var block = root.GetProperty("content_block");
                var index = root.GetProperty("index").GetInt32();
                return block.GetProperty("type").GetString() switch
                {
                    "text" => new ContentBlockStartEvent(index, TextBlockHeader.Instance),
                    "tool_use" => new ContentBlockStartEvent(index, new ToolUseBlockHeader(block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!)),
                    _ => null,
                };
            case "content_block_delta":
                var delta = root.GetProperty("delta");
                var deltaIndex = root.GetProperty("index").GetInt32();
                return delta.GetProperty("type").GetString() switch
                {
                    "text_delta" => new TextDeltaEvent(deltaIndex, delta.GetProperty("text").GetString()!),
                    "input_json_delta" => new InputJsonDeltaEvent(deltaIndex, delta.GetProperty("partial_json").GetString()!),
                    _ => null,
                };
            case "content_block_stop":
                return new ContentBlockStopEvent(root.GetProperty("index").GetInt32());
            case "message_delta":
                var messageDelta = root.GetProperty("delta");
                return new MessageDeltaEvent(
                    messageDelta.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String ? stop.GetString()! : StopReasons.EndTurn,
                    messageDelta.TryGetProperty("stop_sequence", out var sequence) && sequence.ValueKind == JsonValueKind.String ? sequence.GetString() : null,
                    ReadUsage(root));
            case "message_stop":
                return MessageStopEvent.Instance;
            case "ping":
                return PingEvent.Instance;
            case "error":
                var error = root.GetProperty("error");
                return new ErrorEvent(
                    error.TryGetProperty("type", out var errorType) ? errorType.GetString() ?? "api_error" : "api_error",
                    error.TryGetProperty("message", out var errorMessage) ? errorMessage.GetString() ?? string.Empty : string.Empty);
            default:
                return null;
        }
    }

    private static Usage ReadUsage(JsonElement owner)
    {
        if (!owner.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        return new Usage(Long(usage, "input_tokens"), Long(usage, "output_tokens"), Long(usage, "cache_creation_input_tokens"), Long(usage, "cache_read_input_tokens"));
    }

    private static long Long(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
}
