using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meridian.Cli.Admin;

// The shapes of docs/admin-api.md as the CLI reads and writes them. Fields the CLI only displays are optional, so a
// server that adds fields (or omits an optional one) still parses; the raw JSON is what --json prints.

/// <summary>One page of a list: <c>{"data":[…],"next_cursor":null|"…"}</c>.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor);

/// <summary>RFC 9457 problem details with the per-field <c>errors</c> the admin API adds.</summary>
internal sealed record ApiProblem(
    string? Type,
    string? Title,
    int? Status,
    string? Detail,
    Dictionary<string, string[]>? Errors);

internal sealed record World(IReadOnlyList<Geography> Geographies);

/// <param name="RegionsWithoutZone">Regions of the geography outside any data zone: region objects or plain names.</param>
internal sealed record Geography(string Name, IReadOnlyList<DataZone>? DataZones, IReadOnlyList<JsonElement>? RegionsWithoutZone);

internal sealed record DataZone(string Name, IReadOnlyList<RegionInfo>? Regions);

internal sealed record RegionInfo(string Name, string? DisplayName);

internal sealed record Offer(
    string Id,
    string? PublisherId,
    string Name,
    IReadOnlyList<string>? HostingOptions,
    IReadOnlyList<string>? DeploymentTypes,
    Prices? Prices,
    IReadOnlyList<OfferModel>? Models,
    Terms? Terms,
    long? Version);

/// <summary>USD per million tokens, as decimal strings.</summary>
internal sealed record Prices(string? Input, string? Output, string? CacheWrite, string? CacheRead);

internal sealed record OfferModel(string ModelId, string? DisplayName, long? ContextWindow, long? MaxOutputTokens);

internal sealed record Terms(int Version, string? Sha256, string? EffectiveAt);

/// <summary>One terms version with its text (<c>GET /offers/{id}/terms</c>).</summary>
internal sealed record TermsDocument(int Version, string? Sha256, string? EffectiveAt, string Text);

internal sealed record Tenant(string Id, string Name, BillingContact? BillingContact, long? Version);

internal sealed record BillingContact(string? Name, string? Email);

internal sealed record Subscription(string? Id, string TenantId, string OfferId, int TermsVersion, string? AcceptedBy, string? AcceptedAt);

internal sealed record Resource(string Id, string? TenantId, string Name, string Region, string? DataZone, string? Geography);

/// <param name="ProcessingBoundary">Where requests may be processed, in words (<c>data zone eu</c>).</param>
internal sealed record Deployment(
    string Id,
    string? ResourceId,
    string Name,
    string? OfferId,
    string? ModelId,
    string HostingOption,
    string? DeploymentType,
    Capacity? Capacity,
    string? SafeguardPolicy,
    Acknowledgment? DataMayLeaveGeographyAcknowledgment,
    string? Region,
    string? DataZone,
    string? Geography,
    string? ProcessingBoundary,
    string? CreatedAt,
    string? ReviewedBy,
    string? RetentionMode,
    RetentionExemption? RetentionExemption,
    JsonElement? Safeguards = null);

/// <summary>The operator's exemption from an offer's retention requirement.</summary>
internal sealed record RetentionExemption(string? GrantedBy, string? GrantedAt);

/// <summary>Who acknowledged that a publisher-hosted deployment's data may leave the geography, and when.</summary>
internal sealed record Acknowledgment(string? AcknowledgedBy, string? AcknowledgedAt);

internal sealed record Capacity(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Rpm,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Tpm);

/// <param name="Key">The secret: present only in the answer that created it (create, rotate).</param>
/// <param name="Status"><c>active</c>, <c>expired</c> or <c>revoked</c>.</param>
/// <param name="Replaces">On rotation: the old key, with the expiry the overlap gave it.</param>
internal sealed record ApiKey(
    string Id,
    string? ResourceId,
    string? Prefix,
    string? Name,
    string? Key,
    string? Status,
    string? CreatedAt,
    string? ExpiresAt,
    string? RevokedAt,
    ApiKey? Replaces);

internal sealed record CreateTenantRequest(string Name, BillingContact BillingContact);

internal sealed record CreateSubscriptionRequest(string OfferId, int AcceptTermsVersion);

internal sealed record CreateResourceRequest(string Name, string Region);

/// <param name="DeploymentType">Written as <c>null</c> (not omitted) for publisher hosting, as the contract shows.</param>
internal sealed record CreateDeploymentRequest(
    string Name,
    string OfferId,
    string ModelId,
    string HostingOption,
    string? DeploymentType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Capacity? Capacity,
    string SafeguardPolicy,
    bool AcknowledgeDataMayLeaveGeography,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReviewedBy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RetentionMode);

/// <summary><c>PATCH /deployments/{id}</c>: only the settings given change.</summary>
/// <param name="Safeguards">The deployment's own safeguard settings; written only when given (JSON <c>null</c> removes them).</param>
internal sealed record UpdateDeploymentRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReviewedBy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RetentionMode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? RetentionExemption,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SafeguardPolicy = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Safeguards = null);

internal sealed record CreateKeyRequest([property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name);

internal sealed record RotateKeyRequest([property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? OverlapSeconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(World))]
[JsonSerializable(typeof(Offer))]
[JsonSerializable(typeof(Page<Offer>))]
[JsonSerializable(typeof(Page<TermsDocument>))]
[JsonSerializable(typeof(Tenant))]
[JsonSerializable(typeof(Page<Tenant>))]
[JsonSerializable(typeof(Subscription))]
[JsonSerializable(typeof(Page<Subscription>))]
[JsonSerializable(typeof(Resource))]
[JsonSerializable(typeof(Page<Resource>))]
[JsonSerializable(typeof(Deployment))]
[JsonSerializable(typeof(Page<Deployment>))]
[JsonSerializable(typeof(ApiKey))]
[JsonSerializable(typeof(Page<ApiKey>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(CreateSubscriptionRequest))]
[JsonSerializable(typeof(CreateResourceRequest))]
[JsonSerializable(typeof(CreateDeploymentRequest))]
[JsonSerializable(typeof(UpdateDeploymentRequest))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(RotateKeyRequest))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
