using Meridian.Core.Marketplace;
using Meridian.Gateway.Snapshot;
using Meridian.Safeguards.Policies;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Meridian.Gateway.Admin;

/// <summary>
/// Deployments of a resource. Hosting option and type are chosen at creation and never edited; every mutation
/// reloads this node's routing snapshot at once (other nodes follow within their refresh interval).
/// </summary>
internal static class DeploymentHandlers
{
    private const string ManageDenied = "Only a tenant-admin or an operator-admin may create or delete deployments.";

    public static async Task<Results<Ok<ListResponse<DeploymentView>>, ProblemHttpResult>> List(HttpContext context, string resource, MarketplaceStore store, AdminTokenStore tokens)
    {
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        if (TenantHandlers.Authorize(AdminAuthentication.CallerOf(context).ReadTenant(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.") is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var suspensions = await store.StandingSuspensionsAsync(context.RequestAborted);
        var caller = AdminAuthentication.CallerOf(context);
        var deployments = store.Deployments(resource, page);
        var names = ActorNames.For(tokens, deployments.Items.SelectMany(d => new[] { d.DataLeaveAcknowledgment?.AcknowledgedBy, d.CreatedBy }));
        return TypedResults.Ok(AdminRequest.List(deployments, d => AdminViews.Deployment(d, suspensions, caller, names)));
    }

    /// <summary>Creates a deployment; with <c>?dry_run=true</c>, answers its compiled target set instead (<see cref="DeploymentPlanning"/>).</summary>
    public static async Task<Results<Created<DeploymentView>, Ok<DeploymentPlanView>, ProblemHttpResult>> Create(
        HttpContext context, string resource, MarketplaceStore store, GatewaySnapshotProvider snapshots, [FromServices] SafeguardPolicySet policies, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        if (TenantHandlers.Authorize(caller.ManageTenant(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.", ManageDenied) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.CreateDeploymentRequest);
        if (problem is not null)
        {
            return problem;
        }

        var draft = new DeploymentDraft(
            body!.Name, body.OfferId, body.ModelId, body.HostingOption, body.DeploymentType,
            body.Capacity?.Rpm, body.Capacity?.Tpm, body.SafeguardPolicy, body.AcknowledgeDataMayLeaveGeography)
        {
            ReviewedBy = body.ReviewedBy,
            RetentionMode = body.RetentionMode,
        };

        // A boundary with no backend serving the model is refused now, not discovered at request time.
        var dryRun = DeploymentPlanning.IsDryRun(context, out var dryRunProblem);
        var (plan, refused) = dryRunProblem is null
            ? await DeploymentPlanning.EvaluateAsync(found!, draft, store, snapshots.Current.Backends, time.GetUtcNow(), dryRun, policies.Names, caller.IsOperator, context.RequestAborted)
            : (null, dryRunProblem);
        if (refused is not null)
        {
            return refused;
        }

        if (dryRun)
        {
            return TypedResults.Ok(plan!);
        }

        var result = store.CreateDeployment(caller.Actor, resource, draft, time.GetUtcNow(), policies.Names);
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        // A deployment created under a suspended name is born suspended: the answer says so at once.
        return TypedResults.Created($"/admin/v1/deployments/{result.Value!.Id}", AdminViews.Deployment(result.Value, await store.StandingSuspensionsAsync(context.RequestAborted), caller));
    }

    public static async Task<Results<Ok<DeploymentView>, ProblemHttpResult>> Get(HttpContext context, string id, MarketplaceStore store, AdminTokenStore tokens)
    {
        var found = store.FindDeployment(id);
        var caller = AdminAuthentication.CallerOf(context);
        if (TenantHandlers.Authorize(caller.ReadTenant(found?.TenantId ?? string.Empty), found, $"No deployment '{id}'.") is { } denied)
        {
            return denied;
        }

        var names = ActorNames.For(tokens, [found!.DataLeaveAcknowledgment?.AcknowledgedBy, found.CreatedBy]);
        return TypedResults.Ok(AdminViews.Deployment(found, await store.StandingSuspensionsAsync(context.RequestAborted), caller, names));
    }

    public static Results<NoContent, ProblemHttpResult> Delete(HttpContext context, string id, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = store.FindDeployment(id);
        if (TenantHandlers.Authorize(caller.ManageTenant(found?.TenantId ?? string.Empty), found, $"No deployment '{id}'.", ManageDenied) is { } denied)
        {
            return denied;
        }

        var result = store.DeleteDeployment(caller.Actor, id, time.GetUtcNow());
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        return TypedResults.NoContent();
    }

    /// <summary>
    /// <c>PUT /admin/v1/deployments/{id}/ingress</c>: the regions outside the deployment's boundary from which the
    /// operator allows its requests to come in. Operators only: it widens where a tenant's content may enter.
    /// </summary>
    public static async Task<Results<Ok<DeploymentView>, ProblemHttpResult>> SetIngressAsync(HttpContext context, string id, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may allow a deployment's requests in from outside its boundary.") is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.SetAllowedIngressRequest);
        if (problem is not null)
        {
            return problem;
        }

        var result = store.SetAllowedIngress(caller.Actor, id, body!.AllowedRegions ?? [], time.GetUtcNow());
        return result.Succeeded ? TypedResults.Ok(AdminViews.Deployment(result.Value!, await store.StandingSuspensionsAsync(context.RequestAborted), caller)) : AdminProblems.From(result);
    }
}
