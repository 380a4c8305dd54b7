using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// <c>/admin/v1/resources/{resource}/model-defaults</c>: which deployment a caller reaches when it sends a model id
/// rather than a deployment name. Read by anyone who may read the tenant; set and cleared by its tenant-admins and
/// operators, every change audited. Setting a default is the one way to move model-id traffic to another deployment.
/// </summary>
internal static class ModelDefaultHandlers
{
    private const string ManageDenied = "Only a tenant-admin or an operator-admin may choose which deployment a model id reaches.";

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/resources/{resource}/model-defaults", List);
        admin.MapPut("/resources/{resource}/model-defaults/{model}", SetAsync).WithBody<SetModelDefaultRequest>();
        admin.MapDelete("/resources/{resource}/model-defaults/{model}", Clear);
    }

    public static async Task<Results<Ok<ListResponse<ModelDefaultView>>, ProblemHttpResult>> List(HttpContext context, string resource, MarketplaceStore store)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        return TenantHandlers.Authorize(caller.ReadTenant(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.") is { } denied
            ? denied
            : TypedResults.Ok(new ListResponse<ModelDefaultView>([.. store.ModelDefaults(resource).Select(View)], null));
    }

    public static async Task<Results<Ok<ModelDefaultView>, ProblemHttpResult>> SetAsync(
        HttpContext context, string resource, string model, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        if (TenantHandlers.Authorize(caller.ManageTenant(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.", ManageDenied) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.SetModelDefaultRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.DeploymentId is not { Length: > 0 } deploymentId)
        {
            return AdminProblems.Validation(Core.Validation.FieldErrors.Of("deployment_id", "required"));
        }

        var result = store.SetModelDefault(caller.Actor, resource, model, deploymentId, time.GetUtcNow());
        return result.Succeeded ? TypedResults.Ok(View(result.Value!)) : AdminProblems.From(result);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Clear(HttpContext context, string resource, string model, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        if (TenantHandlers.Authorize(caller.ManageTenant(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.", ManageDenied) is { } denied)
        {
            return denied;
        }

        var result = store.ClearModelDefault(caller.Actor, resource, model, time.GetUtcNow());
        return result.Succeeded ? TypedResults.NoContent() : AdminProblems.From(result);
    }

    private static ModelDefaultView View(ModelDefault value) => new(value.ModelId, value.DeploymentId, value.SetBy, value.SetAt);
}
