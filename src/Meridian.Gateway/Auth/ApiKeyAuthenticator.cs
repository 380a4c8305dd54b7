using Meridian.Core.Keys;
using Meridian.Gateway.Snapshot;
using Meridian.Protocol.Errors;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Auth;

/// <summary>
/// Finds the caller's key in the request and looks it up in the routing snapshot by its keyed hash (memoized per snapshot).
/// Accepts the three forms real clients send: <c>x-api-key</c> (Foundry SDKs, curl), <c>api-key</c>
/// (Azure-style tools) and <c>Authorization: Bearer</c> (the plain Anthropic SDKs).
/// </summary>
public sealed class ApiKeyAuthenticator(ApiKeyHasher hasher, GatewaySnapshotProvider snapshots, TimeProvider time)
{
    /// <summary>Authenticates against the current snapshot.</summary>
    public bool TryAuthenticate(HttpRequest request, out KeyRecord key, out ApiError error) =>
        TryAuthenticate(request, snapshots.Current, out key, out error);

    /// <summary>Authenticates against <paramref name="snapshot"/>, the one the request is then served from.</summary>
    public bool TryAuthenticate(HttpRequest request, GatewaySnapshot snapshot, out KeyRecord key, out ApiError error)
    {
        key = null!;
        error = null!;
        var presented = PresentedKey(request);
        if (presented is null)
        {
            error = ApiError.Authentication("No API key was sent: use the x-api-key header or Authorization: Bearer <key>.");
            return false;
        }

        var found = snapshot.FindKey(presented, hasher);
        // The snapshot is rebuilt on changes only, so a key that reaches its expiry (the old key after a rotation's
        // overlap) is still in it: check the time here.
        if (found is null || found.ExpiresAt <= time.GetUtcNow())
        {
            error = ApiError.Authentication("invalid API key");
            return false;
        }

        key = found;
        return true;
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var headers = request.Headers;
        if (headers.TryGetValue("x-api-key", out var apiKey) && apiKey.Count > 0 && !string.IsNullOrWhiteSpace(apiKey[0]))
        {
            return apiKey[0]!.Trim();
        }

        if (headers.TryGetValue("api-key", out var azureKey) && azureKey.Count > 0 && !string.IsNullOrWhiteSpace(azureKey[0]))
        {
            return azureKey[0]!.Trim();
        }

        var authorization = headers.Authorization;
        if (authorization.Count > 0 && authorization[0] is { } value
            && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && value.Length > "Bearer ".Length)
        {
            return value["Bearer ".Length..].Trim();
        }

        return null;
    }
}
