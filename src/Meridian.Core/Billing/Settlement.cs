namespace Meridian.Core.Billing;

/// <summary>What one offer earned in a period: revenue billed to customers, the operator's fee, the publisher's payout.</summary>
public sealed record SettlementLine(string OfferId, long Customers, TokenCounts Tokens, decimal Revenue, decimal FeePercent, decimal Fee, decimal Payout);

/// <summary>
/// A publisher's settlement for a period. The operator bills customers on the publisher's behalf, keeps its
/// marketplace fee and pays out the rest; revenue is exactly the sum of the publisher's lines on that period's invoices.
/// </summary>
public sealed record PublisherSettlement(string PublisherId, BillingPeriod Period, IReadOnlyList<SettlementLine> Offers)
{
    public decimal Revenue => Offers.Sum(o => o.Revenue);

    public decimal Fee => Offers.Sum(o => o.Fee);

    public decimal Payout => Offers.Sum(o => o.Payout);
}

public static class SettlementCalculator
{
    /// <summary>The default marketplace fee, in percent of revenue, for offers without their own.</summary>
    public const decimal DefaultFeePercent = 20m;

    /// <param name="feePercent">The fee of an offer, in percent (0–100).</param>
    public static PublisherSettlement Settle(string publisherId, BillingPeriod period, IEnumerable<Invoice> invoices, Func<string, decimal> feePercent)
    {
        var lines = invoices
            .SelectMany(i => i.Lines.Where(l => l.PublisherId == publisherId).Select(l => (i.TenantId, Line: l)))
            .GroupBy(x => x.Line.OfferId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var revenue = g.Sum(x => x.Line.Amount);
                var percent = feePercent(g.Key);
                var fee = revenue * percent / 100m;
                var tokens = g.Aggregate(TokenCounts.Zero, (sum, x) => sum + Counts(x.Line));
                return new SettlementLine(g.Key, g.Select(x => x.TenantId).Distinct(StringComparer.Ordinal).LongCount(), tokens, revenue, percent, fee, revenue - fee);
            });
        return new PublisherSettlement(publisherId, period, [.. lines]);
    }

    private static TokenCounts Counts(InvoiceLine line) => line.TokenType switch
    {
        TokenType.Input => new TokenCounts(line.Tokens, 0, 0, 0),
        TokenType.Output => new TokenCounts(0, line.Tokens, 0, 0),
        TokenType.CacheWrite => new TokenCounts(0, 0, line.Tokens, 0),
        _ => new TokenCounts(0, 0, 0, line.Tokens),
    };
}
