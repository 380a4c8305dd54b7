using Meridian.Core.Marketplace;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>
/// One acceptance of an offer's terms: the version and the SHA-256 of the text accepted, who and when. Subscribing is
/// the first; accepting a newer version, or accepting announced price or retention changes before their notice ends,
/// adds one. Never edited or removed.
/// </summary>
public sealed record TermsAcceptance(
    string Id, string SubscriptionId, string TenantId, string OfferId, int TermsVersion, string Sha256, string AcceptedBy, DateTimeOffset AcceptedAt);

/// <summary>
/// What a subscriber is bound by now, and the changes announced to bind it later (each at its
/// <see cref="TermsChange{T}.BindingAt"/>, unless it accepts them sooner).
/// </summary>
public sealed record SubscriptionTerms(
    Prices Prices, bool RequiresRetention, IReadOnlyList<TermsChange<Prices>> PendingPrices, IReadOnlyList<TermsChange<bool>> PendingRetention)
{
    public bool HasPendingChanges => PendingPrices.Count > 0 || PendingRetention.Count > 0;
}

public sealed partial class MarketplaceStore
{
    private const string AcceptanceColumns = "id, subscription_id, tenant_id, offer_id, terms_version, sha256, accepted_by, accepted_at";

    /// <summary>Acceptances, oldest first: of one tenant, of one offer, or of both filters together.</summary>
    public Task<Page<TermsAcceptance>> AcceptancesAsync(string? tenantId, string? offerId, PageRequest page, CancellationToken cancellationToken) => store.ReadAsync(async connection =>
        ToPage(await connection.QueryAsync(null, $"""
            SELECT {AcceptanceColumns} FROM terms_acceptances
            WHERE (CAST(@tenant AS TEXT) IS NULL OR tenant_id = @tenant) AND (CAST(@offer AS TEXT) IS NULL OR offer_id = @offer) AND id > @after
            ORDER BY id LIMIT @limit
            """, r => new TermsAcceptance(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.GetString(6), ParseTime(r.GetString(7))),
            cancellationToken, ("@tenant", tenantId), ("@offer", offerId), ("@after", page.After ?? string.Empty), ("@limit", page.Limit + 1)), page.Limit, a => a.Id),
        cancellationToken);

    /// <summary>What the tenant is bound by for the offer at <paramref name="now"/>, and what is pending. Null when there is no such offer.</summary>
    public SubscriptionTerms? TermsOf(string tenantId, string offerId, DateTimeOffset now) => store.Read(connection => TermsOf(connection, null, tenantId, offerId, now));

    private static SubscriptionTerms? TermsOf(DbConnection connection, DbTransaction? transaction, string tenantId, string offerId, DateTimeOffset now)
    {
        if (!TermsRecords.PriceChanges(connection, transaction, offerId).TryGetValue(offerId, out var prices)
            || !TermsRecords.RetentionChanges(connection, transaction, offerId).TryGetValue(offerId, out var retention))
        {
            return null;
        }

        var accepted = TermsRecords.AcceptanceTimes(connection, transaction, tenantId, offerId).GetValueOrDefault((tenantId, offerId)) ?? [];
        DateTimeOffset? last = accepted.Count > 0 ? accepted.Max() : null;
        return new SubscriptionTerms(
            TermsTimeline<Prices>.Of(prices, accepted).At(now),
            TermsTimeline<bool>.Of(retention, accepted).At(now),
            TermsTimeline<Prices>.Pending(prices, last, now),
            TermsTimeline<bool>.Pending(retention, last, now));
    }

    /// <summary>Records that <paramref name="subscription"/>'s tenant accepted the offer's current terms, with the hash of their text.</summary>
    private static void RecordAcceptance(DbConnection connection, DbTransaction transaction, Subscription subscription, Offer offer, DateTimeOffset now) =>
        connection.Execute(transaction, $"INSERT INTO terms_acceptances ({AcceptanceColumns}) VALUES (@id, @sub, @tenant, @offer, @version, @sha, @by, @at)",
            ("@id", StoreIds.New("acc_", now)), ("@sub", subscription.Id), ("@tenant", subscription.TenantId), ("@offer", offer.Id),
            ("@version", offer.Terms.Version), ("@sha", offer.Terms.Sha256), ("@by", subscription.AcceptedBy), ("@at", Time(now)));
}
