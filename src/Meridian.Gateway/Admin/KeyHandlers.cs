using Meridian.Core.Keys;
using Meridian.Core.Validation;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// API keys: created and shown once, stored as keyed hashes, rotated with overlap, revoked at once. After each
/// change this node reloads its routing snapshot immediately; other nodes see it within their refresh interval.
/// </summary>
internal static class KeyHandlers
{
    private const string Denied = "Publisher roles do not manage API keys.";

    public static async Task<Results<Ok<ListResponse<KeyView>>, ProblemHttpResult>> List(
        HttpContext context, string resource, MarketplaceStore store, AdminTokenStore tokens, GeographyStores stores, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        if (TenantHandlers.Authorize(caller.UseKeys(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.", Denied) is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var now = time.GetUtcNow();
        var suspensions = await store.StandingSuspensionsAsync(context.RequestAborted);
        var keys = store.Keys(resource, caller.SeesOnlyOwnKeys ? caller.Actor : null, page);
        var names = ActorNames.For(tokens, keys.Items.Select(k => k.CreatedBy));
        var lastUsed = LastUsed(stores, [.. keys.Items.Select(k => k.Id)]);
        return TypedResults.Ok(AdminRequest.List(keys, k => AdminViews.Key(k, now, suspensions, caller, names, lastUsed.GetValueOrDefault(k.Id))));
    }

    public static async Task<Results<Created<KeyView>, ProblemHttpResult>> Create(
        HttpContext context, string resource, MarketplaceStore store, ApiKeyHasher hasher, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var found = await store.FindResourceAsync(resource, context.RequestAborted);
        if (TenantHandlers.Authorize(caller.UseKeys(found?.TenantId ?? string.Empty), found, $"No resource '{resource}'.", Denied) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.CreateKeyRequest, new CreateKeyRequest(null, null));
        if (problem is not null)
        {
            return problem;
        }

        var key = ApiKeyFormat.NewKey();
        var now = time.GetUtcNow();
        var result = store.CreateKey(caller.Actor, resource, body!.Name, body.ExpiresAt, Secret(hasher, key), now);
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        // A key created while a key of its resource is suspended is born suspended: the answer says so at once.
        return TypedResults.Created($"/admin/v1/keys/{result.Value!.Id}", AdminViews.Key(result.Value, now, await store.StandingSuspensionsAsync(context.RequestAborted), caller) with { Key = key, CreatedByName = caller.Name });
    }

    public static async Task<Results<Ok<KeyView>, ProblemHttpResult>> Get(
        HttpContext context, string id, MarketplaceStore store, AdminTokenStore tokens, GeographyStores stores, TimeProvider time)
    {
        if (Authorize(context, id, store, out var key) is { } denied)
        {
            return denied;
        }

        return TypedResults.Ok(AdminViews.Key(key!, time.GetUtcNow(), await store.StandingSuspensionsAsync(context.RequestAborted), AdminAuthentication.CallerOf(context),
            ActorNames.For(tokens, [key!.CreatedBy]), LastUsed(stores, [id]).GetValueOrDefault(id)));
    }

    /// <summary>Issues a successor key (shown once); the old key keeps working for the overlap, then expires.</summary>
    public static async Task<Results<Created<KeyView>, ProblemHttpResult>> Rotate(
        HttpContext context, string id, MarketplaceStore store, ApiKeyHasher hasher, TimeProvider time)
    {
        if (Authorize(context, id, store, out _) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.RotateKeyRequest, new RotateKeyRequest(null));
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        if (ApiKeyRules.ValidateOverlap(body!.OverlapSeconds, errors) is not { } overlap)
        {
            return AdminProblems.Validation(errors);
        }

        var key = ApiKeyFormat.NewKey();
        var now = time.GetUtcNow();
        var caller = AdminAuthentication.CallerOf(context);
        var result = store.RotateKey(caller.Actor, id, overlap, Secret(hasher, key), now);
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        var rotation = result.Value!;
        var suspensions = await store.StandingSuspensionsAsync(context.RequestAborted);
        return TypedResults.Created($"/admin/v1/keys/{rotation.New.Id}",
            AdminViews.Key(rotation.New, now, suspensions, caller) with { Key = key, CreatedByName = caller.Name, Replaces = AdminViews.Key(rotation.Old, now, suspensions, caller) });
    }

    /// <summary>Revokes a key: this node refuses it at once, every node within its refresh interval (500 ms by default).</summary>
    public static async Task<Results<Ok<KeyView>, ProblemHttpResult>> Revoke(HttpContext context, string id, MarketplaceStore store, TimeProvider time)
    {
        if (Authorize(context, id, store, out _) is { } denied)
        {
            return denied;
        }

        var now = time.GetUtcNow();
        var caller = AdminAuthentication.CallerOf(context);
        var result = store.RevokeKey(caller.Actor, id, now);
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        return TypedResults.Ok(AdminViews.Key(result.Value!, now, await store.StandingSuspensionsAsync(context.RequestAborted), caller));
    }

    private static ProblemHttpResult? Authorize(HttpContext context, string id, MarketplaceStore store, out ApiKeyInfo? key)
    {
        key = store.FindKey(id);
        var access = AdminAuthentication.CallerOf(context).ManageKey(key?.TenantId ?? string.Empty, key?.CreatedBy ?? string.Empty);
        return TenantHandlers.Authorize(access, key, $"No API key '{id}'.", Denied);
    }

    /// <summary>
    /// When each key was last used: from every geography store (a key's requests rest in its resource's, but asking all
    /// is a handful of index reads and needs no routing here).
    /// </summary>
    private static Dictionary<string, DateTimeOffset?> LastUsed(GeographyStores stores, IReadOnlyCollection<string> keyIds)
    {
        var latest = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        foreach (var store in stores.All)
        {
            foreach (var (key, at) in store.KeysLastUsed(keyIds))
            {
                if (latest.GetValueOrDefault(key) is not { } seen || at > seen)
                {
                    latest[key] = at;
                }
            }
        }

        return latest;
    }

    private static NewSecret Secret(ApiKeyHasher hasher, string key) => new(hasher.Hash(key), ApiKeyFormat.PrefixOf(key)!);
}
