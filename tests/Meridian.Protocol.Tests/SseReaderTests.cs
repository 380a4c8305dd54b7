using System.Text;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.Tests;

public sealed class SseReaderTests
{
    [Fact]
    public async Task Events_written_by_the_framer_are_read_back_as_the_same_events()
    {
        StreamEvent[] events =
        [
            new MessageStartEvent("msg_1", "m", new Usage(12, 1)),
            new ContentBlockStartEvent(0, TextBlockHeader.Instance),
            PingEvent.Instance,
            new TextDeltaEvent(0, "line one\nline \"two\""),
            new ContentBlockStopEvent(0),
            new ContentBlockStartEvent(1, new ToolUseBlockHeader("toolu_1", "lookup")),
            new InputJsonDeltaEvent(1, "{\"q\":"),
            new InputJsonDeltaEvent(1, "\"x\"}"),
            new ContentBlockStopEvent(1),
            new MessageDeltaEvent(StopReasons.ToolUse, null, new Usage(12, 7)),
            MessageStopEvent.Instance,
        ];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var streamEvent in events)
        {
            SseFraming.Write(buffer, streamEvent);
        }

        var parsed = await ReadAllAsync(new MemoryStream(buffer.WrittenMemory.ToArray()));

        Assert.Equal(events, parsed);
    }

    [Fact]
    public async Task Crlf_line_ends_comments_and_multi_line_data_are_handled()
    {
        var text = ": keep-alive comment\r\nevent: ping\r\ndata: {\"type\":\r\ndata: \"ping\"}\r\n\r\nevent: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n";

        var parsed = await ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        Assert.Equal([PingEvent.Instance, MessageStopEvent.Instance], parsed);
    }

    [Fact]
    public async Task Events_split_across_arbitrary_read_boundaries_are_reassembled()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        SseFraming.Write(buffer, new TextDeltaEvent(0, new string('a', 5000)));
        SseFraming.Write(buffer, MessageStopEvent.Instance);

        var parsed = await ReadAllAsync(new TrickleStream(buffer.WrittenMemory.ToArray(), chunk: 7));

        Assert.Equal(2, parsed.Count);
        Assert.Equal(5000, Assert.IsType<TextDeltaEvent>(parsed[0]).Text.Length);
    }

    [Fact]
    public void Unknown_event_types_parse_to_null_so_they_can_be_skipped()
    {
        Assert.Null(StreamEventParser.Parse("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}"u8));
        Assert.Null(StreamEventParser.Parse("{\"type\":\"some_future_event\"}"u8));
    }

    [Fact]
    public void Members_are_read_in_any_order_and_unknown_ones_skipped()
    {
        Assert.Equal(
            new TextDeltaEvent(3, "x"),
            StreamEventParser.Parse("{\"delta\":{\"text\":\"x\",\"extra\":{\"a\":[1]},\"type\":\"text_delta\"},\"index\":3,\"type\":\"content_block_delta\"}"u8));
        Assert.Equal(
            new MessageStartEvent("msg_1", "m", new Usage(9, 1, 0, 2)),
            StreamEventParser.Parse("{\"message\":{\"content\":[],\"usage\":{\"output_tokens\":1,\"service_tier\":\"standard\",\"cache_read_input_tokens\":2,\"input_tokens\":9},\"model\":\"m\",\"id\":\"msg_1\"},\"type\":\"message_start\"}"u8));
    }

    [Fact]
    public void A_known_event_without_what_it_must_carry_is_malformed()
    {
        Assert.Throws<System.Text.Json.JsonException>(() => StreamEventParser.Parse("{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}"u8));
        Assert.Throws<System.Text.Json.JsonException>(() => StreamEventParser.Parse("{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}"u8));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => StreamEventParser.Parse("{\"type\":\"ping\""u8));
    }

    [Fact]
    public void A_string_with_an_escaped_lone_surrogate_is_malformed_not_a_crash()
    {
        // Found by the fuzzer (tests/data/fuzz/sse): the backend answers a malformed stream with 502 only for JsonException.
        var error = Assert.Throws<System.Text.Json.JsonException>(
            () => StreamEventParser.Parse("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\\ud800\"}}"u8));

        Assert.Contains("surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_number_where_a_type_name_belongs_is_malformed_not_a_crash()
    {
        Assert.Throws<System.Text.Json.JsonException>(
            () => StreamEventParser.Parse("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":7,\"text\":\"x\"}}"u8));
    }

    [Fact]
    public void A_non_streamed_answer_with_an_escaped_lone_surrogate_is_malformed_not_a_crash()
    {
        Assert.Throws<System.Text.Json.JsonException>(() => MessageJsonReader.Read(
            "{\"id\":\"msg_1\",\"model\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"\\udc00\"}],\"stop_reason\":\"end_turn\"}"u8, out _));
    }

    [Fact]
    public void A_message_delta_without_cache_counts_keeps_those_from_message_start_when_merged()
    {
        var start = new Usage(100, 1, CacheCreationInputTokens: 20, CacheReadInputTokens: 30);
        var delta = Assert.IsType<MessageDeltaEvent>(StreamEventParser.Parse(
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}"u8));

        var merged = start.MergeDelta(delta.Usage);

        Assert.Equal(new Usage(100, 42, 20, 30), merged);
    }

    private static async Task<List<StreamEvent>> ReadAllAsync(Stream stream)
    {
        var list = new List<StreamEvent>();
        await foreach (var data in SseReader.ReadDataAsync(stream, TestContext.Current.CancellationToken))
        {
            if (StreamEventParser.Parse(data.Span) is { } streamEvent)
            {
                list.Add(streamEvent);
            }
        }

        return list;
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
