using Meridian.Core.Keys;
using Meridian.Gateway.Configuration;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Admin;

/// <summary>
/// Makes sure someone can administer a fresh install: the fixed operator token from the options (for scripts),
/// or, when no live operator token exists, a new one that the start banner shows once.
/// </summary>
internal static class AdminBootstrap
{
    public const int MinFixedTokenLength = 16;

    /// <returns>The operator token created by this start (to show once), or null.</returns>
    public static string? Run(ControlStore store, ApiKeyHasher hasher, GatewayOptions options, DateTimeOffset now)
    {
        var tokens = new AdminTokenStore(store);
        if (options.AdminToken is { } configured && configured.Trim() is { Length: > 0 } fixedToken)
        {
            if (fixedToken.Length < MinFixedTokenLength || fixedToken.Any(char.IsWhiteSpace))
            {
                throw new InvalidOperationException(
                    $"The admin token (--admin-token / MERIDIAN_ADMIN_TOKEN) must be at least {MinFixedTokenLength} characters without spaces.");
            }

            // A fixed token that is not shaped like a generated one gets no visible prefix: it must not leak its start.
            var prefix = ApiKeyFormat.PrefixOf(fixedToken, ApiKeyFormat.AdminTokenScheme) ?? "mat-fixed";
            // During a rotation of the key-hash secret the token is stored under the previous secret (moved here) or,
            // by a node already promoted, under the next one: either way it exists and must not be added twice.
            if (hasher.PreviousHash(fixedToken) is { } previous && tokens.FindLive(previous) is not null)
            {
                new KeyHashRotation(store).MoveToken(previous, hasher.Hash(fixedToken));
            }

            if (hasher.OverlapHashes(fixedToken).Any(hash => tokens.FindLive(hash) is not null))
            {
                return null;
            }

            tokens.EnsureOperatorToken(new NewSecret(hasher.Hash(fixedToken), prefix), "operator (--admin-token)", now);
            return null;
        }

        if (tokens.HasLiveOperatorToken())
        {
            return null;
        }

        var token = ApiKeyFormat.New(ApiKeyFormat.AdminTokenScheme);
        tokens.EnsureOperatorToken(new NewSecret(hasher.Hash(token), ApiKeyFormat.PrefixOf(token, ApiKeyFormat.AdminTokenScheme)!), "operator (first start)", now);
        return token;
    }
}
