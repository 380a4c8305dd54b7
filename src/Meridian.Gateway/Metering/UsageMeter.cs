using System.Text;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Metering;

/// <summary>How a request's answer ended, which decides what it is billed (docs/metering.md, "What a request is billed").</summary>
public enum AnswerEnding
{
    /// <summary>No backend began an answer: refused, blocked on input, or failed closed. Nothing is billed.</summary>
    NotStarted,

    /// <summary>The backend finished its answer (<c>message_delta</c> with a stop reason).</summary>
    Complete,

    /// <summary>A safeguard stopped the answer: billed for what the backend generated until then.</summary>
    BlockedOnOutput,

    /// <summary>The client went away: billed for what the backend generated until the gateway stopped reading.</summary>
    ClientAborted,

    /// <summary>The backend failed after it began: Meridian's side failed, so nothing is billed.</summary>
    BackendFailed,
}

/// <summary>
/// The one usage accumulator of a request: the backend's own usage as it reports it, and the text and tool input it
/// generated, so an answer cut short is billed for what was generated. Fed by <see cref="UsageObservingBackend"/>,
/// read once when the request's record is built. The generated text is only ever counted, never stored or logged.
/// One per request; not shared.
/// </summary>
internal sealed class UsageMeter
{
    private readonly StringBuilder _generated = new();
    private Usage _usage;
    private bool _started;
    private bool _finished;

    /// <summary>Input tokens as the tokenizer counted the request: billed when the backend reports no input count.</summary>
    public int CountedInputTokens { get; set; }

    /// <summary>Whether a backend began an answer (its <c>message_start</c> arrived).</summary>
    public bool Started => _started;

    /// <summary>Whether the backend finished its answer (a <c>message_delta</c> with the final usage arrived).</summary>
    public bool Finished => _finished;

    /// <summary>When the first output (text or tool input) arrived, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp; 0 before.</summary>
    public long FirstOutputAt { get; private set; }

    /// <summary>The stop reason the backend gave, if it finished.</summary>
    public string? StopReason { get; private set; }

    public void Observe(StreamEvent streamEvent)
    {
        switch (streamEvent)
        {
            case MessageStartEvent start:
                _started = true;
                _usage = start.Usage;
                break;
            case TextDeltaEvent text:
                MarkFirstOutput();
                _generated.Append(text.Text);
                break;
            case InputJsonDeltaEvent json:
                MarkFirstOutput();
                _generated.Append(json.PartialJson);
                break;
            case MessageDeltaEvent delta:
                _usage = _usage.MergeDelta(delta.Usage);
                StopReason = delta.StopReason;
                _finished = true;
                break;
            default:
                break;
        }
    }

    private void MarkFirstOutput()
    {
        if (FirstOutputAt == 0)
        {
            FirstOutputAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// What the request is billed, by one rule for every ending: nothing unless a backend began an answer and the
    /// backend did not fail; otherwise the input (as the backend reports it, else as counted) and the output the backend
    /// generated — its own final count when it finished, else the tokens of what the gateway read from it.
    /// </summary>
    public (TokenCounts Tokens, UsageSource Source)? Billed(AnswerEnding ending)
    {
        if (!_started || ending is AnswerEnding.NotStarted or AnswerEnding.BackendFailed)
        {
            return null;
        }

        var source = UsageSource.Backend;
        var input = _usage.InputTokens;
        if (input == 0 && _usage.CacheReadInputTokens == 0 && _usage.CacheCreationInputTokens == 0)
        {
            // The backend gave no input count: count the prompt ourselves.
            input = CountedInputTokens;
            source = UsageSource.Counted;
        }

        long output;
        if (!_finished)
        {
            // Cut short (client gone, output blocked): what was generated until the gateway stopped reading. The
            // output_tokens of message_start is a placeholder, not a count of anything generated.
            output = Generated();
            source = UsageSource.Partial;
        }
        else if (_usage.OutputTokens == 0 && Generated() is > 0 and var generated)
        {
            output = generated;
            source = UsageSource.Counted;
        }
        else
        {
            output = _usage.OutputTokens;
        }

        return (new TokenCounts(input, output, _usage.CacheCreationInputTokens, _usage.CacheReadInputTokens), source);
    }

    /// <summary>Tokens of the text and tool input generated so far; counted only when the backend's own count is missing.</summary>
    private int Generated() => _generated.Length == 0 ? 0 : TokenCounter.Count(_generated.ToString());

    /// <summary>The ledger row for what this request is billed, or null when it is billed nothing.</summary>
    public UsageRecord? ToUsageRecord(AnswerEnding ending, string requestId, DateTimeOffset at, KeyRecord key, DeploymentRoute? deployment)
    {
        if (deployment is null || Billed(ending) is not { } billed || billed.Tokens.IsZero)
        {
            return null;
        }

        return new UsageRecord
        {
            RequestId = requestId,
            At = at,
            TenantId = deployment.TenantId,
            KeyId = key.KeyId,
            ResourceId = deployment.ResourceId,
            DeploymentId = deployment.DeploymentId,
            DeploymentName = deployment.Name,
            OfferId = deployment.OfferId,
            PublisherId = deployment.PublisherId,
            Model = deployment.ModelId,
            StorageGeography = deployment.StorageGeography,
            Tokens = billed.Tokens,
            Source = billed.Source,
        };
    }
}
