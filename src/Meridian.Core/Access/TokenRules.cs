using Meridian.Core.Validation;

namespace Meridian.Core.Access;

/// <summary>A token as a caller asked for it, before validation.</summary>
public sealed record TokenDraft(string? Role, string? Name, string? TenantId, string? PublisherId, IReadOnlyList<string>? Geographies);

public sealed record ValidToken(AdminRole Role, string Name, string? TenantId, string? PublisherId, IReadOnlyList<string> Geographies);

/// <summary>
/// Which scope each role needs: a tenant for tenant roles, a publisher for publisher-admins, geographies for reviewers
/// (plus at most one of a publisher or a tenant, whose cases they review; with neither they are the operator's). Pure.
/// </summary>
public static class TokenRules
{
    /// <param name="knownGeographies">The world's geographies, for reviewers.</param>
    public static ValidToken? Validate(TokenDraft draft, IEnumerable<string> knownGeographies, FieldErrors errors)
    {
        Names.RequireDisplayName(errors, "name", draft.Name);
        if (!AdminRoles.TryParse(draft.Role, out var role))
        {
            errors.Add("role", "must be one of " + string.Join(", ", AdminRoles.All.Select(AdminRoles.Of)));
            return null;
        }

        var tenantRole = AdminRoles.IsTenantRole(role);
        var publisherRole = role == AdminRole.PublisherAdmin;
        if (tenantRole && string.IsNullOrEmpty(draft.TenantId))
        {
            errors.Add("tenant_id", $"is required for the {AdminRoles.Of(role)} role");
        }
        else if (!tenantRole && role != AdminRole.Reviewer && draft.TenantId is not null)
        {
            errors.Add("tenant_id", $"applies to tenant roles and reviewers only, not {AdminRoles.Of(role)}");
        }

        if (publisherRole && string.IsNullOrEmpty(draft.PublisherId))
        {
            errors.Add("publisher_id", $"is required for the {AdminRoles.Of(role)} role");
        }
        else if (!publisherRole && role != AdminRole.Reviewer && draft.PublisherId is not null)
        {
            errors.Add("publisher_id", $"applies to publisher roles only, not {AdminRoles.Of(role)}");
        }

        // A reviewer reviews for one party: a publisher, a tenant, or (with neither) the operator.
        if (role == AdminRole.Reviewer && draft.TenantId is not null && draft.PublisherId is not null)
        {
            errors.Add("tenant_id", "a reviewer reviews for a publisher (publisher_id), a tenant (tenant_id) or the operator (neither), not for two");
        }

        var geographies = draft.Geographies ?? [];
        if (role == AdminRole.Reviewer)
        {
            var known = knownGeographies.ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (geographies.Count == 0)
            {
                errors.Add("geographies", "a reviewer needs at least one geography");
            }

            for (var i = 0; i < geographies.Count; i++)
            {
                if (!known.Contains(geographies[i]))
                {
                    errors.Add($"geographies[{i}]", $"unknown geography '{geographies[i]}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}");
                }
            }
        }
        else if (geographies.Count > 0)
        {
            errors.Add("geographies", "applies to the reviewer role only");
        }

        return errors.IsEmpty
            ? new ValidToken(role, draft.Name!, draft.TenantId, draft.PublisherId, [.. geographies.Distinct(StringComparer.OrdinalIgnoreCase)])
            : null;
    }
}
