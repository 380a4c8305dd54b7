using System.Runtime.CompilerServices;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Meridian.Simulator.Answers;

namespace Meridian.Simulator;

/// <summary>
/// The built-in backend: answers every request without a model, deterministically (the same request gets the same
/// events, byte for byte, in any process) and honestly (every text answer says it comes from a simulator).
/// It follows the protocol exactly — event order, usage, <c>max_tokens</c>, <c>stop_sequences</c>, tool calls whose
/// input satisfies the tool's schema — so the gateway and its clients can be tested end to end without a GPU.
/// Safe to share: it holds no per-request state.
/// </summary>
public sealed class SimulatorBackend(SimulatorOptions options, TimeProvider timeProvider) : IInferenceBackend
{
    private readonly SimulatorOptions _options = options ?? throw new ArgumentNullException(nameof(options));
    private readonly TimeProvider _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));

    /// <summary>It reads images and documents only to say it received them, and honours structured outputs.</summary>
    public BackendCapabilities Capabilities { get; } = BackendCapabilities.None with { ImageInput = true, PdfInput = true, StructuredOutputs = true };

    /// <summary>
    /// It answers text, media given as data, structured outputs and tool calls; it fetches no URL, holds no uploaded
    /// file, runs no server tool and cannot cite, and it cannot judge what the gateway does not know.
    /// </summary>
    public string? Refusal(MessagesRequest request) => FeatureSupport.FirstUnsupported(request, "the built-in simulator",
        FeatureKind.ImageData, FeatureKind.PdfDocument, FeatureKind.TextDocument, FeatureKind.StructuredOutput, FeatureKind.ForcedToolCall);

    public async IAsyncEnumerable<StreamEvent> StreamAsync(
        BackendCall call,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        cancellationToken.ThrowIfCancellationRequested();

        var answer = AnswerComposer.Compose(call.Request);
        var inputTokens = call.InputTokens;
        var pacing = new Pacing(_options, _timeProvider);

        yield return new MessageStartEvent(call.MessageId, call.UpstreamModel, new Usage(inputTokens, 1));

        var index = 0;
        if (answer.Text is { } text)
        {
            yield return new ContentBlockStartEvent(index, TextBlockHeader.Instance);
            yield return PingEvent.Instance;
            foreach (var piece in SplitWords(text))
            {
                await pacing.BeforeDeltaAsync(cancellationToken);
                yield return new TextDeltaEvent(index, piece);
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return new ContentBlockStopEvent(index);
            index++;
        }

        if (answer.ToolCall is { } tool)
        {
            yield return new ContentBlockStartEvent(index, new ToolUseBlockHeader(tool.Id, tool.Name));
            if (index == 0)
            {
                yield return PingEvent.Instance;
            }

            foreach (var chunk in SplitJson(tool.InputJson))
            {
                await pacing.BeforeDeltaAsync(cancellationToken);
                yield return new InputJsonDeltaEvent(index, chunk);
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return new ContentBlockStopEvent(index);
        }

        cancellationToken.ThrowIfCancellationRequested();
        yield return new MessageDeltaEvent(answer.StopReason, answer.StopSequence, new Usage(inputTokens, answer.OutputTokens));
        yield return MessageStopEvent.Instance;
    }

    /// <summary>One piece per word, each with the spaces that follow it, so the pieces concatenate to the text.</summary>
    internal static IEnumerable<string> SplitWords(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var space = text.IndexOf(' ', start);
            if (space < 0)
            {
                yield return text[start..];
                yield break;
            }

            var end = space + 1;
            while (end < text.Length && text[end] == ' ')
            {
                end++;
            }

            yield return text[start..end];
            start = end;
        }
    }

    /// <summary>Two or three pieces of the tool input, cut mid-token as real partial_json deltas are.</summary>
    internal static IEnumerable<string> SplitJson(string json)
    {
        var pieces = json.Length switch
        {
            < 2 => 1,
            < 12 => 2,
            _ => 3,
        };

        var start = 0;
        for (var i = 1; i <= pieces; i++)
        {
            var end = i == pieces ? json.Length : json.Length * i / pieces;
            if (end < json.Length && char.IsLowSurrogate(json[end]))
            {
                end++;
            }

            if (end > start)
            {
                yield return json[start..end];
                start = end;
            }
        }
    }

    /// <summary>Waits the first-token delay once, then the per-token delay between deltas. One per request.</summary>
    private sealed class Pacing(SimulatorOptions options, TimeProvider timeProvider)
    {
        private bool _started;

        public Task BeforeDeltaAsync(CancellationToken cancellationToken)
        {
            var delay = _started ? options.PerTokenDelay : options.FirstTokenDelay;
            _started = true;
            if (delay <= TimeSpan.Zero)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return Task.CompletedTask;
            }

            return Task.Delay(delay, timeProvider, cancellationToken);
        }
    }
}
