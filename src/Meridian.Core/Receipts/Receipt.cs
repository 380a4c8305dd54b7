namespace Meridian.Core.Receipts;

/// <summary>
/// The data-flow receipt of one request: where it came in, where it was processed, where its records rest,
/// what the safeguards said and what it used. It never holds prompt or output text.
/// </summary>
public sealed record Receipt
{
    public required string RequestId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string TenantId { get; init; }
    public required string KeyId { get; init; }
    public string? DeploymentId { get; init; }
    public string? DeploymentName { get; init; }
    public string? Model { get; init; }
    public string? HostingOption { get; init; }
    public string? DeploymentType { get; init; }
    public required string IngressRegion { get; init; }
    public string? Backend { get; init; }
    public string? ProcessingRegion { get; init; }
    public required string StorageGeography { get; init; }
    public required string Endpoint { get; init; }
    public bool Streamed { get; init; }
    public required int Status { get; init; }
    public string? ErrorType { get; init; }
    public string SafeguardVerdict { get; init; } = "not_screened";
    public string? StopReason { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CacheCreationInputTokens { get; init; }
    public long CacheReadInputTokens { get; init; }
    public double DurationMs { get; init; }
}
