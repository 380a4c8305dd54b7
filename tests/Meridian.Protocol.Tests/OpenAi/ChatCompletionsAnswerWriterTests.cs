using System.Buffers;
using System.Text;
using System.Text.Json;
using Meridian.Protocol.Errors;
using Meridian.Protocol.OpenAi;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.Tests.OpenAi;

/// <summary>
/// Anthropic answers written for OpenAI clients: the <c>chat.completion</c> object, the <c>chat.completion.chunk</c>
/// stream in OpenAI's order, finish reasons, usage, and errors in OpenAI's shape and statuses.
/// </summary>
public sealed class ChatCompletionsAnswerWriterTests
{
    private const long Created = 1_796_000_000;

    private static readonly StreamEvent[] TextAnswer =
    [
        new MessageStartEvent("msg_abc", "claude-sonnet-5", new Usage(12, 1, CacheReadInputTokens: 5)),
        new ContentBlockStartEvent(0, TextBlockHeader.Instance),
        PingEvent.Instance,
        new TextDeltaEvent(0, "Hello"),
        new TextDeltaEvent(0, ", world"),
        new ContentBlockStopEvent(0),
        new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(0, 7)),
        MessageStopEvent.Instance,
    ];

    private static readonly StreamEvent[] ToolAnswer =
    [
        new MessageStartEvent("msg_t", "claude-sonnet-5", new Usage(30, 1)),
        new ContentBlockStartEvent(0, TextBlockHeader.Instance),
        new TextDeltaEvent(0, "Let me look."),
        new ContentBlockStopEvent(0),
        new ContentBlockStartEvent(1, new ToolUseBlockHeader("toolu_1", "get_weather")),
        new InputJsonDeltaEvent(1, "{\"city\":"),
        new InputJsonDeltaEvent(1, "\"Oslo\"}"),
        new ContentBlockStopEvent(1),
        new ContentBlockStartEvent(2, new ToolUseBlockHeader("toolu_2", "now")),
        new ContentBlockStopEvent(2),
        new MessageDeltaEvent(StopReasons.ToolUse, null, new Usage(0, 20)),
        MessageStopEvent.Instance,
    ];

    private static JsonElement Completion(IEnumerable<StreamEvent> events)
    {
        var message = new MessageAggregate();
        foreach (var streamEvent in events)
        {
            message.Apply(streamEvent);
        }

        var buffer = new ArrayBufferWriter<byte>();
        ChatCompletionsAnswerWriter.WriteCompletion(buffer, message, Created);
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static string Stream(IEnumerable<StreamEvent> events, bool includeUsage, Action<ChatCompletionsChunkWriter>? then = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new ChatCompletionsChunkWriter(buffer, includeUsage, Created))
        {
            foreach (var streamEvent in events)
            {
                writer.Write(streamEvent);
            }

            then?.Invoke(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The data payloads of an SSE body; every frame must be a lone <c>data:</c> line.</summary>
    private static List<string> Payloads(string sse)
    {
        Assert.EndsWith("\n\n", sse, StringComparison.Ordinal);
        var frames = sse[..^2].Split("\n\n");
        Assert.All(frames, f => Assert.StartsWith("data: ", f, StringComparison.Ordinal));
        Assert.All(frames, f => Assert.DoesNotContain('\n', f));
        return [.. frames.Select(f => f["data: ".Length..])];
    }

    private static JsonElement Json(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.Clone();
    }

    [Fact]
    public void A_text_answer_is_one_chat_completion_with_the_text_stop_and_OpenAI_usage()
    {
        var completion = Completion(TextAnswer);

        Assert.Equal("chatcmpl-abc", completion.GetProperty("id").GetString());
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.Equal(Created, completion.GetProperty("created").GetInt64());
        Assert.Equal("claude-sonnet-5", completion.GetProperty("model").GetString());
        var choice = Assert.Single(completion.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        var message = choice.GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("Hello, world", message.GetProperty("content").GetString());
        Assert.False(message.TryGetProperty("tool_calls", out _));

        // OpenAI's prompt_tokens include the cached ones; Anthropic counts cache reads apart from input_tokens.
        var usage = completion.GetProperty("usage");
        Assert.Equal(17, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(7, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(24, usage.GetProperty("total_tokens").GetInt64());
        Assert.Equal(5, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
    }

    [Fact]
    public void Tool_use_blocks_become_tool_calls_with_their_ids_and_argument_strings()
    {
        var completion = Completion(ToolAnswer);

        var choice = completion.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal("Let me look.", message.GetProperty("content").GetString());
        var calls = message.GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal("""{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}""", calls[0].GetRawText());
        Assert.Equal("{}", calls[1].GetProperty("function").GetProperty("arguments").GetString());
    }

    [Fact]
    public void A_tool_call_alone_has_null_content()
    {
        var completion = Completion(ToolAnswer.Where(e => e is not (TextDeltaEvent or ContentBlockStartEvent { Index: 0 } or ContentBlockStopEvent { Index: 0 })));

        Assert.Equal(JsonValueKind.Null, completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").ValueKind);
    }

    [Theory]
    [InlineData(StopReasons.EndTurn, "stop")]
    [InlineData(StopReasons.StopSequence, "stop")]
    [InlineData(StopReasons.MaxTokens, "length")]
    [InlineData("model_context_window_exceeded", "length")]
    [InlineData(StopReasons.ToolUse, "tool_calls")]
    [InlineData(StopReasons.Refusal, "content_filter")]
    [InlineData("pause_turn", "stop")]
    public void Stop_reasons_map_to_finish_reasons(string stopReason, string finishReason)
    {
        Assert.Equal(finishReason, ChatCompletionsAnswerWriter.FinishReasonOf(stopReason));
    }

    [Fact]
    public void A_stream_sends_the_role_first_then_content_then_the_finish_then_usage_then_DONE()
    {
        var payloads = Payloads(Stream(TextAnswer, includeUsage: true));

        Assert.Equal("[DONE]", payloads[^1]);
        var chunks = payloads[..^1].Select(Json).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal("chatcmpl-abc", c.GetProperty("id").GetString()));
        Assert.All(chunks, c => Assert.Equal(Created, c.GetProperty("created").GetInt64()));
        Assert.Equal(5, chunks.Count);

        Assert.Equal("""{"role":"assistant","content":"","refusal":null}""", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetRawText());
        Assert.Equal(["Hello", ", world"], chunks[1..3].Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        var finish = chunks[3].GetProperty("choices")[0];
        Assert.Equal("{}", finish.GetProperty("delta").GetRawText());
        Assert.Equal("stop", finish.GetProperty("finish_reason").GetString());
        Assert.All(chunks[..4], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));

        var usage = chunks[4];
        Assert.Empty(usage.GetProperty("choices").EnumerateArray());
        Assert.Equal(17, usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(7, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
    }

    [Fact]
    public void Without_include_usage_no_usage_chunk_and_no_usage_member_is_sent()
    {
        var payloads = Payloads(Stream(TextAnswer, includeUsage: false));

        Assert.Equal(5, payloads.Count);
        Assert.All(payloads[..^1], p => Assert.False(Json(p).TryGetProperty("usage", out _)));
        Assert.Equal("[DONE]", payloads[^1]);
    }

    [Fact]
    public void Tool_calls_stream_with_their_own_index_id_and_name_first_then_argument_fragments()
    {
        var chunks = Payloads(Stream(ToolAnswer, includeUsage: false))[..^1].Select(Json).ToList();

        var deltas = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta")).ToList();
        var toolDeltas = deltas.Where(d => d.TryGetProperty("tool_calls", out _)).Select(d => Assert.Single(d.GetProperty("tool_calls").EnumerateArray())).ToList();
        Assert.Equal(
            [
                """{"index":0,"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":""}}""",
                """{"index":0,"function":{"arguments":"{\"city\":"}}""",
                """{"index":0,"function":{"arguments":"\"Oslo\"}"}}""",
                """{"index":1,"id":"toolu_2","type":"function","function":{"name":"now","arguments":""}}""",
            ],
            toolDeltas.Select(d => d.GetRawText()));
        Assert.Equal("tool_calls", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void A_content_filter_stop_ends_the_stream_with_finish_reason_content_filter_and_DONE()
    {
        var sse = Stream(TextAnswer[..4], includeUsage: true, then: w => w.WriteContentFilterStop());

        var payloads = Payloads(sse);
        Assert.Equal("[DONE]", payloads[^1]);
        var last = Json(payloads[^2]);
        Assert.Equal("content_filter", last.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.DoesNotContain(payloads, p => p.Contains("\"prompt_tokens\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failure_mid_stream_is_an_error_object_and_no_DONE()
    {
        var sse = Stream([.. TextAnswer[..4], new ErrorEvent(ErrorTypes.Overloaded, "Overloaded")], includeUsage: false);

        var payloads = Payloads(sse);
        Assert.Equal(
            """{"error":{"message":"Overloaded","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}}""",
            payloads[^1]);
        Assert.DoesNotContain("[DONE]", payloads);
    }

    [Theory]
    [InlineData(400, ErrorTypes.InvalidRequest, false, 400, "invalid_request_error", null)]
    [InlineData(400, ErrorTypes.InvalidRequest, true, 400, "invalid_request_error", "content_filter")]
    [InlineData(401, ErrorTypes.Authentication, false, 401, "invalid_request_error", "invalid_api_key")]
    [InlineData(403, ErrorTypes.Permission, false, 403, "permission_error", null)]
    [InlineData(404, ErrorTypes.NotFound, false, 404, "invalid_request_error", "model_not_found")]
    [InlineData(413, ErrorTypes.RequestTooLarge, false, 413, "invalid_request_error", "request_too_large")]
    [InlineData(429, ErrorTypes.RateLimit, false, 429, "rate_limit_error", "rate_limit_exceeded")]
    [InlineData(500, ErrorTypes.Api, false, 500, "server_error", null)]
    [InlineData(502, ErrorTypes.Api, false, 502, "server_error", null)]
    [InlineData(503, ErrorTypes.Api, false, 503, "service_unavailable_error", null)]
    [InlineData(529, ErrorTypes.Overloaded, false, 503, "service_unavailable_error", "server_is_overloaded")]
    public void Gateway_errors_take_OpenAIs_statuses_types_and_codes(int status, string type, bool filtered, int openAiStatus, string openAiType, string? code)
    {
        var error = OpenAiError.Of(new ApiError(status, type, "why"), filtered);

        Assert.Equal((openAiStatus, openAiType, code, "why"), (error.Status, error.Type, error.Code, error.Message));
    }

    [Fact]
    public void An_error_body_has_message_type_param_and_code()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ChatCompletionsAnswerWriter.WriteError(buffer, OpenAiError.Of(ApiError.InvalidRequest("n: only one") with { Param = "n" }, contentFiltered: false));

        Assert.Equal(
            """{"error":{"message":"n: only one","type":"invalid_request_error","param":"n","code":null}}""",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
