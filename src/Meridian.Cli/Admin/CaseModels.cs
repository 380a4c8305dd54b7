using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meridian.Cli.Admin;

// The Trust & Safety review shapes of docs/safeguards.md ("Review API") as the CLI reads them.

internal sealed record CaseCategory(string Category, string Severity);

internal sealed record TsCase(
    string Id,
    string? RequestId,
    string? CreatedAt,
    string? Geography,
    string? TenantId,
    string? DeploymentName,
    string? PublisherId,
    string? Verdict,
    string? Action,
    IReadOnlyList<CaseCategory>? Categories,
    string? Status,
    string? Decision,
    string? DecisionAction,
    string? Snapshot,
    string? ReviewedBy,
    string? Retention,
    string? Rationale = null,
    bool Urgent = false);

internal sealed record OpenedCase(TsCase Case, JsonElement Snapshot, CaseAccess Access);

internal sealed record CaseAccess(long Seq, string At, string Actor, string Event, string? ReasonCode, string? Reason, string Hash);

internal sealed record OpenCaseRequest(string Reason, string ReasonCode);

internal sealed record DecideCaseRequest(
    string Decision,
    string Action,
    string Rationale,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NotOpenedReason);

internal sealed record EscalateCaseRequest(string Reason);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TsCase))]
[JsonSerializable(typeof(Page<TsCase>))]
[JsonSerializable(typeof(OpenedCase))]
[JsonSerializable(typeof(OpenCaseRequest))]
[JsonSerializable(typeof(DecideCaseRequest))]
[JsonSerializable(typeof(EscalateCaseRequest))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class CaseJsonContext : JsonSerializerContext;
