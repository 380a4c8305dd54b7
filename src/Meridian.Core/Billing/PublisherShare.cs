using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Meridian.Core.Validation;

namespace Meridian.Core.Billing;

/// <summary>
/// The publisher share: what the operator hands a publisher about the customers of its offers for one period —
/// customer contact, transaction and usage records, and nothing else. Every field is a number, an enum, a time, an
/// identifier (<see cref="ShareId"/>, which cannot hold prose) or the tenant's billing contact: no field of this type
/// can carry prompt or output text, whatever a caller puts in a request.
/// </summary>
public sealed record PublisherShare(
    ShareId PublisherId,
    BillingPeriod Period,
    DateTimeOffset GeneratedAt,
    IReadOnlyList<ShareCustomer> Customers,
    IReadOnlyList<ShareSubscription> Subscriptions,
    IReadOnlyList<ShareTransaction> Transactions,
    IReadOnlyList<ShareUsage> Usage,
    IReadOnlyList<ShareCharge> Charges,
    ShareSettlement Settlement);

/// <summary>A customer of the publisher: its tenant id and billing contact.</summary>
public sealed record ShareCustomer(ShareId TenantId, ContactName BillingContactName, EmailAddress BillingContactEmail);

public sealed record ShareSubscription(ShareId SubscriptionId, ShareId TenantId, ShareId OfferId, int TermsVersion, DateTimeOffset AcceptedAt);

public sealed record ShareTransaction(ShareId TransactionId, TransactionKind Kind, DateTimeOffset At, ShareId? TenantId, ShareId? OfferId, decimal? Amount);

/// <summary>One hour of one customer's usage of one model of the publisher's offers.</summary>
public sealed record ShareUsage(
    ShareId TenantId,
    ShareId OfferId,
    ShareId Model,
    DateTimeOffset Hour,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CacheCreationInputTokens,
    long CacheReadInputTokens);

/// <summary>What a customer was charged for one model and token type at one price.</summary>
public sealed record ShareCharge(ShareId TenantId, ShareId OfferId, ShareId Model, TokenType TokenType, long Tokens, decimal UnitPricePerMillion, decimal Amount);

public sealed record ShareSettlement(decimal Revenue, decimal Fee, decimal Payout);

/// <summary>
/// An identifier in a share: 1–128 characters of letters, digits, <c>. _ : -</c>, starting with a letter or digit.
/// No spaces, so no sentence of a prompt or an answer fits in it. Only ids and model names of marketplace objects
/// are ever put here.
/// </summary>
[JsonConverter(typeof(ShareIdJsonConverter))]
public readonly partial record struct ShareId
{
    private ShareId(string value) => Value = value;

    public string Value { get; }

    public static ShareId From(string value) =>
        IsValid(value) ? new ShareId(value) : throw new ArgumentException("A share id holds 1–128 identifier characters only.", nameof(value));

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    public override string ToString() => Value;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>A billing contact's name, as the operator recorded it for the tenant (a display name, never request text).</summary>
[JsonConverter(typeof(ContactNameJsonConverter))]
public readonly record struct ContactName
{
    private ContactName(string value) => Value = value;

    public string Value { get; }

    public static ContactName From(string value) =>
        Names.IsDisplayName(value) ? new ContactName(value) : throw new ArgumentException("Not a contact name.", nameof(value));

    public override string ToString() => Value;
}

/// <summary>A billing contact's e-mail address.</summary>
[JsonConverter(typeof(EmailAddressJsonConverter))]
public readonly record struct EmailAddress
{
    private EmailAddress(string value) => Value = value;

    public string Value { get; }

    public static EmailAddress From(string value) =>
        Names.IsEmail(value) ? new EmailAddress(value) : throw new ArgumentException("Not an e-mail address.", nameof(value));

    public override string ToString() => Value;
}

public sealed class ShareIdJsonConverter : JsonConverter<ShareId>
{
    public override ShareId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ShareId.IsValid(reader.GetString()) ? ShareId.From(reader.GetString()!) : throw new JsonException("not a share id");

    public override void Write(Utf8JsonWriter writer, ShareId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

public sealed class ContactNameJsonConverter : JsonConverter<ContactName>
{
    public override ContactName Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ContactName.From(reader.GetString() ?? string.Empty);

    public override void Write(Utf8JsonWriter writer, ContactName value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

public sealed class EmailAddressJsonConverter : JsonConverter<EmailAddress>
{
    public override EmailAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => EmailAddress.From(reader.GetString() ?? string.Empty);

    public override void Write(Utf8JsonWriter writer, EmailAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

/// <summary>Money as a decimal string (<c>"12.50"</c>): exact, and never read back as a float by a JSON client.</summary>
public sealed class MoneyJsonConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Money.TryParse(reader.GetString(), out var amount) ? amount : throw new JsonException("not a decimal string");

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteStringValue(Money.Format(value));
}

/// <summary>A period as <c>"2026-11"</c>.</summary>
public sealed class BillingPeriodJsonConverter : JsonConverter<BillingPeriod>
{
    public override BillingPeriod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        BillingPeriod.TryParse(reader.GetString(), out var period) ? period : throw new JsonException("not a period");

    public override void Write(Utf8JsonWriter writer, BillingPeriod value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
