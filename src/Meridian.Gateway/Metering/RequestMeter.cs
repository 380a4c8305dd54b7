using System.Text;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Metering;

/// <summary>
/// Meters one request as its answer flows: the backend's own usage when it reports it, and the text and tool input
/// generated so far, so a stream cut short still meters what was produced. Holds the quota reservation to settle.
/// One per request; not shared. The generated text is only ever counted, never stored or logged.
/// </summary>
public sealed class RequestMeter
{
    private readonly StringBuilder _generated = new();
    private Usage _usage;
    private bool _started;
    private bool _finished;

    /// <summary>Input tokens as the tokenizer counts the request (the quota estimate, and the count when the backend reports none).</summary>
    public int EstimatedInputTokens { get; internal set; }

    /// <summary>The quota pool and what was reserved in it, or null when nothing was reserved.</summary>
    internal string? Pool { get; set; }

    internal QuotaDemand[]? Reserved { get; set; }

    /// <summary>Set once the request's receipt and usage were handed to the writer: they are recorded exactly once.</summary>
    public bool Recorded { get; set; }

    public void Observe(StreamEvent streamEvent)
    {
        switch (streamEvent)
        {
            case MessageStartEvent start:
                _started = true;
                _usage = start.Usage;
                break;
            case TextDeltaEvent text:
                _generated.Append(text.Text);
                break;
            case InputJsonDeltaEvent json:
                _generated.Append(json.PartialJson);
                break;
            case MessageDeltaEvent delta:
                _usage = _usage.MergeDelta(delta.Usage);
                _finished = true;
                break;
            default:
                break;
        }
    }

    /// <summary>The tokens this request used, as metered: null when no backend began an answer.</summary>
    public (TokenCounts Tokens, UsageSource Source)? Measure()
    {
        if (!_started)
        {
            return null;
        }

        var source = UsageSource.Backend;
        var input = _usage.InputTokens;
        if (input == 0 && _usage.CacheReadInputTokens == 0 && _usage.CacheCreationInputTokens == 0)
        {
            // The backend gave no input count: count the prompt ourselves.
            input = EstimatedInputTokens;
            source = UsageSource.Counted;
        }

        var output = _usage.OutputTokens;
        if (!_finished)
        {
            // Cut short (client gone, backend failed): whatever was generated so far, as reported or as counted.
            output = Math.Max(output, Generated());
            source = UsageSource.Partial;
        }
        else if (output == 0 && Generated() is > 0 and var generated)
        {
            output = generated;
            source = UsageSource.Counted;
        }

        return (new TokenCounts(input, output, _usage.CacheCreationInputTokens, _usage.CacheReadInputTokens), source);
    }

    /// <summary>Tokens of the text and tool input generated so far; counted only when the backend's own count is missing.</summary>
    private int Generated() => _generated.Length == 0 ? 0 : TokenCounter.Count(_generated.ToString());

    /// <summary>The ledger row for this request, or null when it used nothing.</summary>
    public UsageRecord? ToUsageRecord(string requestId, DateTimeOffset at, KeyRecord key, DeploymentRoute? deployment)
    {
        if (deployment is null || Measure() is not { } measured || measured.Tokens.IsZero)
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
            Tokens = measured.Tokens,
            Source = measured.Source,
        };
    }
}
