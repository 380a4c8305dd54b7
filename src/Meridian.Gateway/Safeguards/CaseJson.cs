using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Gateway.Admin;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

public sealed record CaseCategoryView(string Category, string Severity);

/// <summary>A case's metadata as reviewers see it: no content (that takes <c>POST …/open</c>, which is audited).</summary>
public sealed record CaseView(
    string Id,
    string RequestId,
    DateTimeOffset CreatedAt,
    string Geography,
    string TenantId,
    string KeyId,
    string ResourceId,
    string DeploymentId,
    string DeploymentName,
    string PublisherId,
    string Policy,
    string Verdict,
    string Action,
    IReadOnlyList<CaseCategoryView> Categories,
    IReadOnlyList<string> Kinds,
    string Status,
    string? Decision,
    string? DecisionAction,
    DateTimeOffset? DecidedAt,
    string? DecidedBy,
    string Snapshot,
    DateTimeOffset? PurgedAt)
{
    public static CaseView Of(CaseRecord c) => new(
        c.Id, c.RequestId, c.CreatedAt, c.Geography, c.TenantId, c.KeyId, c.ResourceId, c.DeploymentId, c.DeploymentName, c.PublisherId,
        c.Policy, c.Verdict, c.Action, [.. c.Categories.Select(x => new CaseCategoryView(x.Category, x.Severity))], c.Kinds, c.Status,
        c.Decision, c.DecisionAction, c.DecidedAt, c.DecidedBy, c.HasSnapshot ? "held" : "purged", c.PurgedAt);
}

public sealed record AccessEventView(long Seq, DateTimeOffset At, string Actor, string CaseId, string Event, string? Reason, string PreviousHash, string Hash)
{
    public static AccessEventView Of(AccessEvent e) => new(e.Seq, e.At, e.Actor, e.CaseId, e.Event, e.Reason, e.PreviousHash, e.Hash);
}

public sealed record OpenCaseRequest(string? Reason);

/// <summary>The decrypted snapshot (<c>request</c> as the client sent it, <c>response</c> text) and the access record just written.</summary>
public sealed record OpenCaseResponse(CaseView Case, JsonElement Snapshot, AccessEventView Access);

public sealed record DecideCaseRequest(string? Decision, string? Action);

public sealed record AccessLogVerificationView(string Geography, bool Valid, long Entries, long? BrokenAt, string? Head);

/// <summary>What a tenant sees of a case on its receipt: that it exists and its outcome, not who reviewed.</summary>
public sealed record ReceiptCaseView(string Id, string Status, string? Decision, string? Action);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    MaxDepth = 32)]
[JsonSerializable(typeof(ListResponse<CaseView>))]
[JsonSerializable(typeof(ListResponse<AccessEventView>))]
[JsonSerializable(typeof(CaseView))]
[JsonSerializable(typeof(OpenCaseRequest))]
[JsonSerializable(typeof(OpenCaseResponse))]
[JsonSerializable(typeof(DecideCaseRequest))]
[JsonSerializable(typeof(AccessLogVerificationView))]
[JsonSerializable(typeof(ReceiptCaseView))]
public sealed partial class CaseJsonContext : JsonSerializerContext;
