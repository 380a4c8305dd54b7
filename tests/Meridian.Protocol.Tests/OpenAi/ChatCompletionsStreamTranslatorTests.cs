using System.Buffers;
using System.Text;
using System.Text.Json;
using Meridian.Protocol.Messages;
using Meridian.Protocol.OpenAi;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.Tests.OpenAi;

/// <summary>
/// Chunk sequences shaped like what vLLM, llama.cpp server, Ollama and TGI stream, translated to Anthropic events.
/// </summary>
public sealed class ChatCompletionsStreamTranslatorTests
{
    private const string MessageId = "msg_01test";
    private const string Model = "claude-sonnet-5";
    private const string PlainRequest = """{"model":"claude-sonnet-5","max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}""";

    private static readonly StreamEvent Start = new MessageStartEvent(MessageId, Model, new Usage(0, 0));

    // ---- chunk builders -------------------------------------------------------------------------------------------

    private static string Q(string value) => "\"" + JsonEncodedText.Encode(value, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"";

    private static string Chunk(string delta, string? finish = null, string extraChoice = "") =>
        $$"""{"id":"chatcmpl-7f3a","object":"chat.completion.chunk","created":1764400000,"model":"qwen3-8b","choices":[{"index":0,"delta":{{delta}},"logprobs":null,"finish_reason":{{(finish is null ? "null" : Q(finish))}}{{extraChoice}}}]}""";

    private static string RoleChunk() => Chunk("""{"role":"assistant","content":""}""");

    private static string Text(string text) => Chunk($$"""{"content":{{Q(text)}}}""");

    private static string Finish(string reason, string extraChoice = "") => Chunk("{}", reason, extraChoice);

    private static string Tool(int index, string? id, string? name, string? arguments)
    {
        var parts = new List<string> { $"\"index\":{index}" };
        if (id is not null)
        {
            parts.Add($"\"id\":{Q(id)},\"type\":\"function\"");
        }

        var function = new List<string>();
        if (name is not null)
        {
            function.Add($"\"name\":{Q(name)}");
        }

        if (arguments is not null)
        {
            function.Add($"\"arguments\":{Q(arguments)}");
        }

        parts.Add("\"function\":{" + string.Join(',', function) + "}");
        return Chunk("{\"tool_calls\":[{" + string.Join(',', parts) + "}]}");
    }

    private static string UsageChunk(int prompt, int completion, int? cached = null)
    {
        var details = cached is { } c ? $",\"prompt_tokens_details\":{{\"cached_tokens\":{c}}}" : string.Empty;
        return """{"id":"chatcmpl-7f3a","object":"chat.completion.chunk","created":1764400000,"model":"qwen3-8b","choices":[],"usage":"""
            + $"{{\"prompt_tokens\":{prompt},\"total_tokens\":{prompt + completion},\"completion_tokens\":{completion}{details}}}}}";
    }

    private const string DoneMarker = "[DONE]";

    // ---- harness --------------------------------------------------------------------------------------------------

    private static List<StreamEvent> Translate(params string[] payloads) => TranslateFor(PlainRequest, payloads);

    private static List<StreamEvent> TranslateFor(string requestJson, params string[] payloads)
    {
        using var request = ChatCompletionsRequestWriterTests.Parse(requestJson);
        var translator = new ChatCompletionsStreamTranslator(new BackendCall(request, Model, MessageId));
        var events = new List<StreamEvent>();
        foreach (var payload in payloads)
        {
            translator.Accept(Encoding.UTF8.GetBytes(payload), events);
        }

        if (!translator.IsCompleted)
        {
            translator.Complete(events);
        }

        return events;
    }

    private static MessageAggregate Aggregate(IEnumerable<StreamEvent> events)
    {
        var aggregate = new MessageAggregate();
        foreach (var streamEvent in events)
        {
            aggregate.Apply(streamEvent);
        }

        return aggregate;
    }

    private static void AssertJsonEqual(string expected, string actual)
    {
        using var expectedDocument = JsonDocument.Parse(expected);
        using var actualDocument = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(expectedDocument.RootElement, actualDocument.RootElement), $"expected {expected}, got {actual}");
    }

    /// <summary>Blocks start, fill and stop one at a time, with contiguous indexes from 0, and deltas go to the open block.</summary>
    private static void AssertAnthropicOrder(IReadOnlyList<StreamEvent> events)
    {
        Assert.IsType<MessageStartEvent>(events[0]);
        int? open = null;
        var next = 0;
        var sawDelta = false;
        foreach (var streamEvent in events.Skip(1))
        {
            switch (streamEvent)
            {
                case ContentBlockStartEvent start:
                    Assert.Null(open);
                    Assert.False(sawDelta);
                    Assert.Equal(next++, start.Index);
                    open = start.Index;
                    break;
                case TextDeltaEvent text:
                    Assert.Equal(open, text.Index);
                    break;
                case InputJsonDeltaEvent json:
                    Assert.Equal(open, json.Index);
                    break;
                case ContentBlockStopEvent stop:
                    Assert.Equal(open, stop.Index);
                    open = null;
                    break;
                case MessageDeltaEvent:
                    Assert.Null(open);
                    sawDelta = true;
                    break;
                case MessageStopEvent:
                    Assert.True(sawDelta);
                    break;
                default:
                    break;
            }
        }

        Assert.IsType<MessageStopEvent>(events[^1]);
    }

    // ---- text -----------------------------------------------------------------------------------------------------

    [Fact]
    public void A_text_stream_becomes_one_text_block_in_anthropic_order_with_the_final_usage()
    {
        var events = Translate(
            RoleChunk(),
            Text("Hel"),
            Chunk("{}"),
            Text("lo, "),
            Chunk("""{"content":""}"""),
            Text("world."),
            Finish("stop"),
            UsageChunk(prompt: 12, completion: 4),
            DoneMarker);

        Assert.Equal(
            [
                Start,
                new ContentBlockStartEvent(0, TextBlockHeader.Instance),
                new TextDeltaEvent(0, "Hel"),
                new TextDeltaEvent(0, "lo, "),
                new TextDeltaEvent(0, "world."),
                new ContentBlockStopEvent(0),
                new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(12, 4)),
                MessageStopEvent.Instance,
            ],
            events);
    }

    [Fact]
    public void Done_ends_the_message_and_anything_after_it_is_ignored()
    {
        using var request = ChatCompletionsRequestWriterTests.Parse(PlainRequest);
        var translator = new ChatCompletionsStreamTranslator(new BackendCall(request, Model, MessageId));
        var events = new List<StreamEvent>();
        foreach (var payload in new[] { Text("a"), Finish("stop"), UsageChunk(3, 1), DoneMarker })
        {
            translator.Accept(Encoding.UTF8.GetBytes(payload), events);
        }

        Assert.True(translator.IsCompleted);
        var count = events.Count;
        translator.Accept(Encoding.UTF8.GetBytes(Text("late")), events);
        translator.Complete(events);
        Assert.Equal(count, events.Count);
        Assert.IsType<MessageStopEvent>(events[^1]);
    }

    [Fact]
    public void Done_without_a_finish_reason_still_completes_the_message()
    {
        var events = Translate(Text("ok"), DoneMarker);

        AssertAnthropicOrder(events);
        Assert.Equal(StopReasons.EndTurn, Assert.IsType<MessageDeltaEvent>(events[^2]).StopReason);
    }

    [Fact]
    public void Reasoning_content_is_not_emitted()
    {
        var events = Translate(
            RoleChunk(),
            Chunk("""{"reasoning_content":"Let me think."}"""),
            Chunk("""{"reasoning":"Still thinking."}"""),
            Text("Answer."),
            Finish("stop"),
            UsageChunk(5, 9),
            DoneMarker);

        AssertAnthropicOrder(events);
        var message = Aggregate(events);
        Assert.Equal("Answer.", Assert.IsType<AggregatedTextBlock>(Assert.Single(message.Blocks)).Text);
        Assert.Equal(9, message.Usage.OutputTokens);
    }

    // ---- tool calls -----------------------------------------------------------------------------------------------

    private const string WeatherArguments = """{"city": "Paris", "days": [1, 2], "metric": true, "note": "caf\u00e9 \"quoted\""}""";

    /// <summary>The arguments cut into many small fragments, mid-token, as vLLM's tool parsers stream them.</summary>
    private static IEnumerable<string> Fragments(string json, int size = 5)
    {
        for (var i = 0; i < json.Length; i += size)
        {
            yield return json.Substring(i, Math.Min(size, json.Length - i));
        }
    }

    [Fact]
    public void A_tool_call_streamed_in_many_fragments_becomes_one_tool_use_block_with_input_json_deltas()
    {
        var fragments = Fragments(WeatherArguments).ToArray();
        string[] payloads =
        [
            RoleChunk(),
            Tool(0, "call_9f2c", "get_weather", ""),
            .. fragments.Select(f => Tool(0, null, null, f)),
            Finish("tool_calls"),
            UsageChunk(80, 21),
            DoneMarker,
        ];

        var events = TranslateFor(
            """{"model":"claude-sonnet-5","max_tokens":100,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"Weather?"}]}""",
            payloads);

        List<StreamEvent> expected =
        [
            Start,
            new ContentBlockStartEvent(0, new ToolUseBlockHeader("call_9f2c", "get_weather")),
            .. fragments.Select(f => new InputJsonDeltaEvent(0, f)),
            new ContentBlockStopEvent(0),
            new MessageDeltaEvent(StopReasons.ToolUse, null, new Usage(80, 21)),
            MessageStopEvent.Instance,
        ];
        Assert.Equal(expected, events);

        var tool = Assert.IsType<AggregatedToolUseBlock>(Assert.Single(Aggregate(events).Blocks));
        AssertJsonEqual(WeatherArguments, tool.InputJson);
    }

    [Fact]
    public void Leading_text_is_closed_before_the_tool_call_block_starts()
    {
        var events = Translate(
            RoleChunk(),
            Text("Let me "),
            Text("check."),
            Tool(0, "call_1", "get_weather", "{\"city\""),
            Tool(0, null, null, ": \"Oslo\"}"),
            Finish("tool_calls"),
            UsageChunk(30, 12),
            DoneMarker);

        Assert.Equal(
            [
                Start,
                new ContentBlockStartEvent(0, TextBlockHeader.Instance),
                new TextDeltaEvent(0, "Let me "),
                new TextDeltaEvent(0, "check."),
                new ContentBlockStopEvent(0),
                new ContentBlockStartEvent(1, new ToolUseBlockHeader("call_1", "get_weather")),
                new InputJsonDeltaEvent(1, "{\"city\""),
                new InputJsonDeltaEvent(1, ": \"Oslo\"}"),
                new ContentBlockStopEvent(1),
                new MessageDeltaEvent(StopReasons.ToolUse, null, new Usage(30, 12)),
                MessageStopEvent.Instance,
            ],
            events);
    }

    [Fact]
    public void Two_parallel_tool_calls_become_two_tool_use_blocks_in_order()
    {
        var events = Translate(
            RoleChunk(),
            Tool(0, "call_a", "get_weather", ""),
            Tool(0, null, null, "{\"city\": "),
            Tool(0, null, null, "\"Paris\"}"),
            Tool(1, "call_b", "get_time", ""),
            Tool(1, null, null, "{\"tz\": \"Europe/"),
            Tool(1, null, null, "Paris\"}"),
            Finish("tool_calls"),
            UsageChunk(50, 30),
            DoneMarker);

        AssertAnthropicOrder(events);
        var message = Aggregate(events);
        Assert.Equal(StopReasons.ToolUse, message.StopReason);
        Assert.Collection(
            message.Blocks,
            b =>
            {
                var tool = Assert.IsType<AggregatedToolUseBlock>(b);
                Assert.Equal(("call_a", "get_weather"), (tool.Id, tool.Name));
                AssertJsonEqual("""{"city":"Paris"}""", tool.InputJson);
            },
            b =>
            {
                var tool = Assert.IsType<AggregatedToolUseBlock>(b);
                Assert.Equal(("call_b", "get_time"), (tool.Id, tool.Name));
                AssertJsonEqual("""{"tz":"Europe/Paris"}""", tool.InputJson);
            });

        // The first call streams live; the second is emitted whole once the upstream finishes.
        Assert.Equal(2, events.OfType<InputJsonDeltaEvent>().Count(e => e.Index == 0));
    }

    [Fact]
    public void Interleaved_fragments_of_parallel_tool_calls_are_not_mixed_up()
    {
        var events = Translate(
            Tool(0, "call_a", "first", "{\"n\":"),
            Tool(1, "call_b", "second", "{\"m\":"),
            Tool(0, null, null, " 1}"),
            Text("trailing note"),
            Tool(1, null, null, " 2}"),
            Finish("tool_calls"),
            DoneMarker);

        AssertAnthropicOrder(events);
        var blocks = Aggregate(events).Blocks;
        Assert.Equal(3, blocks.Count);
        AssertJsonEqual("""{"n":1}""", Assert.IsType<AggregatedToolUseBlock>(blocks[0]).InputJson);
        AssertJsonEqual("""{"m":2}""", Assert.IsType<AggregatedToolUseBlock>(blocks[1]).InputJson);
        Assert.Equal("trailing note", Assert.IsType<AggregatedTextBlock>(blocks[2]).Text);
    }

    [Fact]
    public void A_tool_call_whose_name_arrives_after_its_first_fragment_starts_once_named()
    {
        var events = Translate(
            Tool(0, "call_x", null, "{\"q\""),
            Tool(0, null, "search", ":\"cats\"}"),
            Finish("tool_calls"),
            DoneMarker);

        AssertAnthropicOrder(events);
        var tool = Assert.IsType<AggregatedToolUseBlock>(Assert.Single(Aggregate(events).Blocks));
        Assert.Equal(("call_x", "search"), (tool.Id, tool.Name));
        AssertJsonEqual("""{"q":"cats"}""", tool.InputJson);
    }

    [Fact]
    public void Tool_calls_without_an_index_are_told_apart_by_their_ids()
    {
        // Older Ollama sends whole calls without "index".
        var events = Translate(
            Chunk("""{"tool_calls":[{"id":"call_1","function":{"name":"a","arguments":"{\"x\":1}"}},{"id":"call_2","function":{"name":"b","arguments":"{\"y\":2}"}}]}"""),
            Finish("stop"),
            DoneMarker);

        var message = Aggregate(events);
        Assert.Equal(["call_1", "call_2"], message.Blocks.Cast<AggregatedToolUseBlock>().Select(b => b.Id));
        Assert.Equal(StopReasons.ToolUse, message.StopReason);
    }

    // ---- stop reasons ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("stop", StopReasons.EndTurn)]
    [InlineData("eos_token", StopReasons.EndTurn)]
    [InlineData("length", StopReasons.MaxTokens)]
    [InlineData("tool_calls", StopReasons.ToolUse)]
    [InlineData("function_call", StopReasons.ToolUse)]
    [InlineData("content_filter", StopReasons.Refusal)]
    public void Finish_reasons_map_to_anthropic_stop_reasons(string finishReason, string expected)
    {
        var events = Translate(Text("x"), Finish(finishReason), DoneMarker);

        var delta = Assert.IsType<MessageDeltaEvent>(events[^2]);
        Assert.Equal(expected, delta.StopReason);
        Assert.Null(delta.StopSequence);
    }

    private const string StopRequest = """{"model":"claude-sonnet-5","max_tokens":100,"stop_sequences":["END","###"],"messages":[{"role":"user","content":"Hi"}]}""";

    [Fact]
    public void A_stop_sequence_vllm_names_is_reported_as_stop_sequence()
    {
        var events = TranslateFor(StopRequest, Text("done "), Finish("stop", ""","stop_reason":"###" """), DoneMarker);

        var delta = Assert.IsType<MessageDeltaEvent>(events[^2]);
        Assert.Equal(StopReasons.StopSequence, delta.StopReason);
        Assert.Equal("###", delta.StopSequence);
    }

    [Fact]
    public void A_plain_stop_with_stop_sequences_requested_reads_as_end_turn_because_the_server_does_not_say_which()
    {
        var events = TranslateFor(StopRequest, Text("done"), Finish("stop"), DoneMarker);
        Assert.Equal(StopReasons.EndTurn, Assert.IsType<MessageDeltaEvent>(events[^2]).StopReason);

        // vLLM's stop_reason is a token id when an EOS/stop token fired: not a stop sequence.
        events = TranslateFor(StopRequest, Text("done"), Finish("stop", ""","stop_reason":151645"""), DoneMarker);
        Assert.Equal(StopReasons.EndTurn, Assert.IsType<MessageDeltaEvent>(events[^2]).StopReason);
    }

    // ---- usage ----------------------------------------------------------------------------------------------------

    [Fact]
    public void Cached_prompt_tokens_become_cache_read_tokens_and_are_not_counted_twice()
    {
        var events = Translate(Text("hi"), Finish("stop"), UsageChunk(prompt: 1000, completion: 7, cached: 768), DoneMarker);

        Assert.Equal(new Usage(232, 7, 0, 768), Assert.IsType<MessageDeltaEvent>(events[^2]).Usage);
    }

    [Fact]
    public void Usage_in_the_finish_chunk_is_used_as_llama_cpp_sends_it()
    {
        var finishWithUsage = """{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"chatcmpl-x","model":"m","object":"chat.completion.chunk","usage":{"completion_tokens":3,"prompt_tokens":9,"total_tokens":12}}""";
        var events = Translate(Text("abc"), finishWithUsage, DoneMarker);

        Assert.Equal(new Usage(9, 3), Assert.IsType<MessageDeltaEvent>(events[^2]).Usage);
    }

    [Fact]
    public void Without_usage_from_the_upstream_tokens_are_counted()
    {
        var events = Translate(Text("The quick brown fox jumps over the lazy dog."), Finish("stop"), DoneMarker);

        using var request = ChatCompletionsRequestWriterTests.Parse(PlainRequest);
        var usage = Assert.IsType<MessageDeltaEvent>(events[^2]).Usage;
        Assert.Equal(TokenCounter.CountInput(request), usage.InputTokens);
        Assert.Equal(TokenCounter.Count("The quick brown fox jumps over the lazy dog."), usage.OutputTokens);
    }

    // ---- failures -------------------------------------------------------------------------------------------------

    [Fact]
    public void A_stream_cut_short_after_content_ends_with_an_error_event()
    {
        var events = Translate(RoleChunk(), Text("partial"));

        var error = Assert.IsType<ErrorEvent>(events[^1]);
        Assert.Equal("api_error", error.ErrorType);
        Assert.DoesNotContain(events, e => e is MessageStopEvent);
    }

    [Fact]
    public void A_stream_that_ends_before_any_chunk_fails_as_a_backend_exception()
    {
        var failure = Assert.Throws<BackendException>(() => Translate(DoneMarker));
        Assert.Equal(502, failure.Status);
        Assert.Equal("api_error", failure.ErrorType);
    }

    [Fact]
    public void An_error_object_before_any_chunk_is_thrown_with_its_status_mapped()
    {
        var failure = Assert.Throws<BackendException>(() => Translate(
            """{"error":{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}}"""));

        Assert.Equal(400, failure.Status);
        Assert.Equal("invalid_request_error", failure.ErrorType);
        Assert.Contains("maximum context length", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_object_mid_stream_becomes_an_error_event()
    {
        var events = Translate(Text("so far"), """{"error":{"message":"engine died","type":"InternalServerError","code":500}}""", Text("never"));

        Assert.Equal("api_error", Assert.IsType<ErrorEvent>(events[^1]).ErrorType);
        Assert.DoesNotContain(events, e => e is TextDeltaEvent { Text: "never" });
    }

    // ---- whole answers --------------------------------------------------------------------------------------------

    [Fact]
    public void A_translated_stream_aggregates_into_the_expected_anthropic_message()
    {
        var fragments = Fragments(WeatherArguments, 7);
        var events = Translate(
        [
            RoleChunk(),
            Text("Checking "),
            Text("the weather."),
            Tool(0, "call_42", "get_weather", ""),
            .. fragments.Select(f => Tool(0, null, null, f)),
            Finish("tool_calls"),
            UsageChunk(120, 40, cached: 20),
            DoneMarker,
        ]);

        var buffer = new ArrayBufferWriter<byte>();
        AnthropicJsonWriter.WriteMessage(buffer, Aggregate(events));
        AssertJsonEqual(
            $$$"""
            {"id":"msg_01test","type":"message","role":"assistant","model":"claude-sonnet-5",
             "content":[{"type":"text","text":"Checking the weather."},
                        {"type":"tool_use","id":"call_42","name":"get_weather","input":{{{WeatherArguments}}}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":100,"cache_creation_input_tokens":0,"cache_read_input_tokens":20,"output_tokens":40,"service_tier":"standard"}}
            """,
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void A_whole_chat_completion_from_a_server_that_did_not_stream_translates_too()
    {
        using var request = ChatCompletionsRequestWriterTests.Parse(PlainRequest);
        var translator = new ChatCompletionsStreamTranslator(new BackendCall(request, Model, MessageId));
        var events = new List<StreamEvent>();
        translator.AcceptCompletion(Encoding.UTF8.GetBytes("""
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Sure.","tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"x\":1}"}},
                {"id":"call_2","type":"function","function":{"name":"b","arguments":"{}"}}]},"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":20,"completion_tokens":15,"total_tokens":35}}
            """), events);

        Assert.True(translator.IsCompleted);
        AssertAnthropicOrder(events);
        var message = Aggregate(events);
        Assert.Equal(3, message.Blocks.Count);
        Assert.Equal("Sure.", Assert.IsType<AggregatedTextBlock>(message.Blocks[0]).Text);
        Assert.Equal(["call_1", "call_2"], message.Blocks.Skip(1).Cast<AggregatedToolUseBlock>().Select(b => b.Id));
        Assert.Equal(new Usage(20, 15), message.Usage);
        Assert.Equal(StopReasons.ToolUse, message.StopReason);
    }

    [Fact]
    public async Task Raw_sse_bytes_with_comments_and_crlf_translate_through_the_sse_reader()
    {
        var sse = string.Join(string.Empty,
            ": keep-alive\r\n\r\n",
            $"data: {RoleChunk()}\r\n\r\n",
            $"data: {Text("Bonjour")}\n\n",
            $"data: {Finish("length")}\n\n",
            $"data: {UsageChunk(4, 2)}\n\n",
            "data: [DONE]\n\n");
        using var request = ChatCompletionsRequestWriterTests.Parse(PlainRequest);
        await using var stream = new MemoryStream(Encoding.UTF8.GetBytes(sse));
        var ct = TestContext.Current.CancellationToken;

        var events = new List<StreamEvent>();
        await foreach (var streamEvent in ChatCompletionsStreamTranslator.TranslateAsync(SseReader.ReadDataAsync(stream, ct), new BackendCall(request, Model, MessageId), ct))
        {
            events.Add(streamEvent);
        }

        AssertAnthropicOrder(events);
        var message = Aggregate(events);
        Assert.Equal("Bonjour", Assert.IsType<AggregatedTextBlock>(Assert.Single(message.Blocks)).Text);
        Assert.Equal(StopReasons.MaxTokens, message.StopReason);
        Assert.Equal(new Usage(4, 2), message.Usage);
    }
}
