using System.Buffers;
using System.Text.Json;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Writes Anthropic wire JSON (stream events, whole messages, errors) straight into a buffer writer with
/// <see cref="Utf8JsonWriter"/>; property names are UTF-8 literals so nothing is transcoded per request.
/// </summary>
public static class AnthropicJsonWriter
{
    // Relaxed escaping: these bodies are JSON for API clients, never embedded in HTML.
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteEventData(IBufferWriter<byte> output, StreamEvent streamEvent)
    {
        using var json = CreateWriter(output);
        WriteEvent(json, streamEvent);
    }

    /// <summary>A writer with the options every Anthropic body is written with.</summary>
    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> output) => new(output, Options);

    public static void WriteEvent(Utf8JsonWriter json, StreamEvent streamEvent)
    {
        json.WriteStartObject();
        switch (streamEvent)
        {
            case MessageStartEvent start:
                json.WriteString("type"u8, "message_start"u8);
                json.WritePropertyName("message"u8);
                WriteMessageHeader(json, start.MessageId, start.Model);
                json.WriteStartArray("content"u8);
                json.WriteEndArray();
                json.WriteNull("stop_reason"u8);
                json.WriteNull("stop_sequence"u8);
                WriteUsage(json, start.Usage);
                json.WriteEndObject();
                break;
            case ContentBlockStartEvent blockStart:
                json.WriteString("type"u8, "content_block_start"u8);
                json.WriteNumber("index"u8, blockStart.Index);
                json.WritePropertyName("content_block"u8);
                WriteBlockHeader(json, blockStart.Block);
                break;
            case TextDeltaEvent text:
                json.WriteString("type"u8, "content_block_delta"u8);
                json.WriteNumber("index"u8, text.Index);
                json.WriteStartObject("delta"u8);
                json.WriteString("type"u8, "text_delta"u8);
                json.WriteString("text"u8, text.Text);
                json.WriteEndObject();
                break;
            case InputJsonDeltaEvent inputJson:
                json.WriteString("type"u8, "content_block_delta"u8);
                json.WriteNumber("index"u8, inputJson.Index);
                json.WriteStartObject("delta"u8);
                json.WriteString("type"u8, "input_json_delta"u8);
                json.WriteString("partial_json"u8, inputJson.PartialJson);
                json.WriteEndObject();
                break;
            case ContentBlockStopEvent blockStop:
                json.WriteString("type"u8, "content_block_stop"u8);
                json.WriteNumber("index"u8, blockStop.Index);
                break;
            case MessageDeltaEvent delta:
                json.WriteString("type"u8, "message_delta"u8);
                json.WriteStartObject("delta"u8);
                json.WriteString("stop_reason"u8, delta.StopReason);
                json.WriteString("stop_sequence"u8, delta.StopSequence);
                json.WriteEndObject();
                WriteUsage(json, delta.Usage);
                break;
            case MessageStopEvent:
                json.WriteString("type"u8, "message_stop"u8);
                break;
            case PingEvent:
                json.WriteString("type"u8, "ping"u8);
                break;
            case ErrorEvent error:
                json.WriteString("type"u8, "error"u8);
                json.WriteStartObject("error"u8);
                json.WriteString("type"u8, error.ErrorType);
                json.WriteString("message"u8, error.Message);
                json.WriteEndObject();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(streamEvent), streamEvent.GetType().Name, "Unknown stream event.");
        }

        json.WriteEndObject();
    }

    /// <summary>Writes a complete non-streaming Message from an aggregated stream.</summary>
    public static void WriteMessage(IBufferWriter<byte> output, MessageAggregate message)
    {
        using var json = new Utf8JsonWriter(output, Options);
        WriteMessageHeader(json, message.MessageId, message.Model);
        json.WriteStartArray("content"u8);
        foreach (var block in message.Blocks)
        {
            json.WriteStartObject();
            switch (block)
            {
                case AggregatedTextBlock text:
                    json.WriteString("type"u8, "text"u8);
                    json.WriteString("text"u8, text.Text);
                    break;
                case AggregatedToolUseBlock tool:
                    json.WriteString("type"u8, "tool_use"u8);
                    json.WriteString("id"u8, tool.Id);
                    json.WriteString("name"u8, tool.Name);
                    json.WritePropertyName("input"u8);
                    // A tool call cut short (max_tokens) leaves partial JSON; the message must still be valid JSON.
                    json.WriteRawValue(IsCompleteJsonObject(tool.InputJson) ? tool.InputJson : "{}", skipInputValidation: true);
                    break;
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("stop_reason"u8, message.StopReason);
        json.WriteString("stop_sequence"u8, message.StopSequence);
        WriteUsage(json, message.Usage);
        json.WriteEndObject();
    }

    /// <summary>Anthropic's error body: <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
    public static void WriteError(IBufferWriter<byte> output, string errorType, string message, string? requestId)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("type"u8, "error"u8);
        json.WriteStartObject("error"u8);
        json.WriteString("type"u8, errorType);
        json.WriteString("message"u8, message);
        json.WriteEndObject();
        if (requestId is not null)
        {
            json.WriteString("request_id"u8, requestId);
        }

        json.WriteEndObject();
    }

    private static bool IsCompleteJsonObject(string json)
    {
        if (json.Length == 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void WriteMessageHeader(Utf8JsonWriter json, string messageId, string model)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, messageId);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, model);
    }

    private static void WriteBlockHeader(Utf8JsonWriter json, ContentBlockHeader block)
    {
        json.WriteStartObject();
        switch (block)
        {
            case TextBlockHeader:
                json.WriteString("type"u8, "text"u8);
                json.WriteString("text"u8, ""u8);
                break;
            case ToolUseBlockHeader tool:
                json.WriteString("type"u8, "tool_use"u8);
                json.WriteString("id"u8, tool.Id);
                json.WriteString("name"u8, tool.Name);
                json.WriteStartObject("input"u8);
                json.WriteEndObject();
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter json, Usage usage)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, usage.InputTokens);
        json.WriteNumber("cache_creation_input_tokens"u8, usage.CacheCreationInputTokens);
        json.WriteNumber("cache_read_input_tokens"u8, usage.CacheReadInputTokens);
        json.WriteNumber("output_tokens"u8, usage.OutputTokens);
        json.WriteString("service_tier"u8, "standard"u8);
        json.WriteEndObject();
    }
}
