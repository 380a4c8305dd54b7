using System.Buffers;
using System.Text.Json;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.Tests;

public sealed class MessageAggregateTests
{
    private static MessageAggregate Aggregate(IEnumerable<StreamEvent> events)
    {
        var aggregate = new MessageAggregate();
        foreach (var streamEvent in events)
        {
            aggregate.Apply(streamEvent);
        }

        return aggregate;
    }

    private static JsonDocument WriteMessage(MessageAggregate aggregate)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AnthropicJsonWriter.WriteMessage(buffer, aggregate);
        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    /// <summary>A text block streamed in pieces, then a tool_use block whose input arrives as JSON fragments.</summary>
    private static List<StreamEvent> TextThenToolUse(string? stopSequence = null, string stopReason = StopReasons.ToolUse) =>
    [
        new MessageStartEvent("msg_01abc", "claude-test", new Usage(25, 1)),
        new ContentBlockStartEvent(0, TextBlockHeader.Instance),
        PingEvent.Instance,
        new TextDeltaEvent(0, "Let me "),
        new TextDeltaEvent(0, "check the "),
        new TextDeltaEvent(0, "weather."),
        new ContentBlockStopEvent(0),
        new ContentBlockStartEvent(1, new ToolUseBlockHeader("toolu_01", "get_weather")),
        new InputJsonDeltaEvent(1, ""),
        new InputJsonDeltaEvent(1, "{\"city\": \"Pa"),
        new InputJsonDeltaEvent(1, "ris\", \"days\": [1, "),
        new InputJsonDeltaEvent(1, "2], \"metric\": true}"),
        new ContentBlockStopEvent(1),
        new MessageDeltaEvent(stopReason, stopSequence, new Usage(0, 42)),
        MessageStopEvent.Instance,
    ];

    [Fact]
    public void A_text_and_tool_use_stream_aggregates_into_blocks_stop_reason_and_usage()
    {
        var aggregate = Aggregate(TextThenToolUse());

        Assert.True(aggregate.IsComplete);
        Assert.Null(aggregate.Error);
        Assert.Equal("msg_01abc", aggregate.MessageId);
        Assert.Equal("claude-test", aggregate.Model);
        Assert.Collection(
            aggregate.Blocks,
            b => Assert.Equal("Let me check the weather.", Assert.IsType<AggregatedTextBlock>(b).Text),
            b =>
            {
                var tool = Assert.IsType<AggregatedToolUseBlock>(b);
                Assert.Equal("toolu_01", tool.Id);
                Assert.Equal("get_weather", tool.Name);
                Assert.Equal("{\"city\": \"Paris\", \"days\": [1, 2], \"metric\": true}", tool.InputJson);
            });
        Assert.Equal(StopReasons.ToolUse, aggregate.StopReason);
        Assert.Null(aggregate.StopSequence);
        Assert.Equal(25, aggregate.Usage.InputTokens);
        Assert.Equal(42, aggregate.Usage.OutputTokens);
    }

    [Fact]
    public void The_written_message_has_the_anthropic_message_shape()
    {
        using var document = WriteMessage(Aggregate(TextThenToolUse()));
        var root = document.RootElement;

        Assert.Equal("msg_01abc", root.GetProperty("id").GetString());
        Assert.Equal("message", root.GetProperty("type").GetString());
        Assert.Equal("assistant", root.GetProperty("role").GetString());
        Assert.Equal("claude-test", root.GetProperty("model").GetString());

        var content = root.GetProperty("content");
        Assert.Equal(2, content.GetArrayLength());

        Assert.Equal("text", content[0].GetProperty("type").GetString());
        Assert.Equal("Let me check the weather.", content[0].GetProperty("text").GetString());

        var tool = content[1];
        Assert.Equal("tool_use", tool.GetProperty("type").GetString());
        Assert.Equal("toolu_01", tool.GetProperty("id").GetString());
        Assert.Equal("get_weather", tool.GetProperty("name").GetString());
        var input = tool.GetProperty("input");
        Assert.Equal(JsonValueKind.Object, input.ValueKind);
        Assert.Equal("Paris", input.GetProperty("city").GetString());
        Assert.Equal(2, input.GetProperty("days").GetArrayLength());
        Assert.True(input.GetProperty("metric").GetBoolean());

        Assert.Equal("tool_use", root.GetProperty("stop_reason").GetString());
        Assert.True(root.TryGetProperty("stop_sequence", out var stopSequence), "stop_sequence must be present even when null");
        Assert.Equal(JsonValueKind.Null, stopSequence.ValueKind);

        var usage = root.GetProperty("usage");
        Assert.Equal(25, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(42, usage.GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public void The_written_message_carries_the_stop_sequence_that_fired()
    {
        List<StreamEvent> events =
        [
            new MessageStartEvent("msg_02", "claude-test", new Usage(5, 1)),
            new ContentBlockStartEvent(0, TextBlockHeader.Instance),
            new TextDeltaEvent(0, "one, two, "),
            new ContentBlockStopEvent(0),
            new MessageDeltaEvent(StopReasons.StopSequence, "three", new Usage(0, 4)),
            MessageStopEvent.Instance,
        ];

        using var document = WriteMessage(Aggregate(events));
        var root = document.RootElement;

        Assert.Equal("stop_sequence", root.GetProperty("stop_reason").GetString());
        Assert.Equal("three", root.GetProperty("stop_sequence").GetString());
        Assert.Equal("one, two, ", root.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void The_written_message_is_a_single_json_object_with_nothing_after_it()
    {
        var buffer = new ArrayBufferWriter<byte>();
        AnthropicJsonWriter.WriteMessage(buffer, Aggregate(TextThenToolUse()));

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        Assert.True(reader.Read());
        Assert.Equal(JsonTokenType.StartObject, reader.TokenType);
        reader.Skip();
        Assert.False(reader.Read(), "nothing may follow the message object");
    }

    [Fact]
    public void A_tool_use_block_without_input_deltas_is_written_with_an_empty_input_object()
    {
        List<StreamEvent> events =
        [
            new MessageStartEvent("msg_03", "claude-test", new Usage(5, 1)),
            new ContentBlockStartEvent(0, new ToolUseBlockHeader("toolu_09", "no_args")),
            new ContentBlockStopEvent(0),
            new MessageDeltaEvent(StopReasons.ToolUse, null, new Usage(0, 7)),
            MessageStopEvent.Instance,
        ];

        using var document = WriteMessage(Aggregate(events));
        var input = document.RootElement.GetProperty("content")[0].GetProperty("input");

        Assert.Equal(JsonValueKind.Object, input.ValueKind);
        Assert.Empty(input.EnumerateObject());
    }

    [Fact]
    public void A_text_block_without_deltas_is_written_with_empty_text()
    {
        List<StreamEvent> events =
        [
            new MessageStartEvent("msg_04", "claude-test", new Usage(5, 1)),
            new ContentBlockStartEvent(0, TextBlockHeader.Instance),
            new ContentBlockStopEvent(0),
            new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 1)),
            MessageStopEvent.Instance,
        ];

        using var document = WriteMessage(Aggregate(events));
        var block = document.RootElement.GetProperty("content")[0];

        Assert.Equal("text", block.GetProperty("type").GetString());
        Assert.Equal(string.Empty, block.GetProperty("text").GetString());
    }

    [Fact]
    public void A_message_with_no_blocks_is_written_with_an_empty_content_array()
    {
        List<StreamEvent> events =
        [
            new MessageStartEvent("msg_05", "claude-test", new Usage(5, 0)),
            new MessageDeltaEvent(StopReasons.MaxTokens, null, new Usage(0, 0)),
            MessageStopEvent.Instance,
        ];

        using var document = WriteMessage(Aggregate(events));

        Assert.Equal(0, document.RootElement.GetProperty("content").GetArrayLength());
        Assert.Equal("max_tokens", document.RootElement.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public void Text_with_special_characters_round_trips_through_the_written_message()
    {
        const string text = "He said \"hi\"\n\tthen left\\ — 😀 </script>";
        List<StreamEvent> events =
        [
            new MessageStartEvent("msg_06", "claude-test", new Usage(5, 1)),
            new ContentBlockStartEvent(0, TextBlockHeader.Instance),
            new TextDeltaEvent(0, text[..10]),
            new TextDeltaEvent(0, text[10..]),
            new ContentBlockStopEvent(0),
            new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 12)),
            MessageStopEvent.Instance,
        ];

        using var document = WriteMessage(Aggregate(events));

        Assert.Equal(text, document.RootElement.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public void Input_tokens_reported_by_message_delta_replace_those_from_message_start()
    {
        var aggregate = Aggregate(
        [
            new MessageStartEvent("msg_07", "claude-test", new Usage(25, 1)),
            new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(30, 42)),
        ]);

        Assert.Equal(30, aggregate.Usage.InputTokens);
        Assert.Equal(42, aggregate.Usage.OutputTokens);
    }

    [Fact]
    public void Cache_token_counts_from_message_start_survive_a_message_delta_that_reports_only_output_tokens()
    {
        // Anthropic's message_delta usage has historically carried only output_tokens; the SDKs keep the
        // message_start values for any count message_delta does not report, as this aggregate already does for input_tokens.
        var aggregate = Aggregate(
        [
            new MessageStartEvent("msg_08", "claude-test", new Usage(25, 1, CacheCreationInputTokens: 100, CacheReadInputTokens: 2000)),
            new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 42)),
            MessageStopEvent.Instance,
        ]);

        Assert.Equal(25, aggregate.Usage.InputTokens);
        Assert.Equal(42, aggregate.Usage.OutputTokens);
        Assert.Equal(100, aggregate.Usage.CacheCreationInputTokens);
        Assert.Equal(2000, aggregate.Usage.CacheReadInputTokens);
    }

    [Fact]
    public void An_error_event_is_recorded_and_the_message_is_not_complete()
    {
        var aggregate = Aggregate(
        [
            new MessageStartEvent("msg_09", "claude-test", new Usage(5, 1)),
            new ContentBlockStartEvent(0, TextBlockHeader.Instance),
            new TextDeltaEvent(0, "partial"),
            new ErrorEvent("overloaded_error", "Overloaded"),
        ]);

        Assert.False(aggregate.IsComplete);
        Assert.Equal(new ErrorEvent("overloaded_error", "Overloaded"), aggregate.Error);
    }

    [Fact]
    public void A_stream_without_message_stop_is_not_complete()
    {
        var aggregate = Aggregate(TextThenToolUse().SkipLast(1));

        Assert.False(aggregate.IsComplete);
        Assert.Equal(StopReasons.ToolUse, aggregate.StopReason);
    }

    [Fact]
    public void A_tool_call_cut_short_by_max_tokens_still_yields_a_valid_message_with_an_empty_input()
    {
        var aggregate = new MessageAggregate();
        aggregate.Apply(new MessageStartEvent("msg_cut", "m", new Usage(5, 1)));
        aggregate.Apply(new ContentBlockStartEvent(0, new ToolUseBlockHeader("toolu_1", "lookup")));
        aggregate.Apply(new InputJsonDeltaEvent(0, "{\"query\": \"half"));
        aggregate.Apply(new MessageDeltaEvent(StopReasons.MaxTokens, null, new Usage(5, 8)));
        aggregate.Apply(MessageStopEvent.Instance);
        var output = new ArrayBufferWriter<byte>();

        AnthropicJsonWriter.WriteMessage(output, aggregate);

        using var document = JsonDocument.Parse(output.WrittenMemory);
        var input = document.RootElement.GetProperty("content")[0].GetProperty("input");
        Assert.Equal(JsonValueKind.Object, input.ValueKind);
        Assert.Empty(input.EnumerateObject());
        Assert.Equal("max_tokens", document.RootElement.GetProperty("stop_reason").GetString());
    }
}
