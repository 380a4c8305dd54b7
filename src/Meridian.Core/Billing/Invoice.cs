using System.Text.Json.Serialization;

namespace Meridian.Core.Billing;

public enum InvoiceStatus
{
    /// <summary>The period is still running: the numbers grow.</summary>
    [JsonStringEnumMemberName("open")]
    Open,

    /// <summary>The period is over; the invoice has not been issued yet.</summary>
    [JsonStringEnumMemberName("closed")]
    Closed,

    /// <summary>Issued: frozen as it was issued, whatever happens to prices later.</summary>
    [JsonStringEnumMemberName("issued")]
    Issued,
}

/// <summary>
/// One invoice line: the tokens of one type that one deployment's model used while one price applied, and what they cost.
/// A price change mid-period gives the same deployment, model and type two lines, one per price.
/// </summary>
public sealed record InvoiceLine(
    string DeploymentId,
    string DeploymentName,
    string Model,
    string OfferId,
    string PublisherId,
    TokenType TokenType,
    long Tokens,
    decimal UnitPricePerMillion,
    DateTimeOffset PriceEffectiveFrom,
    DateTimeOffset From,
    DateTimeOffset To,
    decimal Amount);

/// <summary>A tenant's invoice for one period. <see cref="Total"/> is exact; <see cref="TotalDue"/> is rounded to the cent.</summary>
public sealed record Invoice(string TenantId, BillingPeriod Period, InvoiceStatus Status, IReadOnlyList<InvoiceLine> Lines)
{
    public decimal Total => Lines.Sum(l => l.Amount);

    public decimal TotalDue => Money.RoundToCents(Total);

    /// <summary>The issued invoice's id (<c>inv_…</c>), or null while it is not issued.</summary>
    public string? Id { get; init; }

    public DateTimeOffset? IssuedAt { get; init; }
}

/// <summary>Usage summed inside one price window.</summary>
public sealed record PricedUsage(UsageSum Usage, PriceWindow Window);

/// <summary>Turns usage and the prices in effect into invoice lines. Pure; exact decimal arithmetic.</summary>
public static class InvoiceCalculator
{
    public static IReadOnlyList<InvoiceLine> Lines(IEnumerable<PricedUsage> usage)
    {
        var lines = new List<InvoiceLine>();
        foreach (var (sum, window) in usage)
        {
            foreach (var type in TokenTypes.All)
            {
                var tokens = sum.Tokens.Of(type);
                if (tokens == 0)
                {
                    continue;
                }

                var price = TokenTypes.PriceOf(window.Price.Prices, type);
                lines.Add(new InvoiceLine(
                    sum.DeploymentId, sum.DeploymentName, sum.Model, sum.OfferId, sum.PublisherId, type, tokens, price,
                    window.Price.EffectiveFrom, window.From, window.To, Money.Cost(tokens, price)));
            }
        }

        return
        [
            .. lines
                .OrderBy(l => l.DeploymentName, StringComparer.Ordinal)
                .ThenBy(l => l.DeploymentId, StringComparer.Ordinal)
                .ThenBy(l => l.Model, StringComparer.Ordinal)
                .ThenBy(l => l.From)
                .ThenBy(l => l.TokenType),
        ];
    }
}
