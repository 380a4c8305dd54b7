using Meridian.Core.World;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary><c>/admin/v1/whoami</c> and <c>/admin/v1/world</c>: who is calling, and the operator's geographies, zones and regions.</summary>
internal static class WorldHandlers
{
    public static Ok<WhoAmIResponse> WhoAmI(HttpContext context) =>
        TypedResults.Ok(AdminViews.WhoAmI(AdminAuthentication.CallerOf(context)));

    public static Ok<WorldResponse> GetWorld(MarketplaceStore store) => TypedResults.Ok(AdminViews.World(store.Regions()));

    public static Results<Ok<RegionView>, ProblemHttpResult> GetRegion(HttpContext context, string name, MarketplaceStore store)
    {
        if (store.FindRegion(name) is not { } region)
        {
            return AdminProblems.NotFound($"No region '{name}'.");
        }

        AdminRequest.SetETag(context, region.Version);
        return TypedResults.Ok(AdminViews.Region(region));
    }

    /// <summary>Creates or replaces a region (operator). Resources' data never moves: see <see cref="WorldRules.MovesData"/>.</summary>
    public static async Task<Results<Ok<RegionView>, Created<RegionView>, ProblemHttpResult>> PutRegion(
        HttpContext context, string name, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may change the world.") is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadIfMatch(context, out var ifMatch, out var badIfMatch))
        {
            return badIfMatch!;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.PutRegionRequest);
        if (problem is not null)
        {
            return problem;
        }

        long? expected = ifMatch.Version;
        if (ifMatch.Present && expected is null)
        {
            // If-Match: * means "only if it exists".
            if (store.FindRegion(name) is not { } current)
            {
                return AdminProblems.PreconditionFailed($"If-Match: * was sent, but no region '{name}' exists.");
            }

            expected = current.Version;
        }

        var result = store.PutRegion(caller.Actor, name, new RegionDraft(body!.Geography, body.DataZone, body.DisplayName), expected, body.ConfirmWidening == true, time.GetUtcNow());
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        var region = result.Value!;
        AdminRequest.SetETag(context, region.Version);
        return result.Status == StoreStatus.Created
            ? TypedResults.Created($"/admin/v1/world/regions/{region.Region.Name}", AdminViews.Region(region))
            : TypedResults.Ok(AdminViews.Region(region));
    }

    /// <summary>
    /// <c>GET /admin/v1/tenants/{tenant}/notices</c>: what others did to the tenant's boundaries — each world change that
    /// widened its deployments' boundaries (<c>boundary.widened</c>), newest first; the tenant's own admins may read it.
    /// </summary>
    public static async Task<Results<Ok<ListResponse<AuditView>>, ProblemHttpResult>> TenantNotices(HttpContext context, string tenant, MarketplaceStore store)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var access = caller.ReadTenant(tenant);
        var found = access == Core.Access.AccessDecision.Allowed ? await store.FindTenantAsync(tenant, context.RequestAborted) : null;
        if (TenantHandlers.Authorize(access, found, $"No tenant '{tenant}'.") is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        return TypedResults.Ok(AdminRequest.List(AuditLog.Read(store.Control, new AuditFilter(ObjectType: "tenant_notice", ObjectId: tenant), page), AdminViews.Audit));
    }
}
