using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Gateway.Receipts;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Metering;

/// <summary>
/// The data plane's two metering moments: admission (budgets and quotas, before a backend is chosen) and the record
/// (after the answer: the quota settled with the real usage, the receipt and the usage record written together).
/// </summary>
public sealed class MeteringService(AdmissionControl admission, ReceiptWriter writer)
{
    /// <inheritdoc cref="AdmissionControl.AdmitAsync"/>
    public ValueTask<ApiError?> AdmitAsync(HttpContext context, RequestMeter meter, KeyRecord key, DeploymentRoute deployment, MessagesRequest request) =>
        admission.AdmitAsync(context.Response, meter, key, deployment, request, context.RequestAborted);

    /// <summary>
    /// Records a request once: settles its quota reservation, puts the metered usage on the receipt (so receipt and
    /// ledger agree, also for a stream cut short) and writes both. <paramref name="durable"/>: wait until committed.
    /// </summary>
    public async Task RecordAsync(RequestMeter meter, Receipt receipt, KeyRecord key, DeploymentRoute? deployment, bool durable, CancellationToken cancellationToken)
    {
        if (meter.Recorded)
        {
            return;
        }

        meter.Recorded = true;
        // Billed: a complete answer, a stream that ended early (what was sent), or an answer the client walked away from
        // (what was generated). An error answer delivered nothing and costs nothing.
        var usage = receipt.Status is 200 or 499 ? meter.ToUsageRecord(receipt.RequestId, receipt.CreatedAt, key, deployment) : null;
        await admission.SettleAsync(meter, usage?.Tokens);
        if (usage is not null)
        {
            receipt = receipt with
            {
                InputTokens = usage.Tokens.Input,
                OutputTokens = usage.Tokens.Output,
                CacheCreationInputTokens = usage.Tokens.CacheWrite,
                CacheReadInputTokens = usage.Tokens.CacheRead,
            };
        }

        if (durable)
        {
            await writer.WriteDurablyAsync(receipt, usage, cancellationToken);
        }
        else
        {
            await writer.EnqueueAsync(receipt, usage, CancellationToken.None);
        }
    }
}
