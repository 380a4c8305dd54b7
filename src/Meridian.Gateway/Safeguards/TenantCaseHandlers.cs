using Meridian.Core.Access;
using Meridian.Gateway.Admin;
using Meridian.Gateway.Records;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// A tenant's view of its own Trust &amp; Safety cases under <c>/admin/v1/tenants/{tenant}/cases</c> (docs/safeguards.md,
/// "What tenants see"): that a case exists for one of its requests, its outcome, and every access to it — what happened,
/// when and why (a reason code) — but never who reviewed it, the free-text reasons, or content. Authorized like every
/// other tenant object: the operator and the tenant's own admins and developers; another tenant's case is 404 exactly
/// like a missing one; publisher roles and reviewers are 403.
/// </summary>
internal static class TenantCaseHandlers
{
    private const string Denied = "Only the operator and the tenant's own people see a tenant's cases.";

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/tenants/{tenant}/cases", ListAsync);
        admin.MapGet("/tenants/{tenant}/cases/{id}", GetAsync);
        admin.MapGet("/tenants/{tenant}/cases/{id}/access", AccessAsync);
    }

    /// <summary><c>?status=&amp;geography=&amp;limit=&amp;cursor=</c>: the tenant's cases in every geography, newest first.</summary>
    public static async Task<Results<Ok<ListResponse<TenantCaseView>>, ProblemHttpResult>> ListAsync(
        HttpContext context, string tenant, MarketplaceStore market, GeographyStores stores, RecordWriter writer, TimeProvider time)
    {
        if (await ReadableTenantAsync(context, tenant, market) is { } denied)
        {
            return denied;
        }

        if (CaseHandlers.ReadCaseFilters(context, stores, out var page, out var status, out var geography) is { } problem)
        {
            return problem;
        }

        var query = new CaseQuery(page.Limit + 1) { TenantId = tenant, Status = status, Before = page.After };
        var found = CaseHandlers.PageAcross(stores.All, geography, query, page.Limit);
        await RecordOperatorViewsAsync(context, stores, writer, found.Items, CaseStore.ViewedInList, time);
        return TypedResults.Ok(AdminRequest.List(found, TenantCaseView.Of));
    }

    public static async Task<Results<Ok<TenantCaseView>, ProblemHttpResult>> GetAsync(
        HttpContext context, string tenant, string id, MarketplaceStore market, GeographyStores stores, RecordWriter writer, TimeProvider time)
    {
        var (denied, found, _) = await FindAsync(context, tenant, id, market, stores);
        if (denied is not null)
        {
            return denied;
        }

        await RecordOperatorViewsAsync(context, stores, writer, [found!], CaseStore.ViewedMetadata, time);
        return TypedResults.Ok(TenantCaseView.Of(found!));
    }

    /// <summary>The case's access events, oldest first, without actors, free-text reasons or hashes.</summary>
    public static async Task<Results<Ok<ListResponse<TenantAccessEventView>>, ProblemHttpResult>> AccessAsync(
        HttpContext context, string tenant, string id, MarketplaceStore market, GeographyStores stores, RecordWriter writer, TimeProvider time)
    {
        var (denied, found, store) = await FindAsync(context, tenant, id, market, stores);
        if (denied is not null)
        {
            return denied;
        }

        var events = store!.Cases.AccessLog(id);
        await RecordOperatorViewsAsync(context, stores, writer, [found!], CaseStore.ViewedAccessLog, time);
        return TypedResults.Ok(new ListResponse<TenantAccessEventView>([.. events.Select(e => TenantAccessEventView.Of(e, found!))], null));
    }

    /// <summary>
    /// The operator reading a tenant's cases is recorded like any operator view of a case; the tenant's own people reading
    /// their own cases are not (their reads would fill the log the tenant reads with its own views).
    /// </summary>
    private static async Task RecordOperatorViewsAsync(
        HttpContext context, GeographyStores stores, RecordWriter writer, IReadOnlyList<CaseRecord> shown, string reasonCode, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.IsOperator)
        {
            await CaseHandlers.RecordViewsAsync(context, stores, writer, shown, caller, reasonCode, time);
        }
    }

    private static async Task<ProblemHttpResult?> ReadableTenantAsync(HttpContext context, string tenant, MarketplaceStore market)
    {
        var access = AdminAuthentication.CallerOf(context).ReadTenant(tenant);
        var found = access == AccessDecision.Allowed ? await market.FindTenantAsync(tenant, context.RequestAborted) : null;
        return TenantHandlers.Authorize(access, found, $"No tenant '{tenant}'.", Denied);
    }

    private static async Task<(ProblemHttpResult? Denied, CaseRecord? Found, ReceiptStore? Store)> FindAsync(
        HttpContext context, string tenant, string id, MarketplaceStore market, GeographyStores stores)
    {
        if (await ReadableTenantAsync(context, tenant, market) is { } denied)
        {
            return (denied, null, null);
        }

        // Another tenant's case answers with the very words of a missing one.
        if (CaseHandlers.FindAnywhere(id, stores, out var record, out var holder) is not null || record!.TenantId != tenant)
        {
            return (AdminProblems.NotFound($"No case '{id}'."), null, null);
        }

        return (null, record, holder);
    }
}
