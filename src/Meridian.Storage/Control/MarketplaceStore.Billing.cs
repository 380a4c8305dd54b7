using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>An offer's marketplace fee: the operator's percentage of what the offer earns.</summary>
public sealed record OfferFee(string OfferId, decimal FeePercent, bool IsDefault, string? UpdatedBy, DateTimeOffset? UpdatedAt);

/// <summary>Everything admission and budgets need from the control store, loaded in one read.</summary>
/// <param name="Capacities">Live deployments' capacity by deployment id.</param>
/// <param name="Prices">What each subscriber pays for each offer over time, by (tenant, offer).</param>
/// <param name="OfferPrices">Each offer's prices for a tenant with no acceptance on record: changes reach it only when their notice ends.</param>
public sealed record MeteringData(
    IReadOnlyDictionary<string, Capacity> Capacities,
    IReadOnlyList<UsageLimits> Limits,
    IReadOnlyDictionary<(string TenantId, string OfferId), PriceSchedule> Prices,
    IReadOnlyDictionary<string, PriceSchedule> OfferPrices);

/// <summary>The control store's state a gateway node serves from, read at one <paramref name="Generation"/>.</summary>
public sealed record GatewayData(long Generation, RoutingData Routing, MeteringData Metering);

public sealed partial class MarketplaceStore
{
    private const string LimitColumns = "scope, scope_id, tenant_id, rpm, input_tpm, output_tpm, monthly_budget, updated_by, updated_at, version";

    private const string TransactionColumns = "id, at, kind, tenant_id, publisher_id, offer_id, period, amount, reference_id, actor";

    // ---- prices ----

    /// <summary>
    /// The prices a tenant is charged for an offer over time (<see cref="TermsTimeline{T}"/>): a change reaches it when its
    /// notice ends or when it accepts the offer's terms, if sooner. Null when there is no such offer.
    /// </summary>
    public PriceSchedule? PriceSchedule(string tenantId, string offerId) => store.Read(connection =>
        TermsRecords.PriceChanges(connection, null, offerId).TryGetValue(offerId, out var changes)
            ? TermsRecords.Schedule(changes, TermsRecords.AcceptanceTimes(connection, null, tenantId, offerId).GetValueOrDefault((tenantId, offerId)) ?? [])
            : null);

    /// <summary>Every subscriber's price schedule by (tenant, offer), and every offer's for a tenant without acceptances.</summary>
    private static (Dictionary<(string TenantId, string OfferId), PriceSchedule> Subscribers, Dictionary<string, PriceSchedule> Offers) LoadPriceSchedules(DbConnection connection)
    {
        var changes = TermsRecords.PriceChanges(connection, null);
        var subscribers = TermsRecords.AcceptanceTimes(connection, null)
            .Where(a => changes.ContainsKey(a.Key.OfferId))
            .ToDictionary(a => a.Key, a => TermsRecords.Schedule(changes[a.Key.OfferId], a.Value));
        return (subscribers, changes.ToDictionary(c => c.Key, c => TermsRecords.Schedule(c.Value, []), StringComparer.Ordinal));
    }

    /// <summary>Records an offer's first prices, binding from its creation.</summary>
    private static void RecordInitialPrices(DbConnection connection, DbTransaction transaction, string offerId, Prices prices, string actor, DateTimeOffset now) =>
        InsertPriceChange(connection, transaction, offerId, new TermsChange<Prices>(now, now, prices), actor);

    /// <summary>
    /// Records a price change in the history (with the prices before it, when the history did not have them yet) and
    /// as a marketplace transaction, inside the change's own transaction. New subscribers pay the new prices from
    /// <paramref name="now"/>; existing ones from <paramref name="bindingAt"/> or their next acceptance.
    /// </summary>
    private static void RecordPriceChange(DbConnection connection, DbTransaction transaction, string actor, Offer before, Offer after, DateTimeOffset now, DateTimeOffset bindingAt)
    {
        if (connection.Scalar(transaction, "SELECT COUNT(*) FROM offer_prices WHERE offer_id = @id", ("@id", before.Id)) == 0)
        {
            InsertPriceChange(connection, transaction, before.Id, new TermsChange<Prices>(before.CreatedAt, before.CreatedAt, before.Prices), actor);
        }

        InsertPriceChange(connection, transaction, after.Id, new TermsChange<Prices>(now, bindingAt, after.Prices), actor);
        WriteTransaction(connection, transaction, new MarketplaceTransaction(
            StoreIds.New("mtx_", now), now, TransactionKind.PriceChange, null, after.PublisherId, after.Id, null, null, after.Id, actor));
    }

    private static void InsertPriceChange(DbConnection connection, DbTransaction transaction, string offerId, TermsChange<Prices> change, string actor) =>
        // Two changes in the same tick: the later one is the price from then on.
        connection.Execute(transaction, """
            INSERT INTO offer_prices (offer_id, effective_from, price_input, price_output, price_cache_write, price_cache_read, recorded_by, binding_from)
            VALUES (@offer, @from, @in, @out, @cw, @cr, @by, @binding)
            ON CONFLICT (offer_id, effective_from) DO UPDATE SET price_input = excluded.price_input, price_output = excluded.price_output,
              price_cache_write = excluded.price_cache_write, price_cache_read = excluded.price_cache_read, recorded_by = excluded.recorded_by,
              binding_from = excluded.binding_from
            """,
            ("@offer", offerId), ("@from", Time(change.AnnouncedAt)), ("@in", OfferRules.Format(change.Value.Input)),
            ("@out", OfferRules.Format(change.Value.Output)), ("@cw", OfferRules.Format(change.Value.CacheWrite)),
            ("@cr", OfferRules.Format(change.Value.CacheRead)), ("@by", actor), ("@binding", Time(change.BindingAt)));

    // ---- marketplace fees ----

    /// <summary>The offer's fee, or <paramref name="defaultPercent"/> when none was set. Null when there is no such offer.</summary>
    public OfferFee? FindFee(string offerId, decimal defaultPercent) => store.Read(connection =>
    {
        if (connection.Scalar(null, "SELECT COUNT(*) FROM offers WHERE id = @id", ("@id", offerId)) == 0)
        {
            return null;
        }

        return connection.QuerySingle(null, "SELECT fee_percent, updated_by, updated_at FROM offer_fees WHERE offer_id = @id",
                r => new OfferFee(offerId, Percent(r.GetString(0)), false, r.GetString(1), ParseTime(r.GetString(2))), ("@id", offerId))
            ?? new OfferFee(offerId, defaultPercent, true, null, null);
    });

    public IReadOnlyDictionary<string, decimal> Fees() => store.Read(connection =>
        connection.Query(null, "SELECT offer_id, fee_percent FROM offer_fees", r => (r.GetString(0), Percent(r.GetString(1))))
            .ToDictionary(f => f.Item1, f => f.Item2, StringComparer.Ordinal));

    public StoreResult<OfferFee> SetFee(string actor, string offerId, string? percentText, DateTimeOffset now)
    {
        if (!Money.TryParse(percentText, out var percent) || percent > 100m || percent.Scale > 4)
        {
            return StoreResult<OfferFee>.Invalid(FieldErrors.Of("fee_percent", "must be a decimal string from \"0\" to \"100\" (percent of revenue), at most 4 decimals"));
        }

        return store.TryMutate((connection, transaction) =>
        {
            if (FindOffer(connection, transaction, offerId, now) is null)
            {
                return StoreResult<OfferFee>.NotFound($"No offer '{offerId}'.");
            }

            var before = connection.QuerySingle(transaction, "SELECT fee_percent, updated_by, updated_at FROM offer_fees WHERE offer_id = @id",
                r => new OfferFee(offerId, Percent(r.GetString(0)), false, r.GetString(1), ParseTime(r.GetString(2))), ("@id", offerId));
            connection.Execute(transaction, """
                INSERT INTO offer_fees VALUES (@id, @fee, @by, @at)
                ON CONFLICT (offer_id) DO UPDATE SET fee_percent = excluded.fee_percent, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                """,
                ("@id", offerId), ("@fee", percent.ToString(CultureInfo.InvariantCulture)), ("@by", actor), ("@at", Time(now)));
            var after = new OfferFee(offerId, percent, false, actor, now);
            AuditLog.Write(connection, transaction, actor, "offer.set_fee", "offer", offerId, before, after, BillingJson.Default.OfferFee, now);
            return StoreResult<OfferFee>.Ok(after);
        });
    }

    private static decimal Percent(string text) => Money.TryParse(text, out var value) ? value : throw Corrupt("fee", text);

    // ---- limits and budgets ----

    /// <summary>The tenant a limit scope belongs to, or null when the tenant, live deployment or key does not exist.</summary>
    public string? TenantOf(LimitScope scope, string scopeId) => store.Read(connection => TenantOf(connection, null, scope, scopeId));

    public UsageLimits? FindLimits(LimitScope scope, string scopeId) => store.Read(connection =>
        connection.QuerySingle(null, $"SELECT {LimitColumns} FROM usage_limits WHERE scope = @scope AND scope_id = @id", ReadLimits,
            ("@scope", LimitRules.WireName(scope)), ("@id", scopeId)));

    /// <summary>Replaces the limits of one tenant, deployment or key (null fields clear them).</summary>
    public StoreResult<UsageLimits> SetLimits(string actor, LimitScope scope, string scopeId, LimitsDraft draft, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        if (!LimitRules.Validate(scope, draft, errors, out var budget))
        {
            return StoreResult<UsageLimits>.Invalid(errors);
        }

        return store.TryMutate((connection, transaction) =>
        {
            if (TenantOf(connection, transaction, scope, scopeId) is not { } tenantId)
            {
                return StoreResult<UsageLimits>.NotFound($"No {LimitRules.WireName(scope)} '{scopeId}'.");
            }

            var wire = LimitRules.WireName(scope);
            var before = connection.QuerySingle(transaction, $"SELECT {LimitColumns} FROM usage_limits WHERE scope = @scope AND scope_id = @id", ReadLimits,
                ("@scope", wire), ("@id", scopeId));
            var after = new UsageLimits(scope, scopeId, tenantId, draft.Rpm, draft.InputTpm, draft.OutputTpm, budget, actor, now, (before?.Version ?? 0) + 1);
            connection.Execute(transaction, $"""
                INSERT INTO usage_limits ({LimitColumns}) VALUES (@scope, @id, @tenant, @rpm, @itpm, @otpm, @budget, @by, @at, @version)
                ON CONFLICT (scope, scope_id) DO UPDATE SET tenant_id = excluded.tenant_id, rpm = excluded.rpm, input_tpm = excluded.input_tpm,
                  output_tpm = excluded.output_tpm, monthly_budget = excluded.monthly_budget, updated_by = excluded.updated_by,
                  updated_at = excluded.updated_at, version = excluded.version
                """,
                ("@scope", wire), ("@id", scopeId), ("@tenant", tenantId), ("@rpm", after.Rpm), ("@itpm", after.InputTpm), ("@otpm", after.OutputTpm),
                ("@budget", budget?.ToString(CultureInfo.InvariantCulture)), ("@by", actor), ("@at", Time(now)), ("@version", after.Version));
            var objectType = scope == LimitScope.Key ? "api_key" : wire;
            AuditLog.Write(connection, transaction, actor, "limits.set", objectType, scopeId, before, after, BillingJson.Default.UsageLimits, now);
            return StoreResult<UsageLimits>.Ok(after);
        });
    }

    private static string? TenantOf(DbConnection connection, DbTransaction? transaction, LimitScope scope, string scopeId) => scope switch
    {
        LimitScope.Tenant => connection.QuerySingle(transaction, "SELECT id FROM tenants WHERE id = @id", r => r.GetString(0), ("@id", scopeId)),
        LimitScope.Deployment => connection.QuerySingle(transaction, "SELECT tenant_id FROM deployments WHERE id = @id AND deleted_at IS NULL",
            r => r.GetString(0), ("@id", scopeId)),
        _ => connection.QuerySingle(transaction, "SELECT tenant_id FROM api_keys WHERE id = @id", r => r.GetString(0), ("@id", scopeId)),
    };

    private static UsageLimits ReadLimits(DbDataReader r) => new(
        r.GetString(0) switch { "tenant" => LimitScope.Tenant, "deployment" => LimitScope.Deployment, _ => LimitScope.Key },
        r.GetString(1), r.GetString(2),
        r.IsDBNull(3) ? null : r.GetInt32(3), r.IsDBNull(4) ? null : r.GetInt32(4), r.IsDBNull(5) ? null : r.GetInt32(5),
        r.GetStringOrNull(6) is { } budget ? Money.TryParse(budget, out var b) ? b : throw Corrupt("budget", budget) : null,
        r.GetString(7), ParseTime(r.GetString(8)), r.GetInt64(9));

    /// <summary>Capacities of live deployments, every limit and every offer's prices: the data plane's metering model.</summary>
    /// <summary>
    /// What a gateway node serves from, as of one generation: routing (keys, deployments, publishers) and metering
    /// (capacities, limits, prices). Every mutation bumps the generation in its own transaction, so when the generation
    /// reads the same before and after the loads, no mutation committed in between and the parts agree with each other;
    /// otherwise it reads again.
    /// </summary>
    public GatewayData LoadGateway(DateTimeOffset now)
    {
        var generation = store.Generation();
        while (true)
        {
            var routing = store.LoadRouting(now);
            var metering = LoadMetering();
            var after = store.Generation();
            if (after == generation)
            {
                return new GatewayData(generation, routing, metering);
            }

            generation = after;
        }
    }

    public MeteringData LoadMetering() => store.Read(connection =>
    {
        var capacities = connection.Query(null, "SELECT id, capacity_rpm, capacity_tpm FROM deployments WHERE deleted_at IS NULL",
                r => (Id: r.GetString(0), Capacity: new Capacity(r.GetInt32(1), r.GetInt32(2))))
            .ToDictionary(d => d.Id, d => d.Capacity, StringComparer.Ordinal);
        var limits = connection.Query(null, $"SELECT {LimitColumns} FROM usage_limits", ReadLimits);
        var (subscribers, offers) = LoadPriceSchedules(connection);
        return new MeteringData(capacities, limits, subscribers, offers);
    });

    // ---- marketplace transactions ----

    private static void WriteTransaction(DbConnection connection, DbTransaction transaction, MarketplaceTransaction t) =>
        connection.Execute(transaction, $"""
            INSERT INTO marketplace_transactions ({TransactionColumns}) VALUES (@id, @at, @kind, @tenant, @publisher, @offer, @period, @amount, @ref, @actor)
            """,
            ("@id", t.Id), ("@at", Time(t.At)), ("@kind", KindName(t.Kind)), ("@tenant", t.TenantId), ("@publisher", t.PublisherId),
            ("@offer", t.OfferId), ("@period", t.Period), ("@amount", t.Amount is { } amount ? Money.Format(amount) : null),
            ("@ref", t.ReferenceId), ("@actor", t.Actor));

    /// <summary>Records a subscription or a newer terms acceptance as a marketplace transaction.</summary>
    private static void RecordSubscription(DbConnection connection, DbTransaction transaction, Subscription subscription, Offer offer, bool created, DateTimeOffset now) =>
        WriteTransaction(connection, transaction, new MarketplaceTransaction(
            StoreIds.New("mtx_", now), now, created ? TransactionKind.Subscription : TransactionKind.TermsAcceptance,
            subscription.TenantId, offer.PublisherId, offer.Id, null, null, subscription.Id, subscription.AcceptedBy));

    /// <summary>Transactions in [from, to), oldest first, optionally of one tenant and/or one publisher.</summary>
    public IReadOnlyList<MarketplaceTransaction> Transactions(DateTimeOffset from, DateTimeOffset to, string? tenantId = null, string? publisherId = null, int limit = 10_000) =>
        store.Read(connection => connection.Query(null, $"""
            SELECT {TransactionColumns} FROM marketplace_transactions
            WHERE at >= @from AND at < @to AND (CAST(@tenant AS TEXT) IS NULL OR tenant_id = @tenant) AND (CAST(@publisher AS TEXT) IS NULL OR publisher_id = @publisher)
            ORDER BY at, id LIMIT @limit
            """, ReadTransaction, ("@from", Time(from)), ("@to", Time(to)), ("@tenant", tenantId), ("@publisher", publisherId), ("@limit", limit)));

    private static MarketplaceTransaction ReadTransaction(DbDataReader r) => new(
        r.GetString(0), ParseTime(r.GetString(1)), ParseKind(r.GetString(2)), r.GetStringOrNull(3), r.GetStringOrNull(4), r.GetStringOrNull(5),
        r.GetStringOrNull(6), r.GetStringOrNull(7) is { } amount ? Money.TryParse(amount, out var a) ? a : throw Corrupt("amount", amount) : null,
        r.GetString(8), r.GetString(9));

    private static string KindName(TransactionKind kind) => kind switch
    {
        TransactionKind.Subscription => "subscription",
        TransactionKind.TermsAcceptance => "terms_acceptance",
        TransactionKind.PriceChange => "price_change",
        _ => "invoice_issued",
    };

    private static TransactionKind ParseKind(string text) => text switch
    {
        "subscription" => TransactionKind.Subscription,
        "terms_acceptance" => TransactionKind.TermsAcceptance,
        "price_change" => TransactionKind.PriceChange,
        _ => TransactionKind.InvoiceIssued,
    };

    // ---- invoices ----

    /// <summary>The invoice as it was issued, or null while it is not.</summary>
    public Invoice? FindIssuedInvoice(string tenantId, BillingPeriod period) => store.Read(connection =>
        connection.QuerySingle(null, "SELECT id, issued_at, lines_json FROM invoices WHERE tenant_id = @tenant AND period = @period",
            r => new Invoice(tenantId, period, InvoiceStatus.Issued, JsonSerializer.Deserialize(r.GetString(2), BillingJson.Default.ListInvoiceLine) ?? [])
            {
                Id = r.GetString(0),
                IssuedAt = ParseTime(r.GetString(1)),
            },
            ("@tenant", tenantId), ("@period", period.ToString())));

    /// <summary>
    /// Issues an invoice: freezes its lines and records one <see cref="TransactionKind.InvoiceIssued"/> transaction per
    /// publisher on it. Issuing again returns the invoice issued first (idempotent, also across nodes).
    /// </summary>
    public StoreResult<Invoice> IssueInvoice(string actor, Invoice computed, DateTimeOffset now)
    {
        var period = computed.Period.ToString();
        var result = store.TryMutate<Invoice?>((connection, transaction) =>
        {
            if (connection.Scalar(transaction, "SELECT COUNT(*) FROM invoices WHERE tenant_id = @tenant AND period = @period",
                    ("@tenant", computed.TenantId), ("@period", period)) > 0)
            {
                return StoreResult<Invoice?>.Ok(null);
            }

            var id = StoreIds.New("inv_", now);
            connection.Execute(transaction, "INSERT INTO invoices VALUES (@id, @tenant, @period, @at, @by, @total, @lines)",
                ("@id", id), ("@tenant", computed.TenantId), ("@period", period), ("@at", Time(now)), ("@by", actor),
                ("@total", Money.Format(computed.Total)), ("@lines", JsonSerializer.Serialize(computed.Lines.ToList(), BillingJson.Default.ListInvoiceLine)));
            var byPublisher = computed.Lines.GroupBy(l => l.PublisherId, StringComparer.Ordinal).ToList();
            foreach (var group in byPublisher)
            {
                WriteTransaction(connection, transaction, new MarketplaceTransaction(
                    StoreIds.New("mtx_", now), now, TransactionKind.InvoiceIssued, computed.TenantId, group.Key, null, period, group.Sum(l => l.Amount), id, actor));
            }

            if (byPublisher.Count == 0)
            {
                WriteTransaction(connection, transaction, new MarketplaceTransaction(
                    StoreIds.New("mtx_", now), now, TransactionKind.InvoiceIssued, computed.TenantId, null, null, period, 0m, id, actor));
            }

            return StoreResult<Invoice?>.Created(computed with { Status = InvoiceStatus.Issued, Id = id, IssuedAt = now });
        });
        return result.Value is { } issued
            ? StoreResult<Invoice>.Created(issued)
            : StoreResult<Invoice>.Ok(FindIssuedInvoice(computed.TenantId, computed.Period)!);
    }

    // ---- what a publisher may be told about its customers ----

    /// <summary>Subscriptions to any of the publisher's offers.</summary>
    public IReadOnlyList<Subscription> SubscriptionsToPublisher(string publisherId) => store.Read(connection =>
        connection.Query(null, $"""
            SELECT {SubscriptionColumns} FROM subscriptions WHERE offer_id IN (SELECT id FROM offers WHERE publisher_id = @pub) ORDER BY id
            """, ReadSubscription, ("@pub", publisherId)));

    public IReadOnlyList<Tenant> TenantsByIds(IEnumerable<string> ids)
    {
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        return store.Read(connection => wanted.Select(id => FindTenant(connection, null, id)).OfType<Tenant>().ToList());
    }
}

/// <summary>How billing records are stored as JSON (invoice lines) and audited (limits, fees).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    Converters = [typeof(MoneyJsonConverter)])]
[JsonSerializable(typeof(List<InvoiceLine>))]
[JsonSerializable(typeof(UsageLimits))]
[JsonSerializable(typeof(OfferFee))]
internal sealed partial class BillingJson : JsonSerializerContext;
