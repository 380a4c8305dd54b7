using Meridian.Core.Access;

namespace Meridian.Gateway.Configuration;

/// <summary>
/// Signing in to the portal with an OpenID Connect provider, beside admin tokens (<c>--oidc-issuer</c>,
/// <c>--oidc-client-id</c>, <c>--oidc-person</c>; docs/portal.md, "Signing in with OpenID Connect"). Only the people
/// <see cref="People"/> maps get in, each with the role and scope a token of that role would have.
/// </summary>
public sealed class OpenIdConnectOptions
{
    public static readonly TimeSpan DefaultSessionLifetime = TimeSpan.FromHours(8);

    /// <summary>The issuer exactly as its ID tokens state it (<c>iss</c>); its discovery document is read from under it.</summary>
    public required Uri Issuer { get; init; }

    /// <summary>This gateway's client id at the provider: the audience its ID tokens must name.</summary>
    public required string ClientId { get; init; }

    /// <summary>The client secret, for a provider that registers the portal as a confidential client; null for a public one (PKCE only).</summary>
    public string? ClientSecret { get; init; }

    /// <summary>The provider's name on the sign-in page: "Sign in with <i>name</i>".</summary>
    public string DisplayName { get; init; } = "single sign-on";

    public IReadOnlyList<PersonMapping> People { get; init; } = [];

    /// <summary>How long a sign-in lasts before the portal asks again.</summary>
    public TimeSpan SessionLifetime { get; init; } = DefaultSessionLifetime;

    /// <summary>
    /// The issuer may be plain http only on a loopback address (a provider on the same machine, as in the tests): the
    /// discovery document and keys decide whose tokens are believed, so they must not travel unprotected.
    /// </summary>
    public bool RequireHttps => !Issuer.IsLoopback;

    /// <summary>
    /// The mapping for a person: by subject first, then by verified e-mail address, then by the address's domain; null
    /// when none matches. An unverified address matches nothing, so nobody gets a role by claiming someone's address.
    /// </summary>
    public PersonMapping? Map(string subject, string? email, bool emailVerified)
    {
        var verified = emailVerified && email is { Length: > 0 } ? email : null;
        return People.FirstOrDefault(p => p.Kind == PersonMatch.Subject && string.Equals(p.Value, subject, StringComparison.Ordinal))
            ?? People.FirstOrDefault(p => p.Kind == PersonMatch.Email && string.Equals(p.Value, verified, StringComparison.OrdinalIgnoreCase))
            ?? People.FirstOrDefault(p => p.Kind == PersonMatch.Domain && verified is not null
                && verified.EndsWith(p.Value, StringComparison.OrdinalIgnoreCase));
    }
}

public enum PersonMatch
{
    Subject,
    Email,
    Domain,
}

/// <summary>
/// One <c>--oidc-person</c> rule: <c>MATCH=ROLE[,tenant:ID][,publisher:ID][,geography:NAME]…</c>, where MATCH is
/// <c>sub:SUBJECT</c>, an e-mail address, or <c>@domain</c>. The scope is checked like a token's when the person signs in.
/// </summary>
public sealed record PersonMapping(PersonMatch Kind, string Value, AdminRole Role, string? TenantId, string? PublisherId, IReadOnlyList<string> Geographies)
{
    public const string Syntax = "MATCH=ROLE[,tenant:ID][,publisher:ID][,geography:NAME]… with MATCH sub:SUBJECT, an e-mail address or @domain";

    public TokenDraft Draft(string name) =>
        new(AdminRoles.Of(Role), name, TenantId, PublisherId, Geographies);

    public static bool TryParse(string text, out PersonMapping? mapping, out string error)
    {
        mapping = null;
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            error = $"'{text}' is not {Syntax}";
            return false;
        }

        var match = text[..equals].Trim();
        var (kind, value) = match.StartsWith("sub:", StringComparison.Ordinal) ? (PersonMatch.Subject, match[4..])
            : match.StartsWith('@') ? (PersonMatch.Domain, match)
            : (PersonMatch.Email, match);
        if (value.Length == 0 || value == "@" || (kind == PersonMatch.Email && !value.Contains('@', StringComparison.Ordinal)))
        {
            error = $"'{match}' matches nobody: use sub:SUBJECT, an e-mail address or @domain";
            return false;
        }

        var parts = text[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries);
        if (!AdminRoles.TryParse(parts[0], out var role))
        {
            error = $"'{parts[0]}' is not a role; one of {string.Join(", ", AdminRoles.All.Select(AdminRoles.Of))}";
            return false;
        }

        string? tenant = null, publisher = null;
        var geographies = new List<string>();
        foreach (var part in parts.Skip(1))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var (key, scope) = colon > 0 ? (part[..colon], part[(colon + 1)..]) : (part, string.Empty);
            switch (key)
            {
                case "tenant" when scope.Length > 0:
                    tenant = scope;
                    break;
                case "publisher" when scope.Length > 0:
                    publisher = scope;
                    break;
                case "geography" when scope.Length > 0:
                    geographies.Add(scope);
                    break;
                default:
                    error = $"'{part}' in '{text}' is not tenant:ID, publisher:ID or geography:NAME";
                    return false;
            }
        }

        mapping = new PersonMapping(kind, value, role, tenant, publisher, geographies);
        error = string.Empty;
        return true;
    }
}
