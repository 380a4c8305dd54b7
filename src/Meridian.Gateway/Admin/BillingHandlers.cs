using System.Globalization;
using System.Text.Json;
using Meridian.Core.Access;
using Meridian.Core.Billing;
using Meridian.Gateway.Billing;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// Invoices, publisher settlements and shares, the metering feed and marketplace transactions. A tenant sees its own
/// invoices; a publisher-admin its own settlement and share; the operator everything. Another tenant's or publisher's
/// answers exactly like a missing one (404).
/// </summary>
internal static class BillingHandlers
{
    internal const string Currency = "USD";

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/tenants/{tenant}/invoices", GetInvoice);
        admin.MapPost("/tenants/{tenant}/invoices/{period}/issue", IssueInvoice);
        admin.MapGet("/tenants/{tenant}/usage/daily", GetDailyUsage);
        admin.MapGet("/publishers/{id}/settlement", GetSettlement);
        admin.MapGet("/publishers/{id}/share", GetShare);
        admin.MapGet("/metering-feed", GetMeteringFeed);
        admin.MapGet("/transactions", ListTransactions);
        admin.MapGet("/offers/{id}/fee", LimitHandlers.GetFee);
        admin.MapPut("/offers/{id}/fee", LimitHandlers.PutFee).WithBody<PutFeeRequest>();
        admin.MapGet("/tenants/{tenant}/limits", (HttpContext c, string tenant, MarketplaceStore s, Metering.BudgetTracker b, TimeProvider t) =>
            LimitHandlers.Get(c, LimitScope.Tenant, tenant, s, b, t));
        admin.MapPut("/tenants/{tenant}/limits", (HttpContext c, string tenant, MarketplaceStore s, Metering.BudgetTracker b, TimeProvider t) =>
            LimitHandlers.PutAsync(c, LimitScope.Tenant, tenant, s, b, t)).WithBody<PutLimitsRequest>();
        admin.MapGet("/deployments/{id}/limits", (HttpContext c, string id, MarketplaceStore s, Metering.BudgetTracker b, TimeProvider t) =>
            LimitHandlers.Get(c, LimitScope.Deployment, id, s, b, t));
        admin.MapPut("/deployments/{id}/limits", (HttpContext c, string id, MarketplaceStore s, Metering.BudgetTracker b, TimeProvider t) =>
            LimitHandlers.PutAsync(c, LimitScope.Deployment, id, s, b, t)).WithBody<PutLimitsRequest>();
        admin.MapGet("/keys/{id}/limits", (HttpContext c, string id, MarketplaceStore s, Metering.BudgetTracker b, TimeProvider t) =>
            LimitHandlers.Get(c, LimitScope.Key, id, s, b, t));
        admin.MapPut("/keys/{id}/limits", (HttpContext c, string id, MarketplaceStore s, Metering.BudgetTracker b, TimeProvider t) =>
            LimitHandlers.PutAsync(c, LimitScope.Key, id, s, b, t)).WithBody<PutLimitsRequest>();
    }

    public static async Task<Results<Ok<InvoiceView>, ProblemHttpResult>> GetInvoice(HttpContext context, string tenant, MarketplaceStore store, BillingService billing)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var access = caller.ReadTenant(tenant);
        var found = access == AccessDecision.Allowed ? await store.FindTenantAsync(tenant, context.RequestAborted) : null;
        if (TenantHandlers.Authorize(access, found, $"No tenant '{tenant}'.") is { } denied)
        {
            return denied;
        }

        return TryReadPeriod(context.Request.Query["period"], out var period, out var problem)
            ? TypedResults.Ok(View(billing.Invoice(tenant, period)))
            : problem!;
    }

    /// <summary><c>?period=YYYY-MM</c>: the tenant's usage and cost per day and deployment, for the portal's charts.</summary>
    public static async Task<Results<Ok<DailyUsageView>, ProblemHttpResult>> GetDailyUsage(HttpContext context, string tenant, MarketplaceStore store, BillingService billing)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var access = caller.ReadTenant(tenant);
        var found = access == AccessDecision.Allowed ? await store.FindTenantAsync(tenant, context.RequestAborted) : null;
        if (TenantHandlers.Authorize(access, found, $"No tenant '{tenant}'.") is { } denied)
        {
            return denied;
        }

        if (!TryReadPeriod(context.Request.Query["period"], out var period, out var problem))
        {
            return problem!;
        }

        var days = billing.Daily(tenant, period);
        return TypedResults.Ok(new DailyUsageView(tenant, period.ToString(), Currency,
        [
            .. days.Select(d => new UsageDayView(
                d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Requests, d.Tokens.Input, d.Tokens.Output, d.Tokens.CacheWrite, d.Tokens.CacheRead,
                Money.Format(d.Cost),
                [
                    .. d.Deployments.Select(x => new DeploymentDayView(
                        x.DeploymentId, x.DeploymentName, x.Requests, x.Tokens.Input, x.Tokens.Output, x.Tokens.CacheWrite, x.Tokens.CacheRead, Money.Format(x.Cost))),
                ])),
        ], Money.Format(days.Sum(d => d.Cost))));
    }

    /// <summary>Issues a closed period's invoice (operator). Idempotent: issuing again answers the invoice issued first.</summary>
    public static async Task<Results<Ok<InvoiceView>, Created<InvoiceView>, ProblemHttpResult>> IssueInvoice(
        HttpContext context, string tenant, string period, MarketplaceStore store, BillingService billing)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may issue invoices.") is { } denied)
        {
            return denied;
        }

        if (!TryReadPeriod(period, out var parsed, out var problem))
        {
            return problem!;
        }

        if (await store.FindTenantAsync(tenant, context.RequestAborted) is null)
        {
            return AdminProblems.NotFound($"No tenant '{tenant}'.");
        }

        if (billing.Issue(caller.Actor, tenant, parsed) is not { } result)
        {
            return AdminProblems.Conflict(
                $"The period {parsed} is not over: its invoices can be issued from {billing.IssuableAt(parsed).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}.");
        }

        var view = View(result.Value!);
        return result.Status == StoreStatus.Created
            ? TypedResults.Created($"/admin/v1/tenants/{tenant}/invoices?period={parsed}", view)
            : TypedResults.Ok(view);
    }

    public static Results<Ok<SettlementView>, ProblemHttpResult> GetSettlement(HttpContext context, string id, MarketplaceStore store, BillingService billing)
    {
        if (ReadablePublisherBilling(context, id, store) is { } denied)
        {
            return denied;
        }

        if (!TryReadPeriod(context.Request.Query["period"], out var period, out var problem))
        {
            return problem!;
        }

        var settlement = billing.Settlement(id, period);
        return TypedResults.Ok(new SettlementView(
            settlement.PublisherId, settlement.Period.ToString(), Currency,
            [
                .. settlement.Offers.Select(o => new SettlementLineView(
                    o.OfferId, o.Customers, o.Tokens.Input, o.Tokens.Output, o.Tokens.CacheWrite, o.Tokens.CacheRead,
                    Money.Format(o.Revenue), o.FeePercent.ToString(CultureInfo.InvariantCulture), Money.Format(o.Fee), Money.Format(o.Payout))),
            ],
            Money.Format(settlement.Revenue), Money.Format(settlement.Fee), Money.Format(settlement.Payout)));
    }

    /// <summary>The publisher share export: the <see cref="PublisherShare"/> type, serialised as it is.</summary>
    public static IResult GetShare(HttpContext context, string id, MarketplaceStore store, BillingService billing)
    {
        if (ReadablePublisherBilling(context, id, store) is { } denied)
        {
            return denied;
        }

        if (!TryReadPeriod(context.Request.Query["period"], out var period, out var problem))
        {
            return problem!;
        }

        var share = billing.Share(id, period);
        return TypedResults.Bytes(JsonSerializer.SerializeToUtf8Bytes(share, ShareJsonContext.Default.PublisherShare), "application/json");
    }

    public static Results<Ok<MeteringFeedView>, ProblemHttpResult> GetMeteringFeed(HttpContext context, BillingService billing, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may read the metering feed.") is { } denied)
        {
            return denied;
        }

        var now = time.GetUtcNow();
        if (!TryReadTime(context, "from", now.AddDays(-1), out var from, out var problem) || !TryReadTime(context, "to", now, out var to, out problem))
        {
            return problem!;
        }

        if (to <= from || to - from > TimeSpan.FromDays(93))
        {
            return AdminProblems.Validation("to", "must be after from, at most 93 days later");
        }

        var feed = billing.Feed(from, to);
        return TypedResults.Ok(new MeteringFeedView(feed.From, feed.To, feed.CompleteUntil,
        [
            .. feed.Records.Select(r => new MeteringRecordView(
                r.RecordId, r.TenantId, r.OfferId, r.PublisherId, TokenTypes.Of(r.Dimension), r.HourStart, r.HourStart.AddHours(1), r.Quantity, "tokens")),
        ]));
    }

    public static Results<Ok<ListResponse<TransactionView>>, ProblemHttpResult> ListTransactions(HttpContext context, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may read marketplace transactions.") is { } denied)
        {
            return denied;
        }

        var query = context.Request.Query;
        DateTimeOffset from, to;
        if (query.ContainsKey("period"))
        {
            if (!TryReadPeriod(query["period"], out var period, out var problem))
            {
                return problem!;
            }

            (from, to) = (period.Start, period.End);
        }
        else if (!TryReadTime(context, "from", DateTimeOffset.UnixEpoch, out from, out var fromProblem)
            || !TryReadTime(context, "to", time.GetUtcNow().AddSeconds(1), out to, out fromProblem))
        {
            return fromProblem!;
        }

        var rows = store.Transactions(from, to, NonEmpty(query["tenant_id"]), NonEmpty(query["publisher_id"]));
        return TypedResults.Ok(new ListResponse<TransactionView>(
        [
            .. rows.Select(t => new TransactionView(t.Id, t.At, Kind(t.Kind), t.TenantId, t.PublisherId, t.OfferId, t.Period,
                t.Amount is { } amount ? Money.Format(amount) : null, t.ReferenceId, t.Actor)),
        ], null));
    }

    public static InvoiceView View(Invoice invoice) => new(
        invoice.TenantId,
        invoice.Period.ToString(),
        invoice.Status switch { InvoiceStatus.Open => "open", InvoiceStatus.Closed => "closed", _ => "issued" },
        invoice.Id,
        invoice.IssuedAt,
        Currency,
        [
            .. invoice.Lines.Select(l => new InvoiceLineView(
                l.DeploymentId, l.DeploymentName, l.Model, l.OfferId, l.PublisherId, TokenTypes.Of(l.TokenType), l.Tokens,
                l.UnitPricePerMillion.ToString(CultureInfo.InvariantCulture), l.PriceEffectiveFrom, l.From, l.To, Money.Format(l.Amount))),
        ],
        Money.Format(invoice.Total),
        Money.Format(invoice.TotalDue));

    /// <summary>Settlement and share: the operator, or the publisher's own publisher-admin. Other publishers' are hidden.</summary>
    private static ProblemHttpResult? ReadablePublisherBilling(HttpContext context, string publisherId, MarketplaceStore store)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var missing = $"No publisher '{publisherId}'.";
        var access = caller.Role switch
        {
            AdminRole.OperatorAdmin => AccessDecision.Allowed,
            AdminRole.PublisherAdmin => string.Equals(caller.PublisherId, publisherId, StringComparison.Ordinal) ? AccessDecision.Allowed : AccessDecision.Hidden,
            _ => AccessDecision.Forbidden,
        };
        if (AccessProblems.Check(access, missing, "Only an operator-admin or the publisher's publisher-admin may read its settlement and share.") is { } denied)
        {
            return denied;
        }

        return store.FindPublisher(publisherId) is null ? AdminProblems.NotFound(missing) : null;
    }

    private static bool TryReadPeriod(string? text, out BillingPeriod period, out ProblemHttpResult? problem)
    {
        problem = null;
        if (BillingPeriod.TryParse(text, out period))
        {
            return true;
        }

        problem = AdminProblems.Validation("period", string.IsNullOrEmpty(text) ? "is required: " + BillingPeriod.Rule : BillingPeriod.Rule);
        return false;
    }

    private static bool TryReadTime(HttpContext context, string name, DateTimeOffset fallback, out DateTimeOffset value, out ProblemHttpResult? problem)
    {
        var read = AdminRequest.TryReadTime(context, name, out var given, out problem);
        value = given ?? fallback;
        return read;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Kind(TransactionKind kind) => kind switch
    {
        TransactionKind.Subscription => "subscription",
        TransactionKind.TermsAcceptance => "terms_acceptance",
        TransactionKind.PriceChange => "price_change",
        _ => "invoice_issued",
    };
}
