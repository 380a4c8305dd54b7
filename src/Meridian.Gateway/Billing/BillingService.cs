using System.Security.Cryptography;
using System.Text;
using Meridian.Core.Billing;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Billing;

/// <summary>How billing is run. Defaults suit one operator; override in the host.</summary>
internal sealed class BillingOptions
{
    /// <summary>The operator's marketplace fee, in percent of revenue, for offers without their own.</summary>
    public decimal DefaultFeePercent { get; init; } = SettlementCalculator.DefaultFeePercent;

    /// <summary>
    /// How long after an hour (or a period) ends its numbers are final: longer than the ledger writer ever lags, so a
    /// metering-feed record or an issued invoice never changes afterwards.
    /// </summary>
    public TimeSpan SettleDelay { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// One record of the metering feed: a tenant's usage of one offer in one token type (dimension) during one hour.
/// <see cref="RecordId"/> is derived from (tenant, offer, dimension, hour), so forwarding the same record twice is
/// recognisable as the same record; a record is only published once its hour is final.
/// </summary>
internal sealed record MeteringRecord(string RecordId, string TenantId, string OfferId, string PublisherId, TokenType Dimension, DateTimeOffset HourStart, long Quantity);

/// <summary>One deployment's usage on one day: requests, tokens by type, and their cost at the prices of the time.</summary>
internal sealed record DeploymentDay(string DeploymentId, string DeploymentName, long Requests, TokenCounts Tokens, decimal Cost);

/// <summary>A tenant's usage on one UTC day, per deployment.</summary>
internal sealed record UsageDay(DateOnly Day, IReadOnlyList<DeploymentDay> Deployments)
{
    public long Requests => Deployments.Sum(d => d.Requests);

    public TokenCounts Tokens => Deployments.Aggregate(TokenCounts.Zero, (sum, d) => sum + d.Tokens);

    public decimal Cost => Deployments.Sum(d => d.Cost);
}

/// <summary>The feed for a span: its final records and the instant up to which the feed is complete.</summary>
internal sealed record MeteringFeed(DateTimeOffset From, DateTimeOffset To, DateTimeOffset CompleteUntil, IReadOnlyList<MeteringRecord> Records);

/// <summary>
/// Invoices, settlements, the metering feed and the publisher share, all computed from the same usage ledgers and
/// price histories, so they reconcile by construction: a settlement's revenue is the sum of the publisher's lines on
/// the period's invoices; the share's charges are those lines. Thread-safe (stateless over the stores).
/// </summary>
internal sealed class BillingService(MarketplaceStore store, GeographyStores stores, BillingOptions options, TimeProvider time)
{
    public BillingOptions Options => options;

    /// <summary>The tenant's invoice for the period: as issued, or as computed now (open or closed).</summary>
    public Invoice Invoice(string tenantId, BillingPeriod period) =>
        store.FindIssuedInvoice(tenantId, period) ?? Compute(tenantId, period);

    /// <summary>When the period's invoices may be issued: once it is over and its usage is all written.</summary>
    public DateTimeOffset IssuableAt(BillingPeriod period) => period.End + options.SettleDelay;

    /// <summary>Issues the invoice (idempotent). Null when the period is not over yet.</summary>
    public StoreResult<Invoice>? Issue(string actor, string tenantId, BillingPeriod period)
    {
        var now = time.GetUtcNow();
        return now < IssuableAt(period) ? null : store.IssueInvoice(actor, Compute(tenantId, period), now);
    }

    public PublisherSettlement Settlement(string publisherId, BillingPeriod period)
    {
        var fees = store.Fees();
        return SettlementCalculator.Settle(publisherId, period, InvoicesWithPublisher(publisherId, period),
            offer => fees.TryGetValue(offer, out var percent) ? percent : options.DefaultFeePercent);
    }

    /// <summary>The metering feed for [from, to): hours that are final only (see <see cref="BillingOptions.SettleDelay"/>).</summary>
    public MeteringFeed Feed(DateTimeOffset from, DateTimeOffset to)
    {
        var completeUntil = Hours.Floor(time.GetUtcNow() - options.SettleDelay);
        var start = Hours.Ceiling(from);
        var end = Hours.Floor(to < completeUntil ? to : completeUntil);
        var records = new List<MeteringRecord>();
        if (start < end)
        {
            var hours = stores.All
                .SelectMany(s => s.Ledger.Hourly(new UsageQuery(start, end)))
                .GroupBy(h => (h.Hour, h.TenantId, h.OfferId, h.PublisherId))
                .OrderBy(g => g.Key.Hour).ThenBy(g => g.Key.TenantId, StringComparer.Ordinal).ThenBy(g => g.Key.OfferId, StringComparer.Ordinal);
            foreach (var group in hours)
            {
                var tokens = group.Aggregate(TokenCounts.Zero, (sum, h) => sum + h.Tokens);
                foreach (var dimension in TokenTypes.All)
                {
                    if (tokens.Of(dimension) is > 0 and var quantity)
                    {
                        var (hour, tenant, offer, publisher) = group.Key;
                        records.Add(new MeteringRecord(RecordId(tenant, offer, dimension, hour), tenant, offer, publisher, dimension, hour, quantity));
                    }
                }
            }
        }

        return new MeteringFeed(from, to, completeUntil, records);
    }

    /// <summary>
    /// The publisher share for a period: its customers' contact, its transactions and its usage and charges, built only
    /// from ids, numbers and billing contacts. Customers are the tenants subscribed to, or using, its offers.
    /// </summary>
    public PublisherShare Share(string publisherId, BillingPeriod period)
    {
        var invoices = InvoicesWithPublisher(publisherId, period);
        var subscriptions = store.SubscriptionsToPublisher(publisherId).Where(s => s.AcceptedAt < period.End).ToList();
        var usage = stores.All
            .SelectMany(s => s.Ledger.Hourly(new UsageQuery(period.Start, period.End, PublisherId: publisherId)))
            .GroupBy(h => (h.TenantId, h.OfferId, h.Model, h.Hour))
            .Select(g => (g.Key, Requests: g.Sum(h => h.Requests), Tokens: g.Aggregate(TokenCounts.Zero, (sum, h) => sum + h.Tokens)))
            .OrderBy(u => u.Key.Hour).ThenBy(u => u.Key.TenantId, StringComparer.Ordinal).ThenBy(u => u.Key.OfferId, StringComparer.Ordinal)
            .ThenBy(u => u.Key.Model, StringComparer.Ordinal)
            .ToList();
        var customerIds = subscriptions.Select(s => s.TenantId).Concat(usage.Select(u => u.Key.TenantId)).Concat(invoices.Select(i => i.TenantId));
        var customers = store.TenantsByIds(customerIds)
            .OrderBy(t => t.Id, StringComparer.Ordinal)
            .Select(t => new ShareCustomer(ShareId.From(t.Id), ContactName.From(t.BillingContact.Name), EmailAddress.From(t.BillingContact.Email)));
        var charges = invoices
            .SelectMany(i => i.Lines.Where(l => l.PublisherId == publisherId).Select(l => (i.TenantId, Line: l)))
            .GroupBy(x => (x.TenantId, x.Line.OfferId, x.Line.Model, x.Line.TokenType, x.Line.UnitPricePerMillion))
            .OrderBy(g => g.Key.TenantId, StringComparer.Ordinal).ThenBy(g => g.Key.OfferId, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.TokenType).ThenBy(g => g.Key.UnitPricePerMillion)
            .Select(g => new ShareCharge(ShareId.From(g.Key.TenantId), ShareId.From(g.Key.OfferId), ShareId.From(g.Key.Model), g.Key.TokenType,
                g.Sum(x => x.Line.Tokens), g.Key.UnitPricePerMillion, g.Sum(x => x.Line.Amount)));
        var transactions = store.Transactions(period.Start, period.End, publisherId: publisherId)
            .Select(t => new ShareTransaction(ShareId.From(t.Id), t.Kind, t.At, Id(t.TenantId), Id(t.OfferId), t.Amount));
        var fees = store.Fees();
        var settlement = SettlementCalculator.Settle(publisherId, period, invoices,
            offer => fees.TryGetValue(offer, out var percent) ? percent : options.DefaultFeePercent);

        return new PublisherShare(
            ShareId.From(publisherId),
            period,
            time.GetUtcNow(),
            [.. customers],
            [.. subscriptions.Select(s => new ShareSubscription(ShareId.From(s.Id), ShareId.From(s.TenantId), ShareId.From(s.OfferId), s.TermsVersion, s.AcceptedAt))],
            [.. transactions],
            [.. usage.Select(u => new ShareUsage(ShareId.From(u.Key.TenantId), ShareId.From(u.Key.OfferId), ShareId.From(u.Key.Model), u.Key.Hour, u.Requests,
                u.Tokens.Input, u.Tokens.Output, u.Tokens.CacheWrite, u.Tokens.CacheRead))],
            [.. charges],
            new ShareSettlement(settlement.Revenue, settlement.Fee, settlement.Payout));
    }

    /// <summary>The period's invoices of every tenant that used one of the publisher's offers.</summary>
    private List<Invoice> InvoicesWithPublisher(string publisherId, BillingPeriod period)
    {
        var tenants = stores.All
            .SelectMany(s => s.Ledger.Sum(new UsageQuery(period.Start, period.End, PublisherId: publisherId)))
            .Select(u => u.TenantId)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        return [.. tenants.Select(t => Invoice(t, period))];
    }

    /// <summary>
    /// The tenant's usage and cost per UTC day and deployment in the period, days without usage left out. Each day is
    /// priced like the invoice (by the prices in effect when the usage happened, split at price changes), so the days'
    /// costs add up exactly to the invoice's total as computed now. The hourly aggregates say which days and offers had
    /// usage; only those days are summed.
    /// </summary>
    public IReadOnlyList<UsageDay> Daily(string tenantId, BillingPeriod period)
    {
        var used = stores.All
            .SelectMany(s => s.Ledger.Hourly(new UsageQuery(period.Start, period.End, TenantId: tenantId)))
            .GroupBy(h => new DateTimeOffset(h.Hour.UtcDateTime.Date, TimeSpan.Zero))
            .OrderBy(g => g.Key);
        var days = new List<UsageDay>();
        foreach (var day in used)
        {
            var priced = Priced(tenantId, day.Select(h => h.OfferId).Distinct(StringComparer.Ordinal), day.Key, day.Key.AddDays(1));
            var costs = InvoiceCalculator.Lines(priced)
                .GroupBy(l => l.DeploymentId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(l => l.Amount), StringComparer.Ordinal);
            var deployments = priced
                .GroupBy(p => p.Usage.DeploymentId, StringComparer.Ordinal)
                .Select(g => new DeploymentDay(
                    g.Key, g.First().Usage.DeploymentName, g.Sum(p => p.Usage.Requests),
                    g.Aggregate(TokenCounts.Zero, (sum, p) => sum + p.Usage.Tokens), costs.GetValueOrDefault(g.Key)))
                .OrderBy(d => d.DeploymentName, StringComparer.Ordinal).ThenBy(d => d.DeploymentId, StringComparer.Ordinal)
                .ToList();
            days.Add(new UsageDay(DateOnly.FromDateTime(day.Key.UtcDateTime), deployments));
        }

        return days;
    }

    private Invoice Compute(string tenantId, BillingPeriod period)
    {
        var now = time.GetUtcNow();
        var status = now < period.End ? InvoiceStatus.Open : InvoiceStatus.Closed;
        var offers = stores.All
            .SelectMany(s => s.Ledger.Sum(new UsageQuery(period.Start, period.End, TenantId: tenantId)))
            .Select(u => u.OfferId)
            .Distinct(StringComparer.Ordinal);
        return new Invoice(tenantId, period, status, InvoiceCalculator.Lines(Priced(tenantId, offers, period.Start, period.End)));
    }

    /// <summary>The tenant's usage of each offer in [from, to), summed per window of one price.</summary>
    private List<PricedUsage> Priced(string tenantId, IEnumerable<string> offers, DateTimeOffset from, DateTimeOffset to)
    {
        var priced = new List<PricedUsage>();
        foreach (var offer in offers)
        {
            var schedule = store.PriceSchedule(tenantId, offer) ?? throw new InvalidOperationException($"Usage of offer '{offer}', which the control store does not have.");
            foreach (var window in schedule.Windows(from, to))
            {
                foreach (var sum in stores.All.SelectMany(s => s.Ledger.Sum(new UsageQuery(window.From, window.To, TenantId: tenantId, OfferId: offer))))
                {
                    priced.Add(new PricedUsage(sum, window));
                }
            }
        }

        return priced;
    }

    private static ShareId? Id(string? value) => value is null ? null : ShareId.From(value);

    /// <summary><c>mr_</c> and 24 hex digits of SHA-256 over the record's key: the same record always has the same id.</summary>
    public static string RecordId(string tenantId, string offerId, TokenType dimension, DateTimeOffset hour)
    {
        var key = $"{tenantId}|{offerId}|{TokenTypes.Of(dimension)}|{UsageLedger.FormatTime(hour)}";
        return "mr_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
    }
}
