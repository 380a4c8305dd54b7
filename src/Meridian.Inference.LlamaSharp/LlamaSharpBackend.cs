using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Inference.LlamaSharp;

/// <summary>
/// In-process inference on a GGUF model with LLamaSharp (llama.cpp): the CPU backend, or a GPU one when the build ships
/// it. The model is loaded once and its weights are shared, read-only, by all requests; each request generates in a
/// context (KV cache) of its own from a small pool. Tokens stream as text deltas as they are decoded.
/// <para>
/// Tools are not supported (a raw GGUF has no tool-call format Meridian can rely on): a request whose
/// <c>tool_choice</c> demands a tool call fails with 400 before any event; tool definitions are otherwise ignored.
/// Nor are images, PDFs, structured outputs or anything only an Anthropic upstream can judge (<see cref="Refusal"/>).
/// </para>
/// Safe to call concurrently; <see cref="Dispose"/> frees the native memory once no request uses it.
/// </summary>
public sealed partial class LlamaSharpBackend : IInferenceBackend, IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly ContextPool _contexts;
    private readonly ChatPrompt _prompt;
    private readonly ILogger _logger;

    public LlamaSharpBackend(LlamaSharpOptions options, ILogger<LlamaSharpBackend>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ContextSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxParallelRequests, 1);
        _logger = logger ?? NullLogger<LlamaSharpBackend>.Instance;
        if (!File.Exists(options.ModelPath))
        {
            throw new FileNotFoundException($"The GGUF model '{options.ModelPath}' does not exist.", options.ModelPath);
        }

        // Before the first native call, so that llama.cpp's load-time chatter is filtered too.
        NativeLogging.RouteTo(_logger);

        var started = Stopwatch.GetTimestamp();
        var parameters = new ModelParams(options.ModelPath)
        {
            GpuLayerCount = options.GpuLayerCount,
            Threads = options.Threads,
            BatchThreads = options.Threads,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        try
        {
            var trained = _weights.ContextSize;
            ContextSize = options.ContextSize > 0
                ? options.ContextSize
                : Math.Min(trained > 0 ? trained : LlamaSharpOptions.DefaultMaxContextSize, LlamaSharpOptions.DefaultMaxContextSize);
            parameters.ContextSize = (uint)ContextSize;
            parameters.BatchSize = (uint)Math.Min(ContextSize, 512);
            parameters.UBatchSize = parameters.BatchSize;
            _contexts = new ContextPool(_weights, parameters, options.MaxParallelRequests);
            _prompt = ChatPrompt.For(_weights, out var unsupportedTemplate);
            if (unsupportedTemplate)
            {
                Log.UnsupportedChatTemplate(_logger, options.ModelPath);
            }
        }
        catch
        {
            _weights.Dispose();
            throw;
        }

        LoadTime = Stopwatch.GetElapsedTime(started);
        Log.ModelLoaded(_logger, options.ModelPath, _weights.ParameterCount, ContextSize, _prompt.Kind, (long)LoadTime.TotalMilliseconds);
    }

    /// <summary>Tokens per request, prompt and answer together.</summary>
    public int ContextSize { get; }

    /// <summary>How long loading the GGUF took.</summary>
    public TimeSpan LoadTime { get; }

    /// <summary><c>model</c> when the GGUF's own chat template is used, <c>plain</c> otherwise.</summary>
    public string PromptFormat => _prompt.Kind;

    /// <summary>The prompt's length in the model's own tokens (what <c>usage.input_tokens</c> reports).</summary>
    public int CountInputTokens(MessagesRequest request) => Tokenize(_prompt.Build(request)).Length;

    public async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var generation = await StartAsync(call, cancellationToken);

        yield return new MessageStartEvent(call.MessageId, call.UpstreamModel, new Usage(generation.InputTokens, 1));
        yield return new ContentBlockStartEvent(0, TextBlockHeader.Instance);

        string? failure = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = generation.Next();
            if (step.Text.Length > 0)
            {
                yield return new TextDeltaEvent(0, step.Text);
            }

            if (step.Failure is { } error)
            {
                failure = error;
                break;
            }

            if (step.StopReason is not null)
            {
                break;
            }
        }

        if (failure is not null)
        {
            Log.GenerationFailed(_logger, failure);
            yield return new ErrorEvent(ErrorTypes.Api, failure);
            yield break;
        }

        yield return new ContentBlockStopEvent(0);
        yield return new MessageDeltaEvent(generation.StopReason!, generation.StopSequence, new Usage(generation.InputTokens, generation.OutputTokens));
        yield return MessageStopEvent.Instance;
    }

    /// <summary>A text model: no images, PDFs, schema-constrained answers, thinking or effort.</summary>
    public BackendCapabilities Capabilities => BackendCapabilities.None;

    /// <summary>It reads text and text documents; anything else would have to be dropped from the prompt, so it refuses.</summary>
    public string? Refusal(MessagesRequest request) =>
        FeatureSupport.FirstUnsupported(request, "an in-process model", FeatureKind.TextDocument);

    public void Dispose()
    {
        _contexts.Dispose();
        _weights.Dispose();
    }

    /// <summary>Everything that can refuse the request happens here, before its first event.</summary>
    private async ValueTask<Generation> StartAsync(BackendCall call, CancellationToken cancellationToken)
    {
        var request = call.Request;
        if (Refusal(request) is { } refusal)
        {
            // The router asks first; a caller that did not (tests, benchmarks) gets the same answer here.
            throw new BackendException(400, ErrorTypes.InvalidRequest, refusal);
        }

        var prompt = Tokenize(_prompt.Build(request));
        if (prompt.Length >= ContextSize)
        {
            throw new BackendException(400, ErrorTypes.InvalidRequest,
                $"prompt is too long: {prompt.Length} tokens > {ContextSize - 1} maximum (the context of this model is {ContextSize} tokens)");
        }

        var stops = new List<string>(request.StopSequences);
        var clientStops = stops.Count;
        stops.AddRange(_prompt.ImplicitStops);
        var sampling = Sampling.Of(request);

        var lease = await _contexts.AcquireAsync(cancellationToken);
        try
        {
            // From here the generation owns the lease (disposing either twice is harmless).
            var generation = new Generation(
                lease,
                new StreamingTokenDecoder(Encoding.UTF8, _weights),
                new StopSequenceMatcher(stops),
                clientStops,
                prompt.Length,
                Math.Min(request.MaxTokens, ContextSize - prompt.Length),
                sampling.CreateChain(sampling.IsGreedy ? 0 : (uint)Random.Shared.Next()));
            try
            {
                if (generation.DecodePrompt(prompt, cancellationToken) is { } failure)
                {
                    Log.DecodeFailed(_logger, failure.ToString());
                    throw new BackendException(503, ErrorTypes.Api, "The in-process model could not process the prompt.");
                }

                return generation;
            }
            catch
            {
                generation.Dispose();
                throw;
            }
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private LLamaToken[] Tokenize(string prompt)
    {
        var tokens = _weights.Tokenize(prompt, add_bos: _weights.Vocab.ShouldAddBOS, special: _prompt.ParseSpecialTokens, Encoding.UTF8);

        // A template that writes the BOS token itself, tokenized with special tokens on, would start with two of them.
        if (tokens.Length > 1 && tokens[0] == tokens[1] && _weights.Vocab.BOS is { } bos && tokens[0] == bos)
        {
            return tokens[1..];
        }

        return tokens;
    }

    /// <summary>One request's generation: its context, sampler, decoder and stop matcher. Not thread-safe.</summary>
    private sealed class Generation(
        ContextPool.Lease lease,
        StreamingTokenDecoder decoder,
        StopSequenceMatcher stops,
        int clientStops,
        int inputTokens,
        int budget,
        SafeLLamaSamplerChainHandle sampler) : IDisposable
    {
        private readonly LLamaBatch _batch = new();
        private int _position;
        private bool _done;

        public int InputTokens { get; } = inputTokens;

        public int OutputTokens { get; private set; }

        public string? StopReason { get; private set; }

        public string? StopSequence { get; private set; }

        private SafeLLamaContextHandle Native => lease.Context.NativeHandle;

        /// <summary>Evaluates the prompt in batches; null, or the failure.</summary>
        public DecodeResult? DecodePrompt(LLamaToken[] prompt, CancellationToken cancellationToken)
        {
            var batchSize = (int)Native.BatchSize;
            for (var start = 0; start < prompt.Length; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(batchSize, prompt.Length - start);
                _batch.Clear();
                for (var i = 0; i < count; i++)
                {
                    _batch.Add(prompt[start + i], _position++, LLamaSeqId.Zero, logits: start + i == prompt.Length - 1);
                }

                if (Native.Decode(_batch) is var result && result != DecodeResult.Ok)
                {
                    return result;
                }
            }

            return null;
        }

        /// <summary>Samples one token and decodes it; returns the text that became safe to emit and whether it ended.</summary>
        public Step Next()
        {
            if (_done)
            {
                return new Step(string.Empty, StopReason, null);
            }

            if (OutputTokens >= budget)
            {
                return Finish(StopReasons.MaxTokens, null);
            }

            var token = sampler.Sample(Native, -1);
            OutputTokens++;
            if (token.IsEndOfGeneration(Native.Vocab))
            {
                return Finish(StopReasons.EndTurn, null);
            }

            decoder.Add(token);
            var text = stops.Push(decoder.Read(), out var matched);
            if (matched >= 0)
            {
                _done = true;
                StopReason = matched < clientStops ? StopReasons.StopSequence : StopReasons.EndTurn;
                StopSequence = matched < clientStops ? stops.Sequence(matched) : null;
                return new Step(text, StopReason, null);
            }

            if (OutputTokens >= budget)
            {
                // No need to evaluate the last token: nothing will be sampled after it.
                var rest = Finish(StopReasons.MaxTokens, null);
                return rest with { Text = text + rest.Text };
            }

            _batch.Clear();
            _batch.Add(token, _position++, LLamaSeqId.Zero, logits: true);
            if (Native.Decode(_batch) is var result && result != DecodeResult.Ok)
            {
                _done = true;
                return new Step(text, null, $"The in-process model failed while generating ({result}).");
            }

            return new Step(text, null, null);
        }

        public void Dispose()
        {
            sampler.Dispose();
            lease.Dispose();
        }

        private Step Finish(string stopReason, string? stopSequence)
        {
            _done = true;
            StopReason = stopReason;
            StopSequence = stopSequence;
            return new Step(stops.Flush(), stopReason, null);
        }
    }

    private readonly record struct Step(string Text, string? StopReason, string? Failure);

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ModelLoaded, Level = LogLevel.Information,
            Message = "Loaded GGUF model {ModelPath} ({Parameters} parameters, context {ContextSize} tokens, {PromptFormat} chat template) in {ElapsedMs} ms")]
        public static partial void ModelLoaded(ILogger logger, string modelPath, ulong parameters, int contextSize, string promptFormat, long elapsedMs);

        [LoggerMessage(EventId = LogEvents.UnsupportedChatTemplate, Level = LogLevel.Warning,
            Message = "The chat template of {ModelPath} is not one llama.cpp can apply; using the plain prompt format")]
        public static partial void UnsupportedChatTemplate(ILogger logger, string modelPath);

        [LoggerMessage(EventId = LogEvents.DecodeFailed, Level = LogLevel.Warning, Message = "llama.cpp could not decode the prompt: {Result}")]
        public static partial void DecodeFailed(ILogger logger, string result);

        [LoggerMessage(EventId = LogEvents.GenerationFailed, Level = LogLevel.Warning, Message = "Generation stopped mid-answer: {Failure}")]
        public static partial void GenerationFailed(ILogger logger, string failure);
    }
}
