using System.Text.Json;
using Meridian.Core.Access;
using Meridian.Core.Keys;
using Meridian.Core.Marketplace;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Admin;

/// <summary>Domain objects as the admin API shows them. Never a secret: keys and tokens appear by prefix only.</summary>
internal static class AdminViews
{
    public static WhoAmIResponse WhoAmI(AdminCaller caller) =>
        new(caller.TokenId, caller.Name, AdminRoles.Of(caller.Role), caller.TenantId, caller.PublisherId, caller.Geographies);

    public static WorldResponse World(IReadOnlyList<RegionRecord> regions) => new(
    [
        .. regions
            .GroupBy(r => r.Region.Geography, StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new GeographyView(
                g.Key,
                [
                    .. g.Where(r => r.Region.DataZone is not null)
                        .GroupBy(r => r.Region.DataZone!, StringComparer.OrdinalIgnoreCase)
                        .OrderBy(z => z.Key, StringComparer.Ordinal)
                        .Select(z => new DataZoneView(z.Key, [.. z.OrderBy(r => r.Region.Name, StringComparer.Ordinal).Select(Summary)])),
                ],
                [.. g.Where(r => r.Region.DataZone is null).OrderBy(r => r.Region.Name, StringComparer.Ordinal).Select(Summary)])),
    ]);

    public static RegionView Region(RegionRecord record) =>
        new(record.Region.Name, record.Region.Geography, record.Region.DataZone, record.Region.DisplayName, record.Version);

    public static PublisherView Publisher(Publisher publisher) => new(
        publisher.Id, publisher.Name, publisher.ContactEmail,
        [.. publisher.Endpoints.Select(e => new PublisherEndpointView(e.Url, e.DeclaredLocation ?? PublisherEndpoint.Undeclared))],
        publisher.CreatedAt);

    public static OfferView Offer(Offer offer) => new(
        offer.Id, offer.PublisherId, offer.Name,
        [.. offer.HostingOptions.Select(WireNames.Of)],
        [.. offer.DeploymentTypes.Select(WireNames.Of)],
        Prices(offer.Prices),
        [.. offer.Models.Select(m => new OfferModelView(m.ModelId, m.DisplayName, m.ContextWindow, m.MaxOutputTokens))],
        Terms(offer.Terms),
        offer.Version,
        offer.CreatedAt,
        offer.RequiresRetention,
        [.. offer.ScheduledTerms.Select(Terms)]);

    public static TermsView Terms(TermsVersion terms) => new(terms.Version, terms.Sha256, terms.EffectiveAt);

    public static PricesView Prices(Prices prices) => new(
        OfferRules.Format(prices.Input), OfferRules.Format(prices.Output), OfferRules.Format(prices.CacheWrite), OfferRules.Format(prices.CacheRead));

    public static TermsDocumentView Terms(TermsDocument terms) => new(terms.Version, terms.Sha256, terms.EffectiveAt, terms.Text);

    public static TenantView Tenant(Tenant tenant, SuspensionIndex suspensions, AdminCaller caller) =>
        new(tenant.Id, tenant.Name, new BillingContactView(tenant.BillingContact.Name, tenant.BillingContact.Email), tenant.CreatedAt)
        {
            Suspensions = Suspensions(suspensions.OfTenant(tenant.Id), caller),
        };

    public static SubscriptionView Subscription(Subscription s, SubscriptionTerms terms, ActorNames? names = null) =>
        new(s.Id, s.TenantId, s.OfferId, s.TermsVersion, s.AcceptedBy, s.AcceptedAt, s.Version, Prices(terms.Prices), terms.RequiresRetention,
        [
            .. terms.PendingPrices.Select(c => new PendingChangeView("prices", c.AnnouncedAt, c.BindingAt, Prices: Prices(c.Value)))
                .Concat(terms.PendingRetention.Select(c => new PendingChangeView("retention", c.AnnouncedAt, c.BindingAt, RequiresRetention: c.Value)))
                .OrderBy(c => c.EffectiveAt),
        ])
        {
            AcceptedByName = names?.Of(s.AcceptedBy),
        };

    public static AcceptanceView Acceptance(TermsAcceptance a, ActorNames? names = null) =>
        new(a.Id, a.SubscriptionId, a.TenantId, a.OfferId, a.TermsVersion, a.Sha256, a.AcceptedBy, a.AcceptedAt) { AcceptedByName = names?.Of(a.AcceptedBy) };

    public static ResourceView Resource(Resource r, SuspensionIndex suspensions, AdminCaller caller) =>
        new(r.Id, r.TenantId, r.Name, r.Region.Name, r.Region.DataZone, r.Region.Geography, r.CreatedAt)
        {
            Suspensions = Suspensions(suspensions.OfResource(r.TenantId, r.Id), caller),
        };

    public static DeploymentView Deployment(Deployment d, SuspensionIndex suspensions, AdminCaller caller, ActorNames? names = null) => new(
        d.Id, d.ResourceId, d.TenantId, d.Name, d.OfferId, d.ModelId,
        WireNames.Of(d.Hosting), d.Type is { } type ? WireNames.Of(type) : null,
        new CapacityView(d.Capacity.Rpm, d.Capacity.Tpm),
        d.SafeguardPolicy,
        d.DataLeaveAcknowledgment is { } ack ? new AcknowledgmentView(ack.AcknowledgedBy, ack.AcknowledgedAt, names?.Of(ack.AcknowledgedBy)) : null,
        d.ResourceRegion.Name, d.ResourceRegion.DataZone, d.ResourceRegion.Geography,
        ProcessingBoundary(d),
        d.CreatedBy, d.CreatedAt,
        CaseReview.Of(d.ReviewedBy), CaseReview.Of(d.Retention),
        d.RetentionExemption is { } exemption ? new RetentionExemptionView(exemption.GrantedBy, exemption.GrantedAt) : null,
        d.AllowedIngress)
    {
        Suspensions = Suspensions(suspensions.OfDeployment(d.TenantId, d.ResourceId, d.Name), caller, names),
        CreatedByName = names?.Of(d.CreatedBy),
        Safeguards = d.SafeguardSettings is { } settings ? JsonDocument.Parse(settings).RootElement.Clone() : null,
    };

    /// <summary>Where requests of a deployment may be processed, in words a person can check a receipt against.</summary>
    public static string ProcessingBoundary(Deployment d) => (d.Hosting, d.Type) switch
    {
        (HostingOption.Publisher, _) => "the publisher's infrastructure (may be outside the resource's geography)",
        (_, DeploymentType.Regional) => $"region {d.ResourceRegion.Name}",
        (_, DeploymentType.DataZone) => $"data zone {d.ResourceRegion.DataZone}",
        _ => "any operator region",
    };

    public static KeyView Key(
        ApiKeyInfo key, DateTimeOffset now, SuspensionIndex suspensions, AdminCaller caller, ActorNames? names = null, DateTimeOffset? lastUsedAt = null)
    {
        var covering = Suspensions(suspensions.OfKey(key.TenantId, key.ResourceId, key.LineageId), caller, names);
        return new(key.Id, key.ResourceId, key.TenantId, key.Name, key.Prefix, KeyStatus(key, now, covering.Count > 0), key.CreatedBy, key.CreatedAt,
            key.ExpiresAt, key.RevokedAt)
        {
            Suspensions = covering,
            CreatedByName = names?.Of(key.CreatedBy),
            LastUsedAt = lastUsedAt,
        };
    }

    /// <summary>
    /// Who decided and who lifted (actors) and the lift's free-text reason are for the operator and reviewers; a tenant is
    /// shown the party whose Trust &amp; Safety decided, and the case, which it can follow in its own case views.
    /// </summary>
    public static SuspensionView Suspension(Suspension s, AdminCaller caller, ActorNames? names = null)
    {
        var tenantRole = AdminRoles.IsTenantRole(caller.Role);
        return new(
            s.Id, s.IsStanding ? "standing" : "lifted", Core.Marketplace.Suspension.Of(s.Scope), s.SubjectId, s.TenantId, s.ResourceId, s.DeploymentName, s.CaseId,
            CaseReview.Of(s.Party), s.SuspendedAt)
        {
            SuspendedBy = tenantRole ? null : s.SuspendedBy,
            SuspendedByName = tenantRole ? null : names?.Of(s.SuspendedBy),
            KeyLineages = s.Scope == SuspensionScope.Key ? s.KeyLineages : null,
            Lift = s.Lift is { } lift && !tenantRole ? new SuspensionLiftView(lift.LiftedBy, lift.LiftedAt, lift.ReasonCode, lift.Reason)
                {
                    LiftedByName = names?.Of(lift.LiftedBy),
                }
                : null,
        };
    }

    public static TokenView Token(AdminToken token, ActorNames? names = null) => new(
        token.Id, token.Name, token.Prefix, AdminRoles.Of(token.Role), token.TenantId, token.PublisherId, token.Geographies,
        token.CreatedBy, token.CreatedAt, token.RevokedAt, token.Subject)
    {
        CreatedByName = names?.Of(token.CreatedBy),
    };

    public static AuditView Audit(AuditRecord record) => new(
        record.Id, record.At, record.Actor, record.ActorName, record.Action, record.ObjectType, record.ObjectId, Json(record.BeforeJson), Json(record.AfterJson));

    /// <summary>A revoked or expired key never serves again, suspended or not; a suspension is what stops a live one.</summary>
    private static string KeyStatus(ApiKeyInfo key, DateTimeOffset now, bool suspended) => key switch
    {
        { RevokedAt: not null } => "revoked",
        { ExpiresAt: { } expiry } when expiry <= now => "expired",
        _ when suspended => "suspended",
        _ => "active",
    };

    private static IReadOnlyList<SuspensionView> Suspensions(IReadOnlyList<Suspension> covering, AdminCaller caller, ActorNames? names = null) =>
        [.. covering.Select(s => Suspension(s, caller, names))];

    private static RegionSummary Summary(RegionRecord record) => new(record.Region.Name, record.Region.DisplayName, record.Version);

    private static JsonElement? Json(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
