using System.Text.Json.Serialization;
using Meridian.Core.Billing;

namespace Meridian.Gateway.Admin;

// Serializer metadata for the billing part of the admin API; its shapes are in Meridian.Admin.Contract (BillingContract.cs).

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    MaxDepth = 32)]
[JsonSerializable(typeof(InvoiceView))]
[JsonSerializable(typeof(DailyUsageView))]
[JsonSerializable(typeof(SettlementView))]
[JsonSerializable(typeof(MeteringFeedView))]
[JsonSerializable(typeof(ListResponse<TransactionView>))]
[JsonSerializable(typeof(LimitsView))]
[JsonSerializable(typeof(PutLimitsRequest))]
[JsonSerializable(typeof(FeeView))]
[JsonSerializable(typeof(PutFeeRequest))]
internal sealed partial class BillingJsonContext : JsonSerializerContext;

/// <summary>The publisher share as exported: the <see cref="PublisherShare"/> type itself, snake_case, money as strings.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    WriteIndented = false,
    Converters = [typeof(MoneyJsonConverter), typeof(BillingPeriodJsonConverter)])]
[JsonSerializable(typeof(PublisherShare))]
internal sealed partial class ShareJsonContext : JsonSerializerContext;
