using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.OpenAi;

/// <summary>
/// Writes Anthropic answers the way an OpenAI chat completions client reads them: a <c>chat.completion</c> object from
/// an aggregated message, and errors as <c>{"error":{"message","type","param","code"}}</c>. The streaming form is
/// <see cref="ChatCompletionsChunkWriter"/>. Stateless and thread-safe.
/// </summary>
public static class ChatCompletionsAnswerWriter
{
    // Relaxed escaping: these bodies are JSON for API clients, never embedded in HTML.
    internal static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>chatcmpl-…</c> for a <c>msg_…</c> id: the same id under OpenAI's prefix, so either finds the other.</summary>
    public static string CompletionId(string messageId) =>
        "chatcmpl-" + (messageId.StartsWith("msg_", StringComparison.Ordinal) ? messageId[4..] : messageId);

    /// <summary>
    /// Anthropic's stop reason as OpenAI's finish reason: a natural end or a stop sequence → <c>stop</c>; the token limit
    /// or a full context window → <c>length</c>; tool use → <c>tool_calls</c>; a refusal → <c>content_filter</c>.
    /// </summary>
    public static string FinishReasonOf(string? stopReason) => stopReason switch
    {
        StopReasons.MaxTokens or "model_context_window_exceeded" => "length",
        StopReasons.ToolUse => "tool_calls",
        StopReasons.Refusal => "content_filter",
        _ => "stop",
    };

    /// <summary>A whole non-streaming answer as a <c>chat.completion</c> object.</summary>
    public static void WriteCompletion(IBufferWriter<byte> output, MessageAggregate message, long created)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("id"u8, CompletionId(message.MessageId));
        json.WriteString("object"u8, "chat.completion"u8);
        json.WriteNumber("created"u8, created);
        json.WriteString("model"u8, message.Model);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("message"u8);
        json.WriteString("role"u8, "assistant"u8);

        // Text blocks are pieces of one answer (citations split it into several): joined as they are, as a stream's deltas are.
        var text = string.Concat(message.Blocks.OfType<AggregatedTextBlock>().Select(b => b.Text));
        var tools = message.Blocks.OfType<AggregatedToolUseBlock>().ToList();
        if (text.Length > 0 || tools.Count == 0)
        {
            json.WriteString("content"u8, text);
        }
        else
        {
            json.WriteNull("content"u8);
        }

        json.WriteNull("refusal"u8);
        if (tools.Count > 0)
        {
            json.WriteStartArray("tool_calls"u8);
            foreach (var tool in tools)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, tool.Id);
                json.WriteString("type"u8, "function"u8);
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, tool.Name);

                // As OpenAI does, arguments cut short by the token limit are sent as generated (finish_reason says length).
                json.WriteString("arguments"u8, tool.InputJson.Length == 0 ? "{}" : tool.InputJson);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        json.WriteString("finish_reason"u8, FinishReasonOf(message.StopReason));
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, message.Usage);
        json.WriteEndObject();
    }

    /// <summary>OpenAI's error body.</summary>
    public static void WriteError(IBufferWriter<byte> output, OpenAiError error)
    {
        using var json = new Utf8JsonWriter(output, Options);
        WriteError(json, error);
    }

    internal static void WriteError(Utf8JsonWriter json, OpenAiError error)
    {
        json.WriteStartObject();
        json.WriteStartObject("error"u8);
        json.WriteString("message"u8, error.Message);
        json.WriteString("type"u8, error.Type);
        json.WriteString("param"u8, error.Param);
        json.WriteString("code"u8, error.Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// OpenAI counts cached prompt tokens inside <c>prompt_tokens</c> (and again in <c>cached_tokens</c>); Anthropic counts
    /// cache reads and writes apart from <c>input_tokens</c>, so they are added back.
    /// </summary>
    internal static void WriteUsage(Utf8JsonWriter json, Usage usage)
    {
        var prompt = usage.InputTokens + usage.CacheReadInputTokens + usage.CacheCreationInputTokens;
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, prompt);
        json.WriteNumber("completion_tokens"u8, usage.OutputTokens);
        json.WriteNumber("total_tokens"u8, prompt + usage.OutputTokens);
        json.WriteStartObject("prompt_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, usage.CacheReadInputTokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>An error as an OpenAI client sees it: the HTTP status and <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed record OpenAiError(int Status, string Type, string? Code, string? Param, string Message)
{
    /// <summary>
    /// The gateway's error (Anthropic's vocabulary) in OpenAI's: statuses OpenAI uses (Anthropic's 529 overloaded is
    /// OpenAI's 503), and the <c>type</c> and <c>code</c> OpenAI clients branch on (<c>invalid_api_key</c>,
    /// <c>model_not_found</c>, <c>rate_limit_exceeded</c>, <c>content_filter</c> for a safeguard block).
    /// </summary>
    /// <param name="contentFiltered">The request or its answer was blocked by content screening.</param>
    public static OpenAiError Of(ApiError error, bool contentFiltered) => error.Status switch
    {
        400 => new(400, "invalid_request_error", contentFiltered ? "content_filter" : null, error.Param, error.Message),
        401 => new(401, "invalid_request_error", "invalid_api_key", null, error.Message),
        403 => new(403, "permission_error", null, null, error.Message),
        404 => new(404, "invalid_request_error", "model_not_found", "model", error.Message),
        413 => new(413, "invalid_request_error", "request_too_large", null, error.Message),
        429 => new(429, "rate_limit_error", "rate_limit_exceeded", null, error.Message),
        529 => new(503, "service_unavailable_error", "server_is_overloaded", null, error.Message),
        503 => new(503, "service_unavailable_error", null, null, error.Message),
        >= 500 => new(error.Status, "server_error", null, null, error.Message),
        _ => new(error.Status, "invalid_request_error", null, error.Param, error.Message),
    };
}

/// <summary>
/// Frames one streamed answer as OpenAI <c>chat.completion.chunk</c> server-sent events (<c>data: {…}</c>, no event
/// names, ending with <c>data: [DONE]</c>): the role first, then content deltas and tool-call deltas (each call its own
/// <c>index</c>, its id and name in its first delta, then argument fragments), a finish chunk, and — when the client
/// asked with <c>stream_options.include_usage</c> — a usage chunk with no choices. One per response; not thread-safe.
/// </summary>
public sealed class ChatCompletionsChunkWriter(IBufferWriter<byte> output, bool includeUsage, long created) : IDisposable
{
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> FrameEnd => "\n\n"u8;
    private static ReadOnlySpan<byte> DoneFrame => "data: [DONE]\n\n"u8;

    private readonly Utf8JsonWriter _json = new(output, ChatCompletionsAnswerWriter.Options);

    // Anthropic content block index → OpenAI tool call index (tool calls are numbered apart from text).
    private readonly Dictionary<int, int> _toolIndexes = [];
    private string _id = string.Empty;
    private string _model = string.Empty;
    private Usage _usage;
    private bool _ended;

    public void Write(StreamEvent streamEvent)
    {
        if (_ended)
        {
            return;
        }

        switch (streamEvent)
        {
            case MessageStartEvent start:
                _id = ChatCompletionsAnswerWriter.CompletionId(start.MessageId);
                _model = start.Model;
                _usage = start.Usage;
                BeginChunk();
                _json.WriteString("role"u8, "assistant"u8);
                _json.WriteString("content"u8, ""u8);
                _json.WriteNull("refusal"u8);
                EndChunk(finishReason: null);
                break;
            case ContentBlockStartEvent { Block: ToolUseBlockHeader tool } toolStart:
                var toolIndex = _toolIndexes.Count;
                _toolIndexes[toolStart.Index] = toolIndex;
                BeginChunk();
                BeginToolCall(toolIndex);
                _json.WriteString("id"u8, tool.Id);
                _json.WriteString("type"u8, "function"u8);
                _json.WriteStartObject("function"u8);
                _json.WriteString("name"u8, tool.Name);
                _json.WriteString("arguments"u8, ""u8);
                EndToolCall();
                EndChunk(finishReason: null);
                break;
            case TextDeltaEvent text:
                BeginChunk();
                _json.WriteString("content"u8, text.Text);
                EndChunk(finishReason: null);
                break;
            case InputJsonDeltaEvent inputJson when _toolIndexes.TryGetValue(inputJson.Index, out var index):
                BeginChunk();
                BeginToolCall(index);
                _json.WriteStartObject("function"u8);
                _json.WriteString("arguments"u8, inputJson.PartialJson);
                EndToolCall();
                EndChunk(finishReason: null);
                break;
            case MessageDeltaEvent delta:
                _usage = _usage.MergeDelta(delta.Usage);
                BeginChunk();
                EndChunk(ChatCompletionsAnswerWriter.FinishReasonOf(delta.StopReason));
                break;
            case MessageStopEvent:
                if (includeUsage)
                {
                    WriteUsageChunk();
                }

                output.Write(DoneFrame);
                _ended = true;
                break;
            case ErrorEvent error:
                WriteError(OpenAiError.Of(new ApiError(ErrorTypes.StatusOf(error.ErrorType), error.ErrorType, error.Message), contentFiltered: false));
                break;
            default:
                // Pings have no OpenAI equivalent (and block starts and stops no chunk of their own).
                break;
        }
    }

    /// <summary>
    /// Ends the stream because screening blocked the rest of the answer: OpenAI's own content filter ends a stream with
    /// <c>finish_reason: "content_filter"</c>, which every OpenAI client understands as "output withheld". No usage
    /// chunk follows (OpenAI sends none for an interrupted stream either); the receipt has what was billed.
    /// </summary>
    public void WriteContentFilterStop()
    {
        if (_ended)
        {
            return;
        }

        BeginChunk();
        EndChunk("content_filter");
        output.Write(DoneFrame);
        _ended = true;
    }

    /// <summary>A failure after the stream began: an <c>error</c> object as a data event and no <c>[DONE]</c> (the OpenAI SDKs raise it).</summary>
    public void WriteError(OpenAiError error)
    {
        if (_ended)
        {
            return;
        }

        output.Write(DataPrefix);
        _json.Reset();
        ChatCompletionsAnswerWriter.WriteError(_json, error);
        _json.Flush();
        output.Write(FrameEnd);
        _ended = true;
    }

    public void Dispose() => _json.Dispose();

    /// <summary>Opens a chunk up to its <c>delta</c> object; the caller writes the delta's members, then <see cref="EndChunk"/>.</summary>
    private void BeginChunk()
    {
        output.Write(DataPrefix);
        _json.Reset();
        WriteChunkHeader();
        _json.WriteStartArray("choices"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, 0);
        _json.WriteStartObject("delta"u8);
    }

    private void EndChunk(string? finishReason)
    {
        _json.WriteEndObject();
        _json.WriteNull("logprobs"u8);
        _json.WriteString("finish_reason"u8, finishReason);
        _json.WriteEndObject();
        _json.WriteEndArray();
        if (includeUsage)
        {
            // OpenAI: with include_usage, every chunk carries "usage": null except the last, which has it.
            _json.WriteNull("usage"u8);
        }

        _json.WriteEndObject();
        _json.Flush();
        output.Write(FrameEnd);
    }

    private void BeginToolCall(int index)
    {
        _json.WriteStartArray("tool_calls"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, index);
    }

    /// <summary>Closes the <c>function</c> object, the call and the <c>tool_calls</c> array.</summary>
    private void EndToolCall()
    {
        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.WriteEndArray();
    }

    private void WriteUsageChunk()
    {
        output.Write(DataPrefix);
        _json.Reset();
        WriteChunkHeader();
        _json.WriteStartArray("choices"u8);
        _json.WriteEndArray();
        ChatCompletionsAnswerWriter.WriteUsage(_json, _usage);
        _json.WriteEndObject();
        _json.Flush();
        output.Write(FrameEnd);
    }

    private void WriteChunkHeader()
    {
        _json.WriteStartObject();
        _json.WriteString("id"u8, _id);
        _json.WriteString("object"u8, "chat.completion.chunk"u8);
        _json.WriteNumber("created"u8, created);
        _json.WriteString("model"u8, _model);
    }
}
