using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Http;
using Meridian.Gateway.Safeguards;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// Turns an ended <see cref="RequestExchange"/> into its one <see cref="RequestRecord"/>, in one pass: the receipt (who,
/// which deployment and boundary, the route and every attempt, who received which data, the verdict, the usage billed),
/// the usage row with exactly the receipt's tokens, and the sealed case of a flagged request. What is billed follows
/// one rule for every ending (<see cref="Metering.UsageMeter.Billed"/>), so the ledger always equals the receipts.
/// Thread-safe.
/// </summary>
internal sealed class RequestRecordBuilder(RequestSafeguards safeguards, GatewayOptions options, TimeProvider time)
{
    public RequestRecord Build(RequestExchange exchange)
    {
        var now = time.GetUtcNow();
        var requestId = RequestIds.Of(exchange.Http);
        var key = exchange.Key;
        var deployment = exchange.Deployment;
        var route = exchange.Routed?.Route;
        var backend = route?.Backend;
        var ending = exchange.Ending;
        var usage = exchange.Usage.ToUsageRecord(ending, requestId, now, key, deployment);
        var tokens = usage?.Tokens ?? Core.Billing.TokenCounts.Zero;
        var verdict = exchange.Verdict;
        var screened = exchange.Input?.Policy is not null;

        var receipt = new Receipt
        {
            RequestId = requestId,
            CreatedAt = now,
            TenantId = key.TenantId,
            KeyId = key.KeyId,
            DeploymentId = deployment?.DeploymentId,
            DeploymentName = deployment?.Name,
            Model = deployment?.ModelId,
            HostingOption = deployment is null ? null : WireNames.Of(deployment.Hosting),
            DeploymentType = deployment?.Type is { } type ? WireNames.Of(type) : null,
            IngressRegion = options.IngressRegion,
            Backend = backend is null ? null : $"{backend.Id} ({backend.Kind})",
            ProcessingRegion = backend?.ProcessingLocation,
            StorageGeography = (deployment?.ResourceRegion ?? key.ResourceRegion).Geography,
            Endpoint = exchange.Endpoint,
            Streamed = exchange.Streamed,
            Status = exchange.Status,
            ErrorType = exchange.ErrorType,
            SafeguardVerdict = screened && verdict is not null ? verdict.Compact : "not_screened",
            StopReason = exchange.Usage.StopReason,
            InputTokens = tokens.Input,
            OutputTokens = tokens.Output,
            CacheCreationInputTokens = tokens.CacheWrite,
            CacheReadInputTokens = tokens.CacheRead,
            DurationMs = time.GetElapsedTime(exchange.StartedAt).TotalMilliseconds,
            PublisherId = deployment?.PublisherId,
            ResourceRegion = deployment?.ResourceRegion.Name,
            ResourceDataZone = deployment?.ResourceRegion.DataZone,
            ProcessingDataZone = backend?.Placement.DataZone,
            ProcessingOperator = backend?.Placement.OperatedBy,
            Attempts = route is { Attempts.Count: > 0 } ? [.. route.Attempts] : null,
            RoutingFailure = route?.Failure,
            DataRecipients = deployment is not null && screened && verdict is not null
                ? [.. ReceiptBoundary.Recipients(deployment.PublisherId, route?.ContentOperators ?? []), .. safeguards.ClassifierRecipients(deployment, verdict)]
                : ReceiptBoundary.Recipients(deployment?.PublisherId, route?.ContentOperators ?? []),
            IngressDataZone = exchange.IngressDataZone,
            IngressOutsideBoundary = exchange.Ingress == IngressDecision.AllowedOutside ? true : null,
            WorldVersion = exchange.Snapshot.World.Version,
            ResourceId = key.ResourceId,
        };

        var flagged = screened && deployment is not null && verdict is { RequiresReview: true }
            ? safeguards.SealCase(requestId, now, key, deployment, verdict, exchange.Body!.Memory, exchange.Request, exchange.Capture)
            : null;
        return new RequestRecord(receipt, usage, flagged);
    }
}
