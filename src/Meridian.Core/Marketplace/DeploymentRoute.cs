using Meridian.Core.World;

namespace Meridian.Core.Marketplace;

/// <summary>
/// What the data plane needs to know about one deployment to route, meter and receipt a request,
/// denormalised from the control store into the in-memory snapshot.
/// </summary>
public sealed record DeploymentRoute(
    string DeploymentId,
    string Name,
    string TenantId,
    string ResourceId,
    string PublisherId,
    string OfferId,
    string ModelId,
    int MaxOutputTokens,
    HostingOption Hosting,
    DeploymentType? Type,
    Region ResourceRegion)
{
    private static readonly TermsTimeline<bool> NoRetentionRequired = TermsTimeline<bool>.Of([new TermsChange<bool>(DateTimeOffset.MinValue, DateTimeOffset.MinValue, false)], []);

    /// <summary>Data at rest (receipts, usage, cases) stays in the resource's geography whatever the deployment type.</summary>
    public string StorageGeography => ResourceRegion.Geography;

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The model's context window in tokens (its offer's <c>context_window</c>): longer input is refused.</summary>
    public int ContextWindow { get; init; } = int.MaxValue;

    /// <summary>The name of the safeguard policy screening its requests (docs/safeguards.md).</summary>
    public string SafeguardPolicy { get; init; } = "default";

    /// <summary>The deployment's own safeguard settings on top of its policy, as the admin API stored them (JSON); null for none.</summary>
    public string? SafeguardSettings { get; init; }

    /// <summary>
    /// The oldest standing Trust &amp; Safety suspension covering the deployment (of its name in its resource, of its resource
    /// or of its tenant): its requests are refused with 403.
    /// </summary>
    public Suspension? Suspension { get; init; }

    /// <summary>Whose reviewers get the cases of its flagged requests (recorded on each case).</summary>
    public ReviewedBy ReviewedBy { get; init; } = ReviewedBy.Publisher;

    /// <summary>Whether a flagged request's content snapshot is kept.</summary>
    public RetentionMode Retention { get; init; } = RetentionMode.Standard;

    /// <summary>Whether the operator exempted it from its offer's retention requirement.</summary>
    public bool RetentionExempt { get; init; }

    /// <summary>
    /// Whether its offer requires flagged content to be retained for review, over time, as its tenant is bound by it: a
    /// change of the requirement reaches the tenant only at the end of its notice or when the tenant accepts it.
    /// </summary>
    public TermsTimeline<bool> OfferRequiresRetention { get; init; } = NoRetentionRequired;

    /// <summary>
    /// Regions outside the boundary from which the operator allowed requests to come in (<see cref="Boundary.Ingress"/>).
    /// Empty: a platform-hosted DataZone or Regional deployment takes its requests in only inside its boundary.
    /// </summary>
    public IReadOnlyList<string> AllowedIngress { get; init; } = [];

    /// <summary>True when every request at <paramref name="now"/> must fail closed (<see cref="CaseReview.RefusesRequests"/>).</summary>
    public bool RefusedForRetentionAt(DateTimeOffset now) => CaseReview.RefusesRequests(OfferRequiresRetention.At(now), Retention, RetentionExempt);
}
