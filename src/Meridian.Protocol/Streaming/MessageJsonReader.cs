using System.Text;
using System.Text.Json;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Reads a non-streaming Anthropic Message (<c>POST /v1/messages</c> without <c>stream</c>) as the events a stream of it
/// would have carried — one delta per content block — so screening, metering and the answer's two shapes stay written
/// once, over events, whichever way the upstream answered. One forward pass of <see cref="Utf8JsonReader"/>.
/// </summary>
public static class MessageJsonReader
{
    /// <summary>
    /// The message's events, from <c>message_start</c> to <c>message_stop</c>. <paramref name="complete"/> says whether they
    /// carry every content block as the upstream sent it: false when a block is of a kind the gateway does not model
    /// (thinking, server tools — left out, as in a stream) or has members it does not (citations).
    /// </summary>
    /// <exception cref="JsonException">The text is not a message.</exception>
    public static List<StreamEvent> Read(ReadOnlySpan<byte> json, out bool complete)
    {
        try
        {
            return ReadMessage(json, out complete);
        }
        catch (InvalidOperationException ex)
        {
            throw StreamEventParser.Malformed(ex);
        }
    }

    private static List<StreamEvent> ReadMessage(ReadOnlySpan<byte> json, out bool complete)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The answer is not a JSON object.");
        }

        complete = true;
        string? id = null, model = null, stopReason = null, stopSequence = null;
        Usage usage = default;
        var blocks = new List<StreamEvent>(4);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = StreamEventParser.ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                model = StreamEventParser.ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                complete &= ReadContent(ref reader, json, blocks);
            }
            else if (reader.ValueTextEquals("stop_reason"u8))
            {
                reader.Read();
                stopReason = StreamEventParser.ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("stop_sequence"u8))
            {
                reader.Read();
                stopSequence = StreamEventParser.ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                usage = StreamEventParser.ReadUsage(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        var events = new List<StreamEvent>(blocks.Count + 3)
        {
            new MessageStartEvent(id ?? throw new JsonException("The message has no id."), model ?? throw new JsonException("The message has no model."), usage),
        };
        events.AddRange(blocks);
        events.Add(new MessageDeltaEvent(stopReason ?? StopReasons.EndTurn, stopSequence, usage));
        events.Add(MessageStopEvent.Instance);
        return events;
    }

    /// <summary>Adds start, delta and stop of each modeled block; false when something was left out.</summary>
    private static bool ReadContent(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, List<StreamEvent> blocks)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return false;
        }

        var complete = true;
        var index = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? type = null, text = null, id = null, name = null, input = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.ValueTextEquals("text"u8) ? "text" : reader.ValueTextEquals("tool_use"u8) ? "tool_use" : "other";
                }
                else if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    text = StreamEventParser.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = StreamEventParser.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    name = StreamEventParser.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("input"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    input = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
                }
                else
                {
                    complete = false; // citations and the like: not modeled, so the events do not carry them
                    reader.Read();
                    reader.Skip();
                }
            }

            switch (type)
            {
                case "text" when text is not null:
                    blocks.Add(new ContentBlockStartEvent(index, TextBlockHeader.Instance));
                    blocks.Add(new TextDeltaEvent(index, text));
                    blocks.Add(new ContentBlockStopEvent(index));
                    break;
                case "tool_use" when id is not null && name is not null:
                    blocks.Add(new ContentBlockStartEvent(index, new ToolUseBlockHeader(id, name)));
                    blocks.Add(new InputJsonDeltaEvent(index, input ?? "{}"));
                    blocks.Add(new ContentBlockStopEvent(index));
                    break;
                default:
                    complete = false;
                    break;
            }

            index++;
        }

        return complete;
    }
}
