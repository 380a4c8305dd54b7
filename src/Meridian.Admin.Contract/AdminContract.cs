using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meridian.Admin.Contract;

// Wire shapes of the admin API (docs/admin-api.md), written once: the gateway answers and reads them, the CLI reads and
// sends them, and web/src/admin-contract.ts is generated from the OpenAPI document they describe. snake_case on the wire.

public sealed record ListResponse<T>(IReadOnlyList<T> Data, string? NextCursor);

public sealed record WhoAmIResponse(string TokenId, string Name, string Role, string? TenantId, string? PublisherId, IReadOnlyList<string> Geographies);

// ---- signing in with OpenID Connect ----

/// <param name="Oidc">The provider the portal offers beside tokens; null when the operator configured none.</param>
public sealed record SignInOptionsView(OidcProviderView? Oidc);

public sealed record OidcProviderView(string Name, string AuthorizationEndpoint, string ClientId, string Scope);

/// <summary><c>POST /sign-in/oidc</c>: what the provider sent back to the portal, and the PKCE verifier and nonce the portal chose.</summary>
public sealed record OidcSignInRequest(string? Code = null, string? CodeVerifier = null, string? RedirectUri = null, string? Nonce = null);

/// <param name="Token">The session: sent as <c>Authorization: Bearer</c> like an admin token until <paramref name="ExpiresAt"/>; shown once.</param>
public sealed record SignInSessionView(string Token, DateTimeOffset ExpiresAt, WhoAmIResponse Me);

// ---- world ----

public sealed record WorldResponse(IReadOnlyList<GeographyView> Geographies);

public sealed record GeographyView(string Name, IReadOnlyList<DataZoneView> DataZones, IReadOnlyList<RegionSummary> RegionsWithoutZone);

public sealed record DataZoneView(string Name, IReadOnlyList<RegionSummary> Regions);

public sealed record RegionSummary(string Name, string DisplayName, long Version);

public sealed record RegionView(string Name, string Geography, string? DataZone, string DisplayName, long Version);

public sealed record PutRegionRequest(string? Geography = null, string? DataZone = null, string? DisplayName = null, bool? ConfirmWidening = null);

// ---- publishers and offers ----

public sealed record PublisherEndpointView(string? Url = null, string? DeclaredLocation = null);

public sealed record PublisherView(string Id, string Name, string ContactEmail, IReadOnlyList<PublisherEndpointView> Endpoints, DateTimeOffset CreatedAt);

public sealed record CreatePublisherRequest(string? Name = null, string? ContactEmail = null, IReadOnlyList<PublisherEndpointView>? Endpoints = null);

public sealed record PricesView(string? Input = null, string? Output = null, string? CacheWrite = null, string? CacheRead = null);

public sealed record OfferModelView(string? ModelId = null, string? DisplayName = null, int? ContextWindow = null, int? MaxOutputTokens = null);

public sealed record TermsView(int Version, string Sha256, DateTimeOffset EffectiveAt);

public sealed record OfferView(
    string Id,
    string PublisherId,
    string Name,
    IReadOnlyList<string> HostingOptions,
    IReadOnlyList<string> DeploymentTypes,
    PricesView Prices,
    IReadOnlyList<OfferModelView> Models,
    TermsView Terms,
    long Version,
    DateTimeOffset CreatedAt,
    bool RequiresRetention,
    IReadOnlyList<TermsView> ScheduledTerms);

public sealed record CreateOfferRequest(
    string? PublisherId = null,
    string? Name = null,
    IReadOnlyList<string>? HostingOptions = null,
    IReadOnlyList<string>? DeploymentTypes = null,
    PricesView? Prices = null,
    IReadOnlyList<OfferModelView>? Models = null,
    string? TermsText = null,
    bool? RequiresRetention = null);

public sealed record PatchOfferRequest(PricesView? Prices = null);

/// <summary><c>PUT /offers/{id}/retention</c>: whether flagged content must be retained for the publisher's review.</summary>
public sealed record OfferRetentionRequest(bool? RequiresRetention = null);

public sealed record PublishTermsRequest(string? Text = null, DateTimeOffset? EffectiveAt = null);

public sealed record TermsDocumentView(int Version, string Sha256, DateTimeOffset EffectiveAt, string Text);

// ---- tenants ----

public sealed record BillingContactView(string? Name = null, string? Email = null);

public sealed record TenantView(string Id, string Name, BillingContactView BillingContact, DateTimeOffset CreatedAt)
{
    /// <summary><c>suspended</c> while a standing Trust &amp; Safety suspension covers it, else <c>active</c>.</summary>
    public string Status => Suspensions.Count > 0 ? "suspended" : "active";

    /// <summary>The standing suspensions covering it (its own, its resource's or its tenant's), oldest first.</summary>
    public IReadOnlyList<SuspensionView> Suspensions { get; init; } = [];
}

public sealed record CreateTenantRequest(string? Name = null, BillingContactView? BillingContact = null);

/// <param name="Prices">The prices the tenant pays now: those it accepted, until a pending change binds it.</param>
/// <param name="RequiresRetention">The retention requirement the tenant is bound by now.</param>
/// <param name="PendingChanges">Announced changes that bind the tenant at their <c>effective_at</c> unless it accepts them sooner.</param>
public sealed record SubscriptionView(
    string Id, string TenantId, string OfferId, int TermsVersion, string AcceptedBy, DateTimeOffset AcceptedAt, long Version,
    PricesView Prices, bool RequiresRetention, IReadOnlyList<PendingChangeView> PendingChanges)
{
    /// <summary>The display name of <see cref="AcceptedBy"/>'s token; null for a <c>system:…</c> actor.</summary>
    public string? AcceptedByName { get; init; }
}

/// <summary>
/// A change of an offer's terms announced to a subscriber: <c>kind</c> <c>prices</c> (with <c>prices</c>) or
/// <c>retention</c> (with <c>requires_retention</c>); it binds at <c>effective_at</c>, or when the tenant accepts it sooner.
/// </summary>
public sealed record PendingChangeView(string Kind, DateTimeOffset AnnouncedAt, DateTimeOffset EffectiveAt, PricesView? Prices = null, bool? RequiresRetention = null);

/// <summary>One acceptance of an offer's terms: the version and the SHA-256 of the text accepted, who and when.</summary>
public sealed record AcceptanceView(string Id, string SubscriptionId, string TenantId, string OfferId, int TermsVersion, string Sha256, string AcceptedBy, DateTimeOffset AcceptedAt)
{
    /// <summary>The display name of <see cref="AcceptedBy"/>'s token; null for a <c>system:…</c> actor.</summary>
    public string? AcceptedByName { get; init; }
}

public sealed record SubscribeRequest(string? OfferId = null, int? AcceptTermsVersion = null);

public sealed record ResourceView(string Id, string TenantId, string Name, string Region, string? DataZone, string Geography, DateTimeOffset CreatedAt)
{
    /// <summary><c>suspended</c> while a standing Trust &amp; Safety suspension covers it, else <c>active</c>.</summary>
    public string Status => Suspensions.Count > 0 ? "suspended" : "active";

    /// <summary>The standing suspensions covering it (its own, its resource's or its tenant's), oldest first.</summary>
    public IReadOnlyList<SuspensionView> Suspensions { get; init; } = [];
}

public sealed record CreateResourceRequest(string? Name = null, string? Region = null);

// ---- deployments ----

public sealed record CapacityView(int? Rpm = null, int? Tpm = null);

public sealed record AcknowledgmentView(string AcknowledgedBy, DateTimeOffset AcknowledgedAt, string? AcknowledgedByName);

public sealed record DeploymentView(
    string Id,
    string ResourceId,
    string TenantId,
    string Name,
    string OfferId,
    string ModelId,
    string HostingOption,
    string? DeploymentType,
    CapacityView Capacity,
    string SafeguardPolicy,
    AcknowledgmentView? DataMayLeaveGeographyAcknowledgment,
    string Region,
    string? DataZone,
    string Geography,
    string ProcessingBoundary,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string ReviewedBy,
    string RetentionMode,
    RetentionExemptionView? RetentionExemption,
    IReadOnlyList<string> AllowedIngress)
{
    /// <summary>The display name of <see cref="CreatedBy"/>'s token.</summary>
    public string? CreatedByName { get; init; }

    /// <summary><c>suspended</c> while a standing Trust &amp; Safety suspension covers it, else <c>active</c>.</summary>
    public string Status => Suspensions.Count > 0 ? "suspended" : "active";

    /// <summary>The standing suspensions covering it (its own, its resource's or its tenant's), oldest first.</summary>
    public IReadOnlyList<SuspensionView> Suspensions { get; init; } = [];

    /// <summary>Its own safeguard settings on top of <see cref="SafeguardPolicy"/>, as set; null for none.</summary>
    public JsonElement? Safeguards { get; init; }
}

public sealed record SetAllowedIngressRequest(IReadOnlyList<string>? AllowedRegions);

public sealed record RetentionExemptionView(string GrantedBy, DateTimeOffset GrantedAt);

public sealed record CreateDeploymentRequest(
    string? Name = null,
    string? OfferId = null,
    string? ModelId = null,
    string? HostingOption = null,
    string? DeploymentType = null,
    CapacityView? Capacity = null,
    string? SafeguardPolicy = null,
    bool? AcknowledgeDataMayLeaveGeography = null,
    string? ReviewedBy = null,
    string? RetentionMode = null);

/// <summary><c>PATCH /deployments/{id}</c>: the Trust &amp; Safety settings, the only fields of a deployment that change.</summary>
public sealed record UpdateDeploymentRequest(string? ReviewedBy = null, string? RetentionMode = null, bool? RetentionExemption = null, string? SafeguardPolicy = null)
{
    /// <summary>
    /// The deployment's own safeguard settings (docs/safeguards.md, "Settings per deployment"): JSON <c>null</c> removes
    /// them, absent (<see cref="JsonValueKind.Undefined"/>) keeps them, and a client leaves it out unless it sets it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public JsonElement Safeguards { get; init; }
}

// ---- keys and tokens ----

public sealed record KeyView(
    string Id,
    string ResourceId,
    string TenantId,
    string? Name,
    string Prefix,
    string Status,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>The display name of <see cref="CreatedBy"/>'s token.</summary>
    public string? CreatedByName { get; init; }

    /// <summary>
    /// When a request last used it (its latest receipt's time, folded in by the record writer); null when never used.
    /// Requests still in the writer's queue count once written (within a second or so).
    /// </summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>The standing Trust &amp; Safety suspensions covering it, oldest first (its status is then <c>suspended</c>, unless revoked or expired).</summary>
    public IReadOnlyList<SuspensionView> Suspensions { get; init; } = [];

    /// <summary>The key itself: present only in the response that created it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>On rotation: the key this one replaces, with its new expiry.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public KeyView? Replaces { get; init; }
}

public sealed record CreateKeyRequest(string? Name = null, DateTimeOffset? ExpiresAt = null);

public sealed record RotateKeyRequest(long? OverlapSeconds = null);

public sealed record TokenView(
    string Id,
    string Name,
    string Prefix,
    string Role,
    string? TenantId,
    string? PublisherId,
    IReadOnlyList<string> Geographies,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt,
    string? Subject)
{
    /// <summary>The display name of <see cref="CreatedBy"/>'s token; null for <c>system:…</c>.</summary>
    public string? CreatedByName { get; init; }

    /// <summary>The token itself: present only in the response that created it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }
}

public sealed record CreateTokenRequest(string? Role = null, string? Name = null, string? TenantId = null, string? PublisherId = null, IReadOnlyList<string>? Geographies = null);

public sealed record EmptyRequest;

// ---- suspensions ----

/// <summary>
/// A suspension as the admin API shows it. <see cref="SuspendedBy"/> and the lift's actor and reason are shown to the
/// operator and reviewers only; tenants see the party (<c>operator</c>, <c>publisher</c> or <c>tenant</c>) and the case.
/// </summary>
public sealed record SuspensionView(
    string Id,
    string Status,
    string Scope,
    string SubjectId,
    string TenantId,
    string? ResourceId,
    string? DeploymentName,
    string CaseId,
    string Party,
    DateTimeOffset SuspendedAt)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SuspendedBy { get; init; }

    /// <summary>The display name of <see cref="SuspendedBy"/>'s token (operator and reviewers only, like the actor).</summary>
    public string? SuspendedByName { get; init; }

    /// <summary>With scope <c>key</c>: the key lineages it covers (the suspended key's, and those of keys created in its resource since).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? KeyLineages { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SuspensionLiftView? Lift { get; init; }
}

public sealed record SuspensionLiftView(string LiftedBy, DateTimeOffset LiftedAt, string ReasonCode, string Reason)
{
    public string? LiftedByName { get; init; }
}

/// <summary><c>POST /suspensions/{id}/lift</c>: why (required, into the case's access log and the audit log).</summary>
public sealed record LiftSuspensionRequest(string? Reason = null, string? ReasonCode = null);

// ---- audit ----

/// <param name="ActorName">The display name of the admin token the actor names; null for <c>system:…</c> actors.</param>
public sealed record AuditView(
    long Id, DateTimeOffset At, string Actor, string? ActorName, string Action, string ObjectType, string ObjectId, JsonElement? Before, JsonElement? After);
