using System.Text.Json.Serialization;

namespace Meridian.Core.Access;

/// <summary>The control-plane roles (docs/admin-api.md, "Roles").</summary>
public enum AdminRole
{
    /// <summary>Runs the marketplace: everything.</summary>
    [JsonStringEnumMemberName("operator-admin")]
    OperatorAdmin,

    /// <summary>One publisher: its offers, prices and terms.</summary>
    [JsonStringEnumMemberName("publisher-admin")]
    PublisherAdmin,

    /// <summary>One publisher's T&amp;S reviewer, limited to some geographies.</summary>
    [JsonStringEnumMemberName("reviewer")]
    Reviewer,

    /// <summary>One tenant: subscriptions, resources, deployments, keys, developer tokens.</summary>
    [JsonStringEnumMemberName("tenant-admin")]
    TenantAdmin,

    /// <summary>One tenant, read-mostly: reads its objects, creates and manages its own keys.</summary>
    [JsonStringEnumMemberName("tenant-developer")]
    TenantDeveloper,
}

public static class AdminRoles
{
    public static IReadOnlyList<AdminRole> All { get; } = Enum.GetValues<AdminRole>();

    public static string Of(AdminRole role) => role switch
    {
        AdminRole.OperatorAdmin => "operator-admin",
        AdminRole.PublisherAdmin => "publisher-admin",
        AdminRole.Reviewer => "reviewer",
        AdminRole.TenantAdmin => "tenant-admin",
        _ => "tenant-developer",
    };

    public static bool TryParse(string? value, out AdminRole role)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(Of(candidate), value, StringComparison.Ordinal))
            {
                role = candidate;
                return true;
            }
        }

        role = default;
        return false;
    }

    public static bool IsTenantRole(AdminRole role) => role is AdminRole.TenantAdmin or AdminRole.TenantDeveloper;

    public static bool IsPublisherRole(AdminRole role) => role is AdminRole.PublisherAdmin or AdminRole.Reviewer;
}

/// <summary>An admin token as it may be shown: never the token, never its hash.</summary>
/// <param name="Subject">
/// For a person who signs in with OpenID Connect: <c>oidc:ISSUER#SUB</c>. Such a row has no secret of its own; each
/// sign-in adds a session that expires (docs/portal.md, "Signing in with OpenID Connect").
/// </param>
public sealed record AdminToken(
    string Id,
    string Name,
    string Prefix,
    AdminRole Role,
    string? TenantId,
    string? PublisherId,
    IReadOnlyList<string> Geographies,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt,
    string? Subject = null)
{
    /// <summary>Who acts when this token is used, as audit records and <c>created_by</c> fields name it.</summary>
    public string Actor => AdminCaller.ActorOf(Id);

    public AdminCaller ToCaller() => new(Id, Name, Role, TenantId, PublisherId, Geographies);
}
