using Meridian.Core.Access;
using Meridian.Gateway.DataPlane;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// A receipt for the tenant's people signed in to the portal (or the operator), by the admin token's role instead of a
/// data-plane API key: the same answers as <c>GET /v1/receipts/{id}</c> and <c>GET /v1/receipts</c>, proofs included.
/// </summary>
internal static class ReceiptHandlers
{
    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Get(HttpContext context, string tenant, string requestId, ReceiptsEndpoint receipts)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.ReadTenant(tenant), $"No tenant '{tenant}'.", "Only the tenant's own people and the operator read its receipts.") is { } denied)
        {
            return denied;
        }

        // Another tenant's receipt is answered exactly like a missing one.
        var (json, error) = await receipts.BuildAsync(context, requestId, receipt => string.Equals(receipt.TenantId, tenant, StringComparison.Ordinal));
        return error switch
        {
            null => TypedResults.Content(json!.ToJsonString(), "application/json"),
            { Status: StatusCodes.Status404NotFound } => AdminProblems.NotFound(error.Message),
            { Status: StatusCodes.Status400BadRequest } => AdminProblems.Validation("tree_size", error.Message),
            _ => AdminProblems.Internal(error.Message),
        };
    }

    /// <summary>
    /// The tenant's receipts in a period, every resource's, in the data-plane list's page shape (each with its log proof).
    /// </summary>
    public static async Task<IResult> List(HttpContext context, string tenant, MarketplaceStore store, ReceiptListEndpoint list)
    {
        var access = AdminAuthentication.CallerOf(context).ReadTenant(tenant);
        var found = access == AccessDecision.Allowed ? await store.FindTenantAsync(tenant, context.RequestAborted) : null;
        if (TenantHandlers.Authorize(access, found, $"No tenant '{tenant}'.") is { } denied)
        {
            return denied;
        }

        if (list.ReadQuery(context, out var query) is { } invalid)
        {
            return AdminProblems.Validation(invalid.Field, invalid.Message);
        }

        await list.WritePageAsync(context, tenant, resourceId: null, query);
        return TypedResults.Empty;
    }
}
