using Meridian.Core.World;

namespace Meridian.Core.Marketplace;

/// <summary>A customer organisation. The billing contact is the customer contact data the marketplace may share.</summary>
public sealed record Tenant(string Id, string Name, BillingContact BillingContact, DateTimeOffset CreatedAt);

public sealed record BillingContact(string Name, string Email);

/// <summary>A tenant's acceptance of an offer's terms: which version, who accepted, when.</summary>
/// <param name="Version">Edit counter: it moves each time a newer terms version is accepted.</param>
public sealed record Subscription(string Id, string TenantId, string OfferId, int TermsVersion, string AcceptedBy, DateTimeOffset AcceptedAt, long Version);

/// <summary>A tenant's resource, pinned to one region (hence one data zone, if any, and one geography).</summary>
public sealed record Resource(string Id, string TenantId, string Name, Region Region, DateTimeOffset CreatedAt);

/// <summary>Requests per minute and tokens per minute a deployment may use.</summary>
public sealed record Capacity(int Rpm, int Tpm);

/// <summary>The recorded acknowledgment that a publisher-hosted deployment's data may leave the resource's geography.</summary>
public sealed record DataLeaveAcknowledgment(string AcknowledgedBy, DateTimeOffset AcknowledgedAt);

/// <summary>
/// A callable model of a resource. Hosting option and type are fixed at creation: changing them means deleting
/// this deployment and creating another, never an edit.
/// </summary>
public sealed record Deployment(
    string Id,
    string ResourceId,
    string TenantId,
    string Name,
    string OfferId,
    string ModelId,
    HostingOption Hosting,
    DeploymentType? Type,
    Capacity Capacity,
    string SafeguardPolicy,
    DataLeaveAcknowledgment? DataLeaveAcknowledgment,
    Region ResourceRegion,
    string CreatedBy,
    DateTimeOffset CreatedAt)
{
    /// <summary>Whose Trust &amp; Safety reviewers see its flagged requests; changeable, each switch audited.</summary>
    public ReviewedBy ReviewedBy { get; init; } = ReviewedBy.Publisher;

    /// <summary>Whether flagged requests' content is kept for review.</summary>
    public RetentionMode Retention { get; init; } = RetentionMode.Standard;

    /// <summary>The operator's exemption from the offer's retention requirement, when granted.</summary>
    public RetentionExemption? RetentionExemption { get; init; }

    /// <summary>Regions outside its boundary from which the operator allows its requests to come in; empty by default.</summary>
    public IReadOnlyList<string> AllowedIngress { get; init; } = [];

    /// <summary>Its own safeguard settings on top of <see cref="SafeguardPolicy"/> (JSON; docs/safeguards.md); null for none.</summary>
    public string? SafeguardSettings { get; init; }
}
