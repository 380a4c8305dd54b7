using Meridian.Core.Access;
using Meridian.Core.Keys;
using Meridian.Core.Validation;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Meridian.Gateway.Admin;

/// <summary>Admin tokens (shown once, stored hashed) and the audit trail.</summary>
internal static class TokenHandlers
{
    private const string Denied = "Only an operator-admin, or a tenant-admin for its own developers, manages admin tokens.";

    public static Results<Ok<ListResponse<TokenView>>, ProblemHttpResult> List(HttpContext context, AdminTokenStore tokens)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.ListTokens(out var only), string.Empty, Denied) is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var list = tokens.List(only, page);
        var names = ActorNames.For(tokens, list.Items.Select(t => t.CreatedBy));
        return TypedResults.Ok(AdminRequest.List(list, t => AdminViews.Token(t, names)));
    }

    public static async Task<Results<Created<TokenView>, ProblemHttpResult>> Create(
        HttpContext context, AdminTokenStore tokens, MarketplaceStore store, ApiKeyHasher hasher, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.Role is not (AdminRole.OperatorAdmin or AdminRole.TenantAdmin))
        {
            return AdminProblems.Forbidden(Denied);
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.CreateTokenRequest);
        if (problem is not null)
        {
            return problem;
        }

        // A tenant admin issues developer tokens for its own tenant; it need not repeat the id.
        var tenantId = body!.TenantId ?? (caller.Role == AdminRole.TenantAdmin ? caller.TenantId : null);
        var errors = new FieldErrors();
        var geographies = store.Regions().Select(r => r.Region.Geography);
        if (TokenRules.Validate(new TokenDraft(body.Role, body.Name, tenantId, body.PublisherId, body.Geographies), geographies, errors) is not { } valid)
        {
            return AdminProblems.Validation(errors);
        }

        if (AccessProblems.Check(caller.IssueToken(valid.Role, valid.TenantId), string.Empty, "A tenant-admin may issue tenant-developer tokens for its own tenant only.") is { } denied)
        {
            return denied;
        }

        var token = ApiKeyFormat.New(ApiKeyFormat.AdminTokenScheme);
        var result = tokens.Create(caller.Actor, valid, new NewSecret(hasher.Hash(token), ApiKeyFormat.PrefixOf(token, ApiKeyFormat.AdminTokenScheme)!), time.GetUtcNow());
        return result.Succeeded
            ? TypedResults.Created($"/admin/v1/tokens/{result.Value!.Id}", AdminViews.Token(result.Value) with { Token = token, CreatedByName = caller.Name })
            : AdminProblems.From(result);
    }

    public static Results<Ok<TokenView>, ProblemHttpResult> Get(HttpContext context, string id, AdminTokenStore tokens) =>
        Authorize(context, id, tokens, out var token) is { } denied ? denied : TypedResults.Ok(AdminViews.Token(token!, ActorNames.For(tokens, [token!.CreatedBy])));

    /// <summary>Revokes a token at once (tokens are looked up on every admin request). The last operator token cannot be revoked.</summary>
    public static Results<Ok<TokenView>, ProblemHttpResult> Revoke(HttpContext context, string id, AdminTokenStore tokens, TimeProvider time)
    {
        if (Authorize(context, id, tokens, out var token) is { } denied)
        {
            return denied;
        }

        var result = tokens.Revoke(AdminAuthentication.CallerOf(context).Actor, token!.Id, time.GetUtcNow());
        return result.Succeeded ? TypedResults.Ok(AdminViews.Token(result.Value!)) : AdminProblems.From(result);
    }

    /// <summary>The audit trail, newest first, filtered by object, actor (id or token name), action (or its group) and time.</summary>
    public static Results<Ok<ListResponse<AuditView>>, ProblemHttpResult> Audit(
        HttpContext context, MarketplaceStore store,
        [FromQuery(Name = "object_type")] string? objectType = null, [FromQuery(Name = "object_id")] string? objectId = null,
        [FromQuery(Name = "actor")] string? actor = null, [FromQuery(Name = "action")] string? action = null)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may read the audit trail.") is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem)
            || !AdminRequest.TryReadTime(context, "from", out var from, out problem)
            || !AdminRequest.TryReadTime(context, "to", out var to, out problem))
        {
            return problem!;
        }

        var filter = new AuditFilter(NonEmpty(objectType), NonEmpty(objectId), NonEmpty(actor), NonEmpty(action), from, to);
        return TypedResults.Ok(AdminRequest.List(AuditLog.Read(store.Control, filter, page), AdminViews.Audit));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static ProblemHttpResult? Authorize(HttpContext context, string id, AdminTokenStore tokens, out AdminToken? token)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.Role is not (AdminRole.OperatorAdmin or AdminRole.TenantAdmin))
        {
            token = null;
            return AdminProblems.Forbidden(Denied);
        }

        token = tokens.Find(id);
        var missing = $"No admin token '{id}'.";
        return token is null ? AdminProblems.NotFound(missing) : AccessProblems.Check(caller.ManageToken(token), missing, Denied);
    }
}
