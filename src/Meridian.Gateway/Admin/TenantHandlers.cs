using Meridian.Core.Access;
using Meridian.Core.Marketplace;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// Tenants, their subscriptions and their resources. Another tenant's objects answer exactly like missing ones (404).
/// </summary>
internal static class TenantHandlers
{
    private const string PublisherRolesDenied = "Publisher roles do not see tenants.";

    public static async Task<Results<Ok<ListResponse<TenantView>>, ProblemHttpResult>> ListTenants(HttpContext context, MarketplaceStore store)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.ListTenants(out var only), string.Empty, PublisherRolesDenied) is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var suspensions = await store.StandingSuspensionsAsync(context.RequestAborted);
        return TypedResults.Ok(AdminRequest.List(await store.TenantsAsync(only, page, context.RequestAborted), t => AdminViews.Tenant(t, suspensions, caller)));
    }

    public static async Task<Results<Ok<TenantView>, ProblemHttpResult>> GetTenant(HttpContext context, string tenant, MarketplaceStore store)
    {
        var (denied, found) = await ReadableTenantAsync(context, tenant, store);
        if (denied is not null)
        {
            return denied;
        }

        return TypedResults.Ok(AdminViews.Tenant(found!, await store.StandingSuspensionsAsync(context.RequestAborted), AdminAuthentication.CallerOf(context)));
    }

    public static async Task<Results<Created<TenantView>, ProblemHttpResult>> CreateTenant(HttpContext context, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may create tenants.") is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.CreateTenantRequest);
        if (problem is not null)
        {
            return problem;
        }

        var draft = new TenantDraft(body!.Name, body.BillingContact?.Name, body.BillingContact?.Email);
        var result = await store.CreateTenantAsync(caller.Actor, draft, time.GetUtcNow(), context.RequestAborted);
        return result.Succeeded
            ? TypedResults.Created($"/admin/v1/tenants/{result.Value!.Id}", AdminViews.Tenant(result.Value, SuspensionIndex.Empty, caller))
            : AdminProblems.From(result);
    }

    /// <summary>Each subscription with what the tenant is bound by now and the changes pending, with their dates.</summary>
    public static async Task<Results<Ok<ListResponse<SubscriptionView>>, ProblemHttpResult>> ListSubscriptions(
        HttpContext context, string tenant, MarketplaceStore store, AdminTokenStore tokens, TimeProvider time)
    {
        if ((await ReadableTenantAsync(context, tenant, store)).Denied is { } denied)
        {
            return denied;
        }

        var now = time.GetUtcNow();
        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var subscriptions = await store.SubscriptionsAsync(tenant, page, context.RequestAborted);
        var names = ActorNames.For(tokens, subscriptions.Items.Select(s => s.AcceptedBy));
        return TypedResults.Ok(AdminRequest.List(subscriptions, s => SubscriptionView(store, s, now, names)));
    }

    /// <summary>Every acceptance of terms by the tenant (version, text hash, who, when), oldest first.</summary>
    public static async Task<Results<Ok<ListResponse<AcceptanceView>>, ProblemHttpResult>> ListAcceptances(
        HttpContext context, string tenant, MarketplaceStore store, AdminTokenStore tokens)
    {
        if ((await ReadableTenantAsync(context, tenant, store)).Denied is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var acceptances = await store.AcceptancesAsync(tenant, null, page, context.RequestAborted);
        var names = ActorNames.For(tokens, acceptances.Items.Select(a => a.AcceptedBy));
        return TypedResults.Ok(AdminRequest.List(acceptances, a => AdminViews.Acceptance(a, names)));
    }

    /// <summary>
    /// Subscribes (201), or records an acceptance (200) of a newer terms version or of the changes pending on the current
    /// one, which then bind the tenant at once.
    /// </summary>
    public static async Task<Results<Ok<SubscriptionView>, Created<SubscriptionView>, ProblemHttpResult>> Subscribe(
        HttpContext context, string tenant, MarketplaceStore store, AdminTokenStore tokens, TimeProvider time)
    {
        if (await ManageableTenantAsync(context, tenant, store, "Only a tenant-admin or an operator-admin may subscribe.") is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.SubscribeRequest);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var result = store.Subscribe(AdminAuthentication.CallerOf(context).Actor, tenant, body!.OfferId, body.AcceptTermsVersion, now);
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        var view = SubscriptionView(store, result.Value!, now, ActorNames.For(tokens, [result.Value!.AcceptedBy]));
        AdminRequest.SetETag(context, view.Version);
        return result.Status == StoreStatus.Created
            ? TypedResults.Created($"/admin/v1/tenants/{tenant}/subscriptions", view)
            : TypedResults.Ok(view);
    }

    public static async Task<Results<Ok<ListResponse<ResourceView>>, ProblemHttpResult>> ListResources(HttpContext context, string tenant, MarketplaceStore store)
    {
        if ((await ReadableTenantAsync(context, tenant, store)).Denied is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var suspensions = await store.StandingSuspensionsAsync(context.RequestAborted);
        var caller = AdminAuthentication.CallerOf(context);
        return TypedResults.Ok(AdminRequest.List(await store.ResourcesAsync(tenant, page, context.RequestAborted), r => AdminViews.Resource(r, suspensions, caller)));
    }

    public static async Task<Results<Created<ResourceView>, ProblemHttpResult>> CreateResource(HttpContext context, string tenant, MarketplaceStore store, TimeProvider time)
    {
        if (await ManageableTenantAsync(context, tenant, store, "Only a tenant-admin or an operator-admin may create resources.") is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.CreateResourceRequest);
        if (problem is not null)
        {
            return problem;
        }

        var caller = AdminAuthentication.CallerOf(context);
        var result = await store.CreateResourceAsync(caller.Actor, tenant, body!.Name, body.Region, time.GetUtcNow(), context.RequestAborted);
        return result.Succeeded
            ? TypedResults.Created($"/admin/v1/resources/{result.Value!.Id}", AdminViews.Resource(result.Value, await store.StandingSuspensionsAsync(context.RequestAborted), caller))
            : AdminProblems.From(result);
    }

    public static async Task<Results<Ok<ResourceView>, ProblemHttpResult>> GetResource(HttpContext context, string resource, MarketplaceStore store)
    {
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        var caller = AdminAuthentication.CallerOf(context);
        return Authorize(caller.ReadTenant(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.") is { } denied
            ? denied
            : TypedResults.Ok(AdminViews.Resource(found!, await store.StandingSuspensionsAsync(context.RequestAborted), caller));
    }

    /// <summary>
    /// The one authorization shape of tenant-owned objects: a role that may never act is 403 whether or not the object
    /// exists; an object of another tenant is 404 with the very message of a missing one.
    /// </summary>
    internal static ProblemHttpResult? Authorize<T>(AccessDecision access, T? found, string missing, string forbidden = PublisherRolesDenied)
        where T : class =>
        AccessProblems.Check(access, missing, forbidden) ?? (found is null ? AdminProblems.NotFound(missing) : null);

    private static SubscriptionView SubscriptionView(MarketplaceStore store, Subscription subscription, DateTimeOffset now, ActorNames? names = null) =>
        AdminViews.Subscription(subscription, store.TermsOf(subscription.TenantId, subscription.OfferId, now)
            ?? throw new InvalidOperationException($"Subscription '{subscription.Id}' is to offer '{subscription.OfferId}', which the control store does not have."), names);

    private static async Task<(ProblemHttpResult? Denied, Tenant? Found)> ReadableTenantAsync(HttpContext context, string tenant, MarketplaceStore store)
    {
        var access = AdminAuthentication.CallerOf(context).ReadTenant(tenant);
        var found = access == AccessDecision.Allowed ? await store.FindTenantAsync(tenant, context.RequestAborted) : null;
        return (Authorize(access, found, $"No tenant '{tenant}'."), found);
    }

    private static async Task<ProblemHttpResult?> ManageableTenantAsync(HttpContext context, string tenant, MarketplaceStore store, string forbidden)
    {
        var access = AdminAuthentication.CallerOf(context).ManageTenant(tenant);
        var found = access == AccessDecision.Allowed ? await store.FindTenantAsync(tenant, context.RequestAborted) : null;
        return Authorize(access, found, $"No tenant '{tenant}'.", forbidden);
    }
}
