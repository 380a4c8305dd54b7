using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>
/// Reads the terms an offer's subscribers are bound by: the history of its prices and of its retention requirement, and
/// when each tenant accepted its terms. Shared by the admin reads and the loads of the data plane's snapshot.
/// </summary>
internal static class TermsRecords
{
    /// <summary>Each offer's price changes (or only <paramref name="offerId"/>'s); an offer without history has its current prices from creation.</summary>
    public static Dictionary<string, List<TermsChange<Prices>>> PriceChanges(DbConnection connection, DbTransaction? transaction, string? offerId = null)
    {
        var changes = connection.Query(transaction, """
            SELECT offer_id, effective_from, binding_from, price_input, price_output, price_cache_write, price_cache_read FROM offer_prices
            WHERE CAST(@offer AS TEXT) IS NULL OR offer_id = @offer
            """, r => (OfferId: r.GetString(0), Change: new TermsChange<Prices>(ParseTime(r.GetString(1)), ParseTime(r.GetString(2)),
                new Prices(Price(r.GetString(3)), Price(r.GetString(4)), Price(r.GetString(5)), Price(r.GetString(6))))),
            ("@offer", offerId));
        var current = connection.Query(transaction, """
            SELECT id, created_at, price_input, price_output, price_cache_write, price_cache_read FROM offers
            WHERE CAST(@offer AS TEXT) IS NULL OR id = @offer
            """, r => (OfferId: r.GetString(0), Change: new TermsChange<Prices>(ParseTime(r.GetString(1)), ParseTime(r.GetString(1)),
                new Prices(Price(r.GetString(2)), Price(r.GetString(3)), Price(r.GetString(4)), Price(r.GetString(5))))),
            ("@offer", offerId));
        return Group(changes, current);
    }

    /// <summary>Each offer's retention requirement changes (or only <paramref name="offerId"/>'s); without history, its current requirement from creation.</summary>
    public static Dictionary<string, List<TermsChange<bool>>> RetentionChanges(DbConnection connection, DbTransaction? transaction, string? offerId = null)
    {
        var changes = connection.Query(transaction, """
            SELECT offer_id, effective_from, binding_from, requires_retention FROM offer_retention
            WHERE CAST(@offer AS TEXT) IS NULL OR offer_id = @offer
            """, r => (OfferId: r.GetString(0), Change: new TermsChange<bool>(ParseTime(r.GetString(1)), ParseTime(r.GetString(2)), r.GetInt64(3) != 0)),
            ("@offer", offerId));
        var current = connection.Query(transaction, """
            SELECT id, created_at, requires_retention FROM offers WHERE CAST(@offer AS TEXT) IS NULL OR id = @offer
            """, r => (OfferId: r.GetString(0), Change: new TermsChange<bool>(ParseTime(r.GetString(1)), ParseTime(r.GetString(1)), r.GetInt64(2) != 0)),
            ("@offer", offerId));
        return Group(changes, current);
    }

    /// <summary>When each tenant accepted each offer's terms (subscribing is the first acceptance), optionally for one pair only.</summary>
    public static Dictionary<(string TenantId, string OfferId), List<DateTimeOffset>> AcceptanceTimes(
        DbConnection connection, DbTransaction? transaction, string? tenantId = null, string? offerId = null) =>
        connection.Query(transaction, """
            SELECT tenant_id, offer_id, accepted_at FROM terms_acceptances
            WHERE (CAST(@tenant AS TEXT) IS NULL OR tenant_id = @tenant) AND (CAST(@offer AS TEXT) IS NULL OR offer_id = @offer)
            """, r => (Key: (r.GetString(0), r.GetString(1)), At: ParseTime(r.GetString(2))), ("@tenant", tenantId), ("@offer", offerId))
            .GroupBy(a => a.Key)
            .ToDictionary(g => g.Key, g => g.Select(a => a.At).ToList());

    /// <summary>The prices a tenant is charged over time, as a billing schedule.</summary>
    public static PriceSchedule Schedule(IEnumerable<TermsChange<Prices>> changes, IEnumerable<DateTimeOffset> acceptances) =>
        new(TermsTimeline<Prices>.Of(changes, acceptances).Points.Select(p => new PricePoint(p.From, p.Value)));

    private static Dictionary<string, List<TermsChange<T>>> Group<T>(
        IEnumerable<(string OfferId, TermsChange<T> Change)> history, IEnumerable<(string OfferId, TermsChange<T> Change)> current)
    {
        var byOffer = history.GroupBy(c => c.OfferId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(c => c.Change).ToList(), StringComparer.Ordinal);
        foreach (var (offer, change) in current)
        {
            byOffer.TryAdd(offer, [change]);
        }

        return byOffer;
    }

    private static DateTimeOffset ParseTime(string text) => ControlStore.ParseTime(text);

    private static decimal Price(string text) =>
        OfferRules.TryParsePrice(text, out var price) ? price : throw new InvalidOperationException($"The control store holds an invalid price: '{text}'.");
}
