using System.Text.Json;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Turns the JSON of one Anthropic SSE <c>data:</c> line back into a <see cref="StreamEvent"/>. Events the gateway
/// does not model (thinking, citations, future kinds) yield null and are skipped by the caller; a known event that
/// lacks what it must carry, or text that is not JSON, throws <see cref="JsonException"/>.
/// </summary>
/// <remarks>
/// One forward pass of <see cref="Utf8JsonReader"/>, members in any order, unknown members skipped: the only
/// allocations are the event and the strings it carries. A <see cref="JsonDocument"/> per event cost 3–4× the time and
/// ≈ 500 bytes more per event (<c>ProtocolBenchmarks</c>, bench/PROFILE.md).
/// </remarks>
public static class StreamEventParser
{
    /// <exception cref="JsonException">The text is not JSON, not Unicode, or a known event without what it must carry.</exception>
    public static StreamEvent? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return ParseEvent(json);
        }
        catch (InvalidOperationException ex)
        {
            // Found by the fuzzer (tests/data/fuzz/sse): legal JSON a reader cannot take as it is asked to (an escaped lone
            // surrogate, bytes that are not UTF-8, a number where a name's text is compared) is a malformed event, answered
            // 502 like any other, not a gateway failure.
            throw Malformed(ex);
        }
    }

    /// <summary>The failure of a text that is legal JSON in shape but not what a reader can take (<see cref="InvalidOperationException"/>).</summary>
    internal static JsonException Malformed(InvalidOperationException ex) => new("The event is not valid: " + ex.Message, ex);

    private static StreamEvent? ParseEvent(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        var fields = default(EventFields);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                fields.Kind = reader.TokenType == JsonTokenType.String ? KindOf(ref reader) : EventKind.Unknown;
            }
            else if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                fields.Index = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var index) ? index : null;
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                ReadMessage(ref reader, ref fields);
            }
            else if (reader.ValueTextEquals("content_block"u8))
            {
                reader.Read();
                ReadObject(ref reader, ref fields, ReadBlockMember);
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                reader.Read();
                ReadObject(ref reader, ref fields, ReadDeltaMember);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                fields.Usage = ReadUsage(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                ReadObject(ref reader, ref fields, ReadErrorMember);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return fields.Kind switch
        {
            EventKind.MessageStart => new MessageStartEvent(
                fields.MessageId ?? throw Missing("message.id"), fields.Model ?? throw Missing("message.model"), fields.MessageUsage),
            EventKind.ContentBlockStart => fields.BlockKind switch
            {
                BlockKind.Text => new ContentBlockStartEvent(Index(fields), TextBlockHeader.Instance),
                BlockKind.ToolUse => new ContentBlockStartEvent(Index(fields), new ToolUseBlockHeader(
                    fields.BlockId ?? throw Missing("content_block.id"), fields.BlockName ?? throw Missing("content_block.name"))),
                _ => null,
            },
            EventKind.ContentBlockDelta => fields.DeltaKind switch
            {
                DeltaKind.Text => new TextDeltaEvent(Index(fields), fields.DeltaText ?? throw Missing("delta.text")),
                DeltaKind.InputJson => new InputJsonDeltaEvent(Index(fields), fields.DeltaText ?? throw Missing("delta.partial_json")),
                _ => null,
            },
            EventKind.ContentBlockStop => new ContentBlockStopEvent(Index(fields)),
            EventKind.MessageDelta => new MessageDeltaEvent(fields.StopReason ?? StopReasons.EndTurn, fields.StopSequence, fields.Usage),
            EventKind.MessageStop => MessageStopEvent.Instance,
            EventKind.Ping => PingEvent.Instance,
            EventKind.Error => new ErrorEvent(fields.ErrorType ?? "api_error", fields.ErrorMessage ?? string.Empty),
            _ => null,
        };
    }

    /// <summary>The counts of a <c>usage</c> object (the reader on its start); members that are not integers count as 0.</summary>
    internal static Usage ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return default;
        }

        long input = 0, output = 0, cacheCreation = 0, cacheRead = 0, ignored = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ref var target = ref reader.ValueTextEquals("input_tokens"u8) ? ref input
                : ref reader.ValueTextEquals("output_tokens"u8) ? ref output
                : ref reader.ValueTextEquals("cache_creation_input_tokens"u8) ? ref cacheCreation
                : ref reader.ValueTextEquals("cache_read_input_tokens"u8) ? ref cacheRead
                : ref ignored;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
            {
                target = value;
            }
            else
            {
                reader.Skip();
            }
        }

        return new Usage(input, output, cacheCreation, cacheRead);
    }

    /// <summary>The string value the reader is on, or null for a JSON null (anything else is skipped as null).</summary>
    internal static string? ReadString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    private delegate void MemberReader(ref Utf8JsonReader reader, ref EventFields fields);

    private static void ReadObject(ref Utf8JsonReader reader, ref EventFields fields, MemberReader member)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            member(ref reader, ref fields);
        }
    }

    private static void ReadMessage(ref Utf8JsonReader reader, ref EventFields fields)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                fields.MessageId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                fields.Model = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                fields.MessageUsage = ReadUsage(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadBlockMember(ref Utf8JsonReader reader, ref EventFields fields)
    {
        if (reader.ValueTextEquals("type"u8))
        {
            reader.Read();
            fields.BlockKind = reader.ValueTextEquals("text"u8) ? BlockKind.Text
                : reader.ValueTextEquals("tool_use"u8) ? BlockKind.ToolUse
                : BlockKind.Other;
        }
        else if (reader.ValueTextEquals("id"u8))
        {
            reader.Read();
            fields.BlockId = ReadString(ref reader);
        }
        else if (reader.ValueTextEquals("name"u8))
        {
            reader.Read();
            fields.BlockName = ReadString(ref reader);
        }
        else
        {
            reader.Read();
            reader.Skip();
        }
    }

    private static void ReadDeltaMember(ref Utf8JsonReader reader, ref EventFields fields)
    {
        if (reader.ValueTextEquals("type"u8))
        {
            reader.Read();
            fields.DeltaKind = reader.ValueTextEquals("text_delta"u8) ? DeltaKind.Text
                : reader.ValueTextEquals("input_json_delta"u8) ? DeltaKind.InputJson
                : DeltaKind.Other;
        }
        else if (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("partial_json"u8))
        {
            reader.Read();
            fields.DeltaText = ReadString(ref reader);
        }
        else if (reader.ValueTextEquals("stop_reason"u8))
        {
            reader.Read();
            fields.StopReason = ReadString(ref reader);
        }
        else if (reader.ValueTextEquals("stop_sequence"u8))
        {
            reader.Read();
            fields.StopSequence = ReadString(ref reader);
        }
        else
        {
            reader.Read();
            reader.Skip();
        }
    }

    private static void ReadErrorMember(ref Utf8JsonReader reader, ref EventFields fields)
    {
        if (reader.ValueTextEquals("type"u8))
        {
            reader.Read();
            fields.ErrorType = ReadString(ref reader);
        }
        else if (reader.ValueTextEquals("message"u8))
        {
            reader.Read();
            fields.ErrorMessage = ReadString(ref reader);
        }
        else
        {
            reader.Read();
            reader.Skip();
        }
    }

    private static EventKind KindOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("content_block_delta"u8) ? EventKind.ContentBlockDelta
        : reader.ValueTextEquals("content_block_start"u8) ? EventKind.ContentBlockStart
        : reader.ValueTextEquals("content_block_stop"u8) ? EventKind.ContentBlockStop
        : reader.ValueTextEquals("message_start"u8) ? EventKind.MessageStart
        : reader.ValueTextEquals("message_delta"u8) ? EventKind.MessageDelta
        : reader.ValueTextEquals("message_stop"u8) ? EventKind.MessageStop
        : reader.ValueTextEquals("ping"u8) ? EventKind.Ping
        : reader.ValueTextEquals("error"u8) ? EventKind.Error
        : EventKind.Unknown;

    private static int Index(in EventFields fields) => fields.Index ?? throw Missing("index");

    private static JsonException Missing(string member) => new($"The stream event has no {member}.");

    private enum EventKind
    {
        Unknown,
        MessageStart,
        ContentBlockStart,
        ContentBlockDelta,
        ContentBlockStop,
        MessageDelta,
        MessageStop,
        Ping,
        Error,
    }

    private enum BlockKind
    {
        None,
        Text,
        ToolUse,
        Other,
    }

    private enum DeltaKind
    {
        None,
        Text,
        InputJson,
        Other,
    }

    /// <summary>What one event's JSON said, gathered in one pass whatever the order of its members.</summary>
    private struct EventFields
    {
        public EventKind Kind;
        public int? Index;
        public string? MessageId;
        public string? Model;
        public Usage MessageUsage;
        public BlockKind BlockKind;
        public string? BlockId;
        public string? BlockName;
        public DeltaKind DeltaKind;
        public string? DeltaText;
        public string? StopReason;
        public string? StopSequence;
        public Usage Usage;
        public string? ErrorType;
        public string? ErrorMessage;
    }
}
