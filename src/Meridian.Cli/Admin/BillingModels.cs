using System.Text.Json.Serialization;

namespace Meridian.Cli.Admin;

// Billing shapes of docs/admin-api.md ("Metering and billing") as the CLI reads them. Money stays a decimal string:
// the CLI prints what the server computed, exactly, and never parses it into a float.

internal sealed record InvoiceLine(
    string DeploymentId,
    string? DeploymentName,
    string? Model,
    string? OfferId,
    string? TokenType,
    long Tokens,
    string? UnitPricePerMillion,
    string? PriceEffectiveFrom,
    string? Amount);

internal sealed record Invoice(
    string TenantId,
    string Period,
    string Status,
    string? InvoiceId,
    string? IssuedAt,
    string? Currency,
    IReadOnlyList<InvoiceLine>? Lines,
    string? Total,
    string? TotalDue);

internal sealed record SettlementLine(string OfferId, long Customers, long InputTokens, long OutputTokens, string? Revenue, string? FeePercent, string? Fee, string? Payout);

internal sealed record Settlement(string PublisherId, string Period, string? Currency, IReadOnlyList<SettlementLine>? Offers, string? Revenue, string? Fee, string? Payout);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Invoice))]
[JsonSerializable(typeof(Settlement))]
internal sealed partial class BillingJsonContext : JsonSerializerContext;
