using Meridian.Core.Keys;
using Meridian.Gateway.Snapshot;
using Meridian.Protocol.Errors;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Auth;

/// <summary>
/// Finds the caller's key in the request and looks it up in the routing snapshot by its keyed hash (memoized per snapshot).
/// Accepts the three forms real clients send: <c>x-api-key</c> (Foundry SDKs, curl), <c>api-key</c>
/// (Azure-style tools) and <c>Authorization: Bearer</c> (the plain Anthropic SDKs). A request that carries more than one
/// and they differ is refused, whichever is valid: one request has one caller, and a proxy that adds its own key in
/// front of a client's must not turn an invalid credential into a valid one.
/// </summary>
internal sealed class ApiKeyAuthenticator(ApiKeyHasher hasher, GatewaySnapshotProvider snapshots, AuthFailureThrottle throttle, KeyHashMover mover, TimeProvider time)
{
    private const string Credential = "api_key";

    /// <summary>Authenticates against the current snapshot.</summary>
    public bool TryAuthenticate(HttpRequest request, out KeyRecord key, out ApiError error) =>
        TryAuthenticate(request, snapshots.Current, out key, out error);

    /// <summary>Authenticates against <paramref name="snapshot"/>, the one the request is then served from.</summary>
    public bool TryAuthenticate(HttpRequest request, GatewaySnapshot snapshot, out KeyRecord key, out ApiError error)
    {
        key = null!;
        error = null!;
        var (presented, conflict) = PresentedKey(request);
        if (presented is null)
        {
            error = ApiError.Authentication("No API key was sent: use the x-api-key header or Authorization: Bearer <key>.");
            return false;
        }

        if (throttle.IsThrottled(request.HttpContext, Credential, out var retryAfter))
        {
            error = new ApiError(429, ErrorTypes.RateLimit,
                $"Too many failed authentication attempts from this address: credentials are not checked for {Math.Ceiling(retryAfter.TotalSeconds):0} s.");
            return false;
        }

        if (conflict)
        {
            throttle.Failed(request.HttpContext, Credential);
            error = ApiError.Authentication(
                "The request carries different credentials in x-api-key, api-key or Authorization: send one key, in one header.");
            return false;
        }

        var found = snapshot.FindKey(presented, hasher);
        // The snapshot is rebuilt on changes only, so a key that reaches its expiry (the old key after a rotation's
        // overlap) is still in it: check the time here.
        if (found is null || found.ExpiresAt <= time.GetUtcNow())
        {
            throttle.Failed(request.HttpContext, Credential);
            error = ApiError.Authentication("invalid API key");
            return false;
        }

        if (hasher.PreviousHash(presented) is { } previous && string.Equals(found.Hash, previous, StringComparison.Ordinal))
        {
            // Stored under the secret this rotation retires: moved to the current one so it outlives the overlap.
            mover.Ask(previous, hasher.Hash(presented));
        }

        key = found;
        return true;
    }

    /// <summary>The one key the request presents, or whether it presents several that differ.</summary>
    private static (string? Key, bool Conflict) PresentedKey(HttpRequest request)
    {
        var headers = request.Headers;
        string? key = null;
        var conflict = false;

        void Consider(string? value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return;
            }

            var trimmed = value.Trim();
            if (key is null)
            {
                key = trimmed;
            }
            else if (!string.Equals(key, trimmed, StringComparison.Ordinal))
            {
                conflict = true;
            }
        }

        foreach (var value in headers["x-api-key"])
        {
            Consider(value);
        }

        foreach (var value in headers["api-key"])
        {
            Consider(value);
        }

        foreach (var value in headers.Authorization)
        {
            if (value is not null && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                Consider(value["Bearer ".Length..]);
            }
        }

        return (key, conflict);
    }
}
