using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.Tests;

public sealed partial class SseFramingTests
{
    [GeneratedRegex(@"\Aevent: ([a-z_]+)\ndata: ([^\n]*)\n\n\z")]
    private static partial Regex FrameShape();

    private static string Frame(StreamEvent streamEvent)
    {
        var buffer = new ArrayBufferWriter<byte>();
        SseFraming.Write(buffer, streamEvent);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Checks the frame's exact shape and returns the event name and the parsed data line.</summary>
    private static (string Name, JsonDocument Data) ParseFrame(StreamEvent streamEvent)
    {
        var frame = Frame(streamEvent);
        var match = FrameShape().Match(frame);
        Assert.True(match.Success, $"frame is not 'event: <name>\\ndata: <one-line json>\\n\\n': {frame}");
        var data = JsonDocument.Parse(match.Groups[2].Value);
        return (match.Groups[1].Value, data);
    }

    public static TheoryData<string, StreamEvent> AllEvents() => new()
    {
        { "message_start", new MessageStartEvent("msg_01", "claude-test", new Usage(12, 1)) },
        { "content_block_start", new ContentBlockStartEvent(0, TextBlockHeader.Instance) },
        { "content_block_start", new ContentBlockStartEvent(1, new ToolUseBlockHeader("toolu_01", "get_weather")) },
        { "content_block_delta", new TextDeltaEvent(0, "Hello") },
        { "content_block_delta", new InputJsonDeltaEvent(1, "{\"city\": \"Pa") },
        { "content_block_stop", new ContentBlockStopEvent(0) },
        { "message_delta", new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 42)) },
        { "message_stop", MessageStopEvent.Instance },
        { "ping", PingEvent.Instance },
        { "error", new ErrorEvent("overloaded_error", "Overloaded") },
    };

    [Theory]
    [MemberData(nameof(AllEvents))]
    public void Each_event_is_framed_as_event_line_one_line_json_data_and_blank_line_with_type_equal_to_the_event_name(
        string expectedName, StreamEvent streamEvent)
    {
        var (name, data) = ParseFrame(streamEvent);
        using (data)
        {
            Assert.Equal(expectedName, name);
            Assert.Equal(JsonValueKind.Object, data.RootElement.ValueKind);
            Assert.Equal(expectedName, data.RootElement.GetProperty("type").GetString());
        }

        Assert.Equal(expectedName, Encoding.UTF8.GetString(SseFraming.NameOf(streamEvent)));
    }

    [Fact]
    public void Message_start_carries_the_message_with_empty_content_null_stop_reason_and_usage()
    {
        var (_, data) = ParseFrame(new MessageStartEvent("msg_01", "claude-test", new Usage(25, 1, 3, 7)));
        using (data)
        {
            var message = data.RootElement.GetProperty("message");
            Assert.Equal("msg_01", message.GetProperty("id").GetString());
            Assert.Equal("message", message.GetProperty("type").GetString());
            Assert.Equal("assistant", message.GetProperty("role").GetString());
            Assert.Equal("claude-test", message.GetProperty("model").GetString());
            Assert.Equal(JsonValueKind.Array, message.GetProperty("content").ValueKind);
            Assert.Equal(0, message.GetProperty("content").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_reason").ValueKind);
            Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);

            var usage = message.GetProperty("usage");
            Assert.Equal(25, usage.GetProperty("input_tokens").GetInt64());
            Assert.Equal(1, usage.GetProperty("output_tokens").GetInt64());
            Assert.Equal(3, usage.GetProperty("cache_creation_input_tokens").GetInt64());
            Assert.Equal(7, usage.GetProperty("cache_read_input_tokens").GetInt64());
        }
    }

    [Fact]
    public void Text_content_block_start_carries_an_empty_text_block_and_its_index()
    {
        var (_, data) = ParseFrame(new ContentBlockStartEvent(2, TextBlockHeader.Instance));
        using (data)
        {
            Assert.Equal(2, data.RootElement.GetProperty("index").GetInt32());
            var block = data.RootElement.GetProperty("content_block");
            Assert.Equal("text", block.GetProperty("type").GetString());
            Assert.Equal(string.Empty, block.GetProperty("text").GetString());
        }
    }

    [Fact]
    public void Tool_use_content_block_start_carries_id_name_and_an_empty_input_object()
    {
        var (_, data) = ParseFrame(new ContentBlockStartEvent(1, new ToolUseBlockHeader("toolu_01", "get_weather")));
        using (data)
        {
            Assert.Equal(1, data.RootElement.GetProperty("index").GetInt32());
            var block = data.RootElement.GetProperty("content_block");
            Assert.Equal("tool_use", block.GetProperty("type").GetString());
            Assert.Equal("toolu_01", block.GetProperty("id").GetString());
            Assert.Equal("get_weather", block.GetProperty("name").GetString());
            Assert.Equal(JsonValueKind.Object, block.GetProperty("input").ValueKind);
            Assert.Empty(block.GetProperty("input").EnumerateObject());
        }
    }

    [Fact]
    public void Text_delta_is_a_content_block_delta_with_a_text_delta()
    {
        var (name, data) = ParseFrame(new TextDeltaEvent(0, "Hello"));
        using (data)
        {
            Assert.Equal("content_block_delta", name);
            Assert.Equal(0, data.RootElement.GetProperty("index").GetInt32());
            var delta = data.RootElement.GetProperty("delta");
            Assert.Equal("text_delta", delta.GetProperty("type").GetString());
            Assert.Equal("Hello", delta.GetProperty("text").GetString());
        }
    }

    [Fact]
    public void Input_json_delta_is_a_content_block_delta_carrying_the_partial_json_as_a_string()
    {
        const string partial = "{\"city\": \"Pa";
        var (name, data) = ParseFrame(new InputJsonDeltaEvent(1, partial));
        using (data)
        {
            Assert.Equal("content_block_delta", name);
            Assert.Equal(1, data.RootElement.GetProperty("index").GetInt32());
            var delta = data.RootElement.GetProperty("delta");
            Assert.Equal("input_json_delta", delta.GetProperty("type").GetString());
            Assert.Equal(partial, delta.GetProperty("partial_json").GetString());
        }
    }

    [Fact]
    public void Content_block_stop_carries_its_index()
    {
        var (_, data) = ParseFrame(new ContentBlockStopEvent(3));
        using (data)
        {
            Assert.Equal(3, data.RootElement.GetProperty("index").GetInt32());
        }
    }

    [Fact]
    public void Message_delta_carries_stop_reason_a_present_null_stop_sequence_and_output_tokens()
    {
        var (_, data) = ParseFrame(new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 42)));
        using (data)
        {
            var delta = data.RootElement.GetProperty("delta");
            Assert.Equal("end_turn", delta.GetProperty("stop_reason").GetString());
            Assert.True(delta.TryGetProperty("stop_sequence", out var stopSequence), "stop_sequence must be present even when null");
            Assert.Equal(JsonValueKind.Null, stopSequence.ValueKind);
            Assert.Equal(42, data.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt64());
        }
    }

    [Fact]
    public void Message_delta_carries_the_stop_sequence_that_fired()
    {
        var (_, data) = ParseFrame(new MessageDeltaEvent(StopReasons.StopSequence, "\n\nHuman:", new Usage(0, 9)));
        using (data)
        {
            var delta = data.RootElement.GetProperty("delta");
            Assert.Equal("stop_sequence", delta.GetProperty("stop_reason").GetString());
            Assert.Equal("\n\nHuman:", delta.GetProperty("stop_sequence").GetString());
            Assert.Equal(9, data.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt64());
        }
    }

    [Fact]
    public void Error_event_has_the_anthropic_error_shape()
    {
        var (_, data) = ParseFrame(new ErrorEvent("overloaded_error", "Overloaded"));
        using (data)
        {
            var root = data.RootElement;
            Assert.Equal("error", root.GetProperty("type").GetString());
            var error = root.GetProperty("error");
            Assert.Equal("overloaded_error", error.GetProperty("type").GetString());
            Assert.Equal("Overloaded", error.GetProperty("message").GetString());
            Assert.Equal(["type", "error"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(["type", "message"], error.EnumerateObject().Select(p => p.Name));
        }
    }

    [Fact]
    public void Message_stop_and_ping_carry_only_their_type()
    {
        Assert.Equal("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", Frame(MessageStopEvent.Instance));
        Assert.Equal("event: ping\ndata: {\"type\":\"ping\"}\n\n", Frame(PingEvent.Instance));
    }

    [Theory]
    [InlineData("line one\nline two")]
    [InlineData("ends with a blank line\n\n")]
    [InlineData("carriage\r\nreturn\r")]
    [InlineData("event: error\ndata: {\"type\":\"error\"}\n\n")]
    [InlineData("quotes \" and \\ backslash, tab\t, nul\0, unicode é 中文 😀, <script>")]
    public void Text_with_newlines_and_special_characters_stays_on_one_data_line_and_round_trips(string text)
    {
        var (_, data) = ParseFrame(new TextDeltaEvent(0, text));
        using (data)
        {
            Assert.Equal(text, data.RootElement.GetProperty("delta").GetProperty("text").GetString());
        }
    }

    [Fact]
    public void Error_message_with_newlines_stays_on_one_data_line_and_round_trips()
    {
        const string message = "upstream said:\n\nevent: ping\n\"oops\"";
        var (_, data) = ParseFrame(new ErrorEvent("api_error", message));
        using (data)
        {
            Assert.Equal(message, data.RootElement.GetProperty("error").GetProperty("message").GetString());
        }
    }

    [Fact]
    public void Consecutive_events_written_to_one_buffer_form_separate_complete_frames_in_order()
    {
        StreamEvent[] events =
        [
            new MessageStartEvent("msg_01", "claude-test", new Usage(10, 1)),
            new ContentBlockStartEvent(0, TextBlockHeader.Instance),
            PingEvent.Instance,
            new TextDeltaEvent(0, "Hi"),
            new TextDeltaEvent(0, " there"),
            new ContentBlockStopEvent(0),
            new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 3)),
            MessageStopEvent.Instance,
        ];
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var streamEvent in events)
        {
            SseFraming.Write(buffer, streamEvent);
        }

        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var frames = text[..^2].Split("\n\n");
        Assert.Equal(events.Length, frames.Length);
        for (var i = 0; i < events.Length; i++)
        {
            var match = FrameShape().Match(frames[i] + "\n\n");
            Assert.True(match.Success, $"frame {i} malformed: {frames[i]}");
            var expectedName = Encoding.UTF8.GetString(SseFraming.NameOf(events[i]));
            Assert.Equal(expectedName, match.Groups[1].Value);
            using var data = JsonDocument.Parse(match.Groups[2].Value);
            Assert.Equal(expectedName, data.RootElement.GetProperty("type").GetString());
        }
    }

    [Fact]
    public void Write_event_data_writes_only_the_json_without_sse_framing()
    {
        var buffer = new ArrayBufferWriter<byte>();
        AnthropicJsonWriter.WriteEventData(buffer, new TextDeltaEvent(4, "x"));

        using var data = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal("content_block_delta", data.RootElement.GetProperty("type").GetString());
        Assert.Equal(4, data.RootElement.GetProperty("index").GetInt32());
        Assert.DoesNotContain((byte)'\n', buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Write_event_into_a_caller_owned_writer_leaves_it_usable_for_more_json()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            AnthropicJsonWriter.WriteEvent(json, PingEvent.Instance);
            AnthropicJsonWriter.WriteEvent(json, new ContentBlockStopEvent(0));
            json.WriteEndArray();
        }

        using var data = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal(2, data.RootElement.GetArrayLength());
        Assert.Equal("ping", data.RootElement[0].GetProperty("type").GetString());
        Assert.Equal("content_block_stop", data.RootElement[1].GetProperty("type").GetString());
    }
}
