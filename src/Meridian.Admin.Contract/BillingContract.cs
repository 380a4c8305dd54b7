namespace Meridian.Admin.Contract;

// Wire shapes of the billing part of the admin API (docs/admin-api.md, "Metering and billing"). Money is a decimal
// string ("12.50", exact, never a JSON number a client might read as a float); token types use Anthropic's usage names.

public sealed record InvoiceLineView(
    string DeploymentId,
    string DeploymentName,
    string Model,
    string OfferId,
    string PublisherId,
    string TokenType,
    long Tokens,
    string UnitPricePerMillion,
    DateTimeOffset PriceEffectiveFrom,
    DateTimeOffset From,
    DateTimeOffset To,
    string Amount);

public sealed record InvoiceView(
    string TenantId,
    string Period,
    string Status,
    string? InvoiceId,
    DateTimeOffset? IssuedAt,
    string Currency,
    IReadOnlyList<InvoiceLineView> Lines,
    string Total,
    string TotalDue);

public sealed record DeploymentDayView(
    string DeploymentId,
    string DeploymentName,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CacheCreationInputTokens,
    long CacheReadInputTokens,
    string Cost);

public sealed record UsageDayView(
    string Day,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CacheCreationInputTokens,
    long CacheReadInputTokens,
    string Cost,
    IReadOnlyList<DeploymentDayView> Deployments);

/// <summary>Usage and cost per UTC day (days with usage only) and deployment; <c>total</c> equals the invoice's as computed now.</summary>
public sealed record DailyUsageView(string TenantId, string Period, string Currency, IReadOnlyList<UsageDayView> Days, string Total);

public sealed record SettlementLineView(
    string OfferId,
    long Customers,
    long InputTokens,
    long OutputTokens,
    long CacheCreationInputTokens,
    long CacheReadInputTokens,
    string Revenue,
    string FeePercent,
    string Fee,
    string Payout);

public sealed record SettlementView(string PublisherId, string Period, string Currency, IReadOnlyList<SettlementLineView> Offers, string Revenue, string Fee, string Payout);

public sealed record MeteringRecordView(
    string RecordId,
    string TenantId,
    string OfferId,
    string PublisherId,
    string Dimension,
    DateTimeOffset HourStart,
    DateTimeOffset HourEnd,
    long Quantity,
    string Unit);

public sealed record MeteringFeedView(DateTimeOffset From, DateTimeOffset To, DateTimeOffset CompleteUntil, IReadOnlyList<MeteringRecordView> Records);

public sealed record TransactionView(
    string Id,
    DateTimeOffset At,
    string Kind,
    string? TenantId,
    string? PublisherId,
    string? OfferId,
    string? Period,
    string? Amount,
    string ReferenceId,
    string Actor);

public sealed record EffectiveLimitsView(int? Rpm, int? InputTpm, int? OutputTpm);

public sealed record LimitsView(
    string Scope,
    string ScopeId,
    string TenantId,
    int? Rpm,
    int? InputTpm,
    int? OutputTpm,
    string? MonthlyBudgetUsd,
    EffectiveLimitsView? Effective,
    string? SpentThisMonthUsd,
    long Version,
    string? UpdatedBy,
    DateTimeOffset? UpdatedAt);

public sealed record PutLimitsRequest(int? Rpm = null, int? InputTpm = null, int? OutputTpm = null, string? MonthlyBudgetUsd = null);

public sealed record FeeView(string OfferId, string FeePercent, bool IsDefault, string? UpdatedBy, DateTimeOffset? UpdatedAt);

public sealed record PutFeeRequest(string? FeePercent = null);
