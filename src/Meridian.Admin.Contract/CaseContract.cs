using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meridian.Admin.Contract;

// The Trust & Safety review shapes of the admin API (docs/safeguards.md, "Review API").

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
    DateTimeOffset? PurgedAt,
    string ReviewedBy,
    string Retention)
{
    /// <summary>The tenant's name beside its id, so reviewers see who rather than an id (null once the tenant is gone).</summary>
    public string? TenantName { get; init; }

    /// <summary>The decider's display name when they decided (null on decisions from before names were recorded).</summary>
    public string? DecidedByName { get; init; }

    /// <summary>Why the reviewer decided so (null only on decisions from before a rationale was required).</summary>
    public string? Rationale { get; init; }

    /// <summary><c>opened</c>, <c>not_opened</c> (see <see cref="NotOpenedReason"/>) or <c>unavailable</c>: how the decider saw the content.</summary>
    public string? DecidedContent { get; init; }

    public string? NotOpenedReason { get; init; }

    /// <summary>True once escalated: the portal's queue puts urgent cases first.</summary>
    public bool Urgent { get; init; }

    public CaseEscalationView? Escalation { get; init; }
}

/// <param name="At">Exactly as hashed (UTC, seven fractional digits, <c>Z</c>), so the hash is recomputable from this answer alone.</param>
public sealed record AccessEventView(
    long Seq, string At, string Actor, string CaseId, string Event, string? ReasonCode, string? Reason, string PreviousHash, string Hash)
{
    /// <summary>The actor's display name when the entry was written (null on entries from before).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ActorName { get; init; }

    /// <summary>
    /// The salt of the commitment the entry's access record carries instead of the actor (docs/receipts.md, "Access
    /// records"): with <see cref="Actor"/> and <see cref="ActorName"/> it proves who the record names. Operator and reviewers only.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ActorSalt { get; init; }
}

/// <param name="ReasonCode">One of the open reason codes (docs/safeguards.md; default <c>triage</c>): what the tenant is shown.</param>
/// <param name="Reason">Free text for the access log; never shown to the tenant.</param>
public sealed record OpenCaseRequest(string? Reason, string? ReasonCode = null);

/// <summary>The decrypted snapshot (<c>request</c> as the client sent it, <c>response</c> text) and the access record just written.</summary>
public sealed record OpenCaseResponse(CaseView Case, JsonElement Snapshot, AccessEventView Access);

/// <param name="Rationale">Why the reviewer decides so: required, stored on the case and in the access log.</param>
/// <param name="NotOpenedReason">Why the reviewer decides without opening the content; needed only when they have not opened it.</param>
public sealed record DecideCaseRequest(string? Decision, string? Action, string? Rationale = null, string? NotOpenedReason = null);

/// <param name="Reason">Why the case is urgent; the people told read it.</param>
public sealed record EscalateCaseRequest(string? Reason);

public sealed record CasePersonView(string Id, string Name);

/// <param name="Notified">Who was told: the people whose queue shows the case as urgent.</param>
public sealed record CaseEscalationView(DateTimeOffset At, string By, string ByName, string Reason, IReadOnlyList<CasePersonView> Notified);

public sealed record AccessLogVerificationView(string Geography, bool Valid, long Entries, long? BrokenAt, string? Head);

/// <summary>What a tenant sees of a case on its receipt: that it exists and its outcome, not who reviewed.</summary>
public sealed record ReceiptCaseView(string Id, string Status, string? Decision, string? Action);

/// <summary>
/// A case as its tenant sees it (<c>/tenants/{tenant}/cases</c>): what was flagged and the outcome, never who reviewed or
/// decided it, and never content.
/// </summary>
public sealed record TenantCaseView(
    string Id,
    string RequestId,
    DateTimeOffset CreatedAt,
    string Geography,
    string KeyId,
    string DeploymentId,
    string DeploymentName,
    string Policy,
    string Verdict,
    string Action,
    IReadOnlyList<CaseCategoryView> Categories,
    string Status,
    string? Decision,
    string? DecisionAction,
    DateTimeOffset? DecidedAt,
    string ReviewedBy,
    string Retention,
    string Snapshot,
    DateTimeOffset? PurgedAt);

/// <summary>
/// One access event of a tenant's case as the tenant sees it: what happened, when, and the reason code — never the
/// actor, the free-text reason, or the chain's hashes (from which a known actor could be confirmed).
/// </summary>
/// <param name="Decision">On a <c>decision</c> event: the decision and the action it took.</param>
public sealed record TenantAccessEventView(DateTimeOffset At, string Event, string? ReasonCode, string? Decision, string? Action);
