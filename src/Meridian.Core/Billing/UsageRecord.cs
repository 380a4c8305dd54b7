using System.Text.Json.Serialization;

namespace Meridian.Core.Billing;

/// <summary>Where a request's token counts came from.</summary>
public enum UsageSource
{
    /// <summary>The backend's own <c>usage</c>.</summary>
    [JsonStringEnumMemberName("backend")]
    Backend,

    /// <summary>The backend reported none; counted with the tokenizer.</summary>
    [JsonStringEnumMemberName("counted")]
    Counted,

    /// <summary>The answer ended early (the client went away, the backend failed): output counted from what was generated.</summary>
    [JsonStringEnumMemberName("partial")]
    Partial,
}

/// <summary>
/// One request's metered usage: the ledger row, written exactly once per request id in the deployment's geography.
/// Ids, names of marketplace objects and numbers only: it never holds prompt or output text.
/// </summary>
public sealed record UsageRecord
{
    public required string RequestId { get; init; }

    /// <summary>When the usage happened (the answer's end): the time whose offer price applies.</summary>
    public required DateTimeOffset At { get; init; }

    public required string TenantId { get; init; }
    public required string KeyId { get; init; }
    public required string ResourceId { get; init; }
    public required string DeploymentId { get; init; }
    public required string DeploymentName { get; init; }
    public required string OfferId { get; init; }
    public required string PublisherId { get; init; }
    public required string Model { get; init; }

    /// <summary>Where the record rests (the resource's geography).</summary>
    public required string StorageGeography { get; init; }

    public required TokenCounts Tokens { get; init; }
    public required UsageSource Source { get; init; }
}

/// <summary>The usage of one tenant's deployment and model in one hour: the ledger's aggregate for fast queries.</summary>
public sealed record HourlyUsage(
    DateTimeOffset Hour,
    string TenantId,
    string DeploymentId,
    string DeploymentName,
    string Model,
    string OfferId,
    string PublisherId,
    long Requests,
    TokenCounts Tokens);

/// <summary>Usage summed over a span, by tenant, deployment and model.</summary>
public sealed record UsageSum(
    string TenantId,
    string DeploymentId,
    string DeploymentName,
    string Model,
    string OfferId,
    string PublisherId,
    long Requests,
    TokenCounts Tokens);
