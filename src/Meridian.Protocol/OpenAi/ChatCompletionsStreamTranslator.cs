using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.OpenAi;

/// <summary>
/// Turns an OpenAI chat completions stream (<c>chat.completion.chunk</c> payloads, then <c>[DONE]</c>) into the
/// Anthropic event stream, in Anthropic's order: <c>message_start</c>; each content block started, filled and
/// stopped before the next begins; <c>message_delta</c> with the stop reason and usage; <c>message_stop</c>.
/// <para>
/// Chat completions may interleave fragments of parallel tool calls and text; Anthropic blocks cannot interleave.
/// So one block is live at a time (text first, then the first tool call, whose argument fragments stream as they
/// come) and anything arriving for another block meanwhile is held and emitted, in order of first appearance, when
/// the upstream finishes. A client cannot run tools before the message ends, so holding later calls costs nothing.
/// </para>
/// One instance per request; not thread-safe.
/// </summary>
public sealed class ChatCompletionsStreamTranslator(BackendCall call)
{
    private static ReadOnlySpan<byte> Done => "[DONE]"u8;

    private readonly Dictionary<int, Block> _tools = [];
    private readonly List<Block> _held = [];

    // Everything generated (text, tool arguments, reasoning), counted only when the upstream reports no usage.
    private readonly StringBuilder _generated = new();

    private Block? _live;
    private int _nextIndex;
    private bool _started;
    private bool _finished;
    private string? _finishReason;
    private string? _matchedStopSequence;
    private bool _sawRefusal;
    private int _toolBlocks;
    private Usage? _usage;

    /// <summary>True once the message is complete (or failed): further payloads are ignored.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>Translates the stream of SSE data payloads an OpenAI-compatible server sent.</summary>
    public static async IAsyncEnumerable<StreamEvent> TranslateAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> payloads,
        BackendCall call,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var translator = new ChatCompletionsStreamTranslator(call);
        var events = new List<StreamEvent>();
        await foreach (var payload in payloads.WithCancellation(cancellationToken))
        {
            translator.Accept(payload.Span, events);
            foreach (var streamEvent in events)
            {
                yield return streamEvent;
            }

            events.Clear();
            if (translator.IsCompleted)
            {
                yield break;
            }
        }

        translator.Complete(events);
        foreach (var streamEvent in events)
        {
            yield return streamEvent;
        }
    }

    /// <summary>Translates one SSE <c>data:</c> payload (a chunk, an error object, or <c>[DONE]</c>) into <paramref name="events"/>.</summary>
    /// <exception cref="BackendException">The upstream failed before anything was produced.</exception>
    public void Accept(ReadOnlySpan<byte> payload, List<StreamEvent> events)
    {
        if (IsCompleted)
        {
            return;
        }

        if (payload.Trim(" \r\n\t"u8).SequenceEqual(Done))
        {
            End(events, upstreamSaidDone: true);
            return;
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(payload);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            Fail(events, new BackendException(502, ErrorTypes.Api, "The upstream sent a malformed stream event."));
            return;
        }

        using (document)
        {
            AcceptChunk(document.RootElement, events, positionalToolIndexes: false);
        }
    }

    /// <summary>
    /// Translates a whole <c>chat.completion</c> object, for servers that answer a streaming request with one JSON
    /// body (its <c>message</c> is read as one delta), and completes the message.
    /// </summary>
    public void AcceptCompletion(ReadOnlySpan<byte> json, List<StreamEvent> events)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            Fail(events, new BackendException(502, ErrorTypes.Api, "The upstream sent a malformed response."));
            return;
        }

        using (document)
        {
            AcceptChunk(document.RootElement, events, positionalToolIndexes: true);
        }

        End(events, upstreamSaidDone: true);
    }

    /// <summary>The upstream's body ended. Completes the message, or reports it cut short.</summary>
    /// <exception cref="BackendException">The upstream ended before producing anything.</exception>
    public void Complete(List<StreamEvent> events) => End(events, upstreamSaidDone: false);

    private void AcceptChunk(JsonElement root, List<StreamEvent> events, bool positionalToolIndexes)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            Fail(events, new BackendException(502, ErrorTypes.Api, "The upstream sent a malformed stream event."));
            return;
        }

        if (IsError(root))
        {
            var message = ChatCompletionsErrors.MessageOf(root, out var code);
            Fail(events, code is { } status ? ChatCompletionsErrors.FromStatus(status, message) : new BackendException(502, ErrorTypes.Api, "The upstream reported an error."));
            return;
        }

        if (!_started)
        {
            _started = true;

            // Input tokens are not known until the final usage chunk; message_delta carries them (Anthropic streams
            // may report input there too, and every consumer here merges it).
            events.Add(new MessageStartEvent(call.MessageId, call.UpstreamModel, new Usage(0, 0)));
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            _usage = UsageOf(usage);
        }

        if (_finished || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var choice in choices.EnumerateArray())
        {
            // n is never set, so there is one choice; anything else is not part of this answer.
            if (choice.ValueKind != JsonValueKind.Object
                || (choice.TryGetProperty("index", out var choiceIndex) && choiceIndex.ValueKind == JsonValueKind.Number && (!choiceIndex.TryGetInt32(out var n) || n != 0)))
            {
                continue;
            }

            if ((choice.TryGetProperty("delta", out var delta) || choice.TryGetProperty("message", out delta)) && delta.ValueKind == JsonValueKind.Object)
            {
                AcceptDelta(delta, events, positionalToolIndexes);
            }

            if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                // vLLM says which stop string fired (stop_reason); other servers do not.
                var stopReason = choice.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String ? stop.GetString() : null;
                Finish(events, finish.GetString()!, stopReason);
            }
        }
    }

    private void AcceptDelta(JsonElement delta, List<StreamEvent> events, bool positionalToolIndexes)
    {
        if (StringOf(delta, "content") is { Length: > 0 } text)
        {
            AcceptText(text, events);
        }

        if (StringOf(delta, "refusal") is { Length: > 0 } refusal)
        {
            _sawRefusal = true;
            AcceptText(refusal, events);
        }

        // Reasoning (vLLM's reasoning_content / reasoning, llama.cpp's reasoning_content) is not emitted: an Anthropic
        // thinking block needs a signature only Anthropic can make, and clients send thinking back verbatim. It is
        // still output the upstream generated, so it counts toward output tokens when we have to count them.
        if ((StringOf(delta, "reasoning_content") ?? StringOf(delta, "reasoning")) is { Length: > 0 } reasoning)
        {
            _generated.Append(reasoning);
        }

        if (delta.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            var position = 0;
            foreach (var toolCall in toolCalls.EnumerateArray())
            {
                if (toolCall.ValueKind == JsonValueKind.Object)
                {
                    AcceptToolCall(toolCall, positionalToolIndexes ? position : null, events);
                }

                position++;
            }
        }
    }

    private void AcceptText(string text, List<StreamEvent> events)
    {
        _generated.Append(text);
        if (_live is { IsTool: false } liveText)
        {
            events.Add(new TextDeltaEvent(liveText.Index, text));
        }
        else if (_live is null && _held.Count == 0)
        {
            StartLive(new Block(isTool: false), events);
            events.Add(new TextDeltaEvent(_live!.Index, text));
        }
        else if (_held.Count > 0 && _held[^1] is { IsTool: false } heldText)
        {
            heldText.Held.Append(text);
        }
        else
        {
            var block = new Block(isTool: false);
            block.Held.Append(text);
            _held.Add(block);
        }
    }

    private void AcceptToolCall(JsonElement toolCall, int? position, List<StreamEvent> events)
    {
        var id = StringOf(toolCall, "id");
        var function = toolCall.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        var name = function.ValueKind == JsonValueKind.Object ? StringOf(function, "name") : null;
        var arguments = function.ValueKind == JsonValueKind.Object ? ArgumentsOf(function) : null;
        var index = position ?? ToolIndexOf(toolCall, id);

        var isNew = !_tools.TryGetValue(index, out var block);
        if (block is null)
        {
            block = new Block(isTool: true);
            _tools[index] = block;
        }

        if (string.IsNullOrEmpty(block.Id) && !string.IsNullOrEmpty(id))
        {
            block.Id = id;
        }

        if (string.IsNullOrEmpty(block.Name) && !string.IsNullOrEmpty(name))
        {
            block.Name = name;
        }

        if (!string.IsNullOrEmpty(arguments))
        {
            _generated.Append(arguments);
        }

        if (block == _live)
        {
            if (!string.IsNullOrEmpty(arguments))
            {
                events.Add(new InputJsonDeltaEvent(block.Index, arguments));
            }

            return;
        }

        block.Held.Append(arguments);
        if (isNew)
        {
            _held.Add(block);
        }

        // The first held block goes live once a tool call can start: its name is known and no other tool is live.
        if (_live is null or { IsTool: false } && _held[0] == block && !string.IsNullOrEmpty(block.Name))
        {
            _held.RemoveAt(0);
            StartLive(block, events);
            if (block.Held.Length > 0)
            {
                events.Add(new InputJsonDeltaEvent(block.Index, block.Held.ToString()));
                block.Held.Clear();
            }
        }
    }

    /// <summary>
    /// The fragment's tool call: its <c>index</c>; for servers that omit it, a new call when the id is new, else the
    /// latest call.
    /// </summary>
    private int ToolIndexOf(JsonElement toolCall, string? id)
    {
        if (toolCall.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out var value))
        {
            return value;
        }

        if (_tools.Count == 0)
        {
            return 0;
        }

        var latest = _tools.Keys.Max();
        return !string.IsNullOrEmpty(id) && !_tools.Values.Any(t => t.Id == id) ? latest + 1 : latest;
    }

    private void StartLive(Block block, List<StreamEvent> events)
    {
        if (_live is not null)
        {
            events.Add(new ContentBlockStopEvent(_live.Index));
        }

        block.Index = _nextIndex++;
        _live = block;
        if (block.IsTool)
        {
            _toolBlocks++;
            events.Add(new ContentBlockStartEvent(block.Index, new ToolUseBlockHeader(
                string.IsNullOrEmpty(block.Id) ? $"toolu_{call.MessageId}_{block.Index}" : block.Id,
                block.Name!)));
        }
        else
        {
            events.Add(new ContentBlockStartEvent(block.Index, TextBlockHeader.Instance));
        }
    }

    /// <summary>The upstream gave its finish reason: close the live block and emit every held one, in order.</summary>
    private void Finish(List<StreamEvent> events, string finishReason, string? stopReason)
    {
        _finished = true;
        _finishReason = finishReason;
        var requested = call.Request.StopSequences;
        if (stopReason is not null && requested.Contains(stopReason))
        {
            _matchedStopSequence = stopReason;
        }
        else if (finishReason == "stop_sequence" && requested.Count == 1)
        {
            // TGI says a stop sequence fired but not which; with one requested there is no doubt.
            _matchedStopSequence = requested[0];
        }

        foreach (var block in _held)
        {
            if (block.IsTool && string.IsNullOrEmpty(block.Name))
            {
                Fail(events, new BackendException(502, ErrorTypes.Api, "The upstream sent a tool call without a function name."));
                return;
            }

            StartLive(block, events);
            if (block.Held.Length > 0)
            {
                var content = block.Held.ToString();
                events.Add(block.IsTool ? new InputJsonDeltaEvent(block.Index, content) : new TextDeltaEvent(block.Index, content));
            }
        }

        _held.Clear();
        if (_live is not null)
        {
            events.Add(new ContentBlockStopEvent(_live.Index));
            _live = null;
        }
    }

    /// <summary>
    /// The end of the upstream's answer (<c>[DONE]</c>, or the body ended). Usage arrives after the finish reason
    /// (in its own chunk, with <c>include_usage</c>), so <c>message_delta</c> waits until here.
    /// </summary>
    private void End(List<StreamEvent> events, bool upstreamSaidDone)
    {
        if (IsCompleted)
        {
            return;
        }

        if (!_started)
        {
            Fail(events, new BackendException(502, ErrorTypes.Api, "The upstream ended the stream without an answer."));
            return;
        }

        if (!_finished)
        {
            if (!upstreamSaidDone)
            {
                Fail(events, new BackendException(502, ErrorTypes.Api, "The upstream ended the stream before the answer was complete."));
                return;
            }

            Finish(events, finishReason: string.Empty, stopReason: null);
            if (IsCompleted)
            {
                return;
            }
        }

        var usage = _usage ?? new Usage(call.InputTokens, TokenCounter.Count(_generated.ToString()));
        events.Add(new MessageDeltaEvent(StopReasonOf(), _matchedStopSequence, usage));
        events.Add(MessageStopEvent.Instance);
        IsCompleted = true;
    }

    /// <summary>
    /// finish_reason → stop_reason. <c>stop</c> is also what a stop sequence gives; Anthropic names the sequence that
    /// fired, which only vLLM reports (<c>stop_reason</c>), so elsewhere a stop sequence reads as <c>end_turn</c>.
    /// Servers that answer tool calls with <c>stop</c> (older Ollama) still get <c>tool_use</c>, since clients run
    /// tools on that reason. TGI's <c>eos_token</c> is <c>end_turn</c>.
    /// </summary>
    private string StopReasonOf() => _finishReason switch
    {
        "length" => StopReasons.MaxTokens,
        "tool_calls" or "function_call" => StopReasons.ToolUse,
        "content_filter" => StopReasons.Refusal,
        _ when _matchedStopSequence is not null => StopReasons.StopSequence,
        _ when _toolBlocks > 0 => StopReasons.ToolUse,
        _ when _sawRefusal => StopReasons.Refusal,
        _ => StopReasons.EndTurn,
    };

    /// <summary>Before anything was produced a failure is thrown (the client gets an HTTP error); after, it is an error event.</summary>
    private void Fail(List<StreamEvent> events, BackendException failure)
    {
        IsCompleted = true;
        if (!_started)
        {
            throw failure;
        }

        events.Add(new ErrorEvent(failure.ErrorType, failure.Message));
    }

    /// <summary>
    /// OpenAI's usage counts cached prompt tokens inside <c>prompt_tokens</c>; Anthropic's <c>input_tokens</c> excludes
    /// <c>cache_read_input_tokens</c>, so the cached part moves there rather than being counted twice.
    /// </summary>
    private static Usage UsageOf(JsonElement usage)
    {
        var prompt = LongOf(usage, "prompt_tokens");
        var completion = LongOf(usage, "completion_tokens");
        var cached = usage.TryGetProperty("prompt_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object
            ? LongOf(details, "cached_tokens")
            : 0;
        cached = Math.Clamp(cached, 0, prompt);
        return new Usage(prompt - cached, completion, CacheReadInputTokens: cached);
    }

    private static bool IsError(JsonElement root) =>
        (root.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String)
        || (root.TryGetProperty("object", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("error"u8));

    /// <summary><c>function.arguments</c> is a string fragment; a few servers send the arguments as an object instead.</summary>
    private static string? ArgumentsOf(JsonElement function) =>
        function.TryGetProperty("arguments", out var arguments)
            ? arguments.ValueKind switch
            {
                JsonValueKind.String => arguments.GetString(),
                JsonValueKind.Object => arguments.GetRawText(),
                _ => null,
            }
            : null;

    private static long LongOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? Math.Max(0, number) : 0;

    private static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed class Block(bool isTool)
    {
        public bool IsTool { get; } = isTool;

        /// <summary>The Anthropic content block index, assigned when the block starts.</summary>
        public int Index { get; set; } = -1;

        public string? Id { get; set; }

        public string? Name { get; set; }

        /// <summary>What arrived while another block was live.</summary>
        public StringBuilder Held { get; } = new();
    }
}
