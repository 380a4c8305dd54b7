using System.Text.Json.Serialization;

namespace Meridian.Core.Billing;

public enum TransactionKind
{
    /// <summary>A tenant subscribed to an offer (accepting its terms).</summary>
    [JsonStringEnumMemberName("subscription")]
    Subscription,

    /// <summary>A subscribed tenant accepted a newer terms version.</summary>
    [JsonStringEnumMemberName("terms_acceptance")]
    TermsAcceptance,

    /// <summary>An offer's prices changed (applies to usage from then on).</summary>
    [JsonStringEnumMemberName("price_change")]
    PriceChange,

    /// <summary>An invoice was issued; one record per publisher on it, with that publisher's part.</summary>
    [JsonStringEnumMemberName("invoice_issued")]
    InvoiceIssued,
}

/// <summary>A marketplace transaction the operator keeps: who, which offer, when, how much. Never content.</summary>
/// <param name="ReferenceId">The subscription, offer or invoice the transaction is about.</param>
public sealed record MarketplaceTransaction(
    string Id,
    DateTimeOffset At,
    TransactionKind Kind,
    string? TenantId,
    string? PublisherId,
    string? OfferId,
    string? Period,
    decimal? Amount,
    string ReferenceId,
    string Actor);
