using Meridian.Core.Validation;

namespace Meridian.Core.Keys;

/// <summary>What may be shown about an API key: never the key, never its hash.</summary>
public sealed record ApiKeyInfo(
    string Id,
    string ResourceId,
    string TenantId,
    string? Name,
    string Prefix,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>
    /// The id of the first key of its line: a rotation's successor keeps its predecessor's lineage, so a Trust &amp; Safety
    /// suspension of one key holds for every key that replaces it.
    /// </summary>
    public required string LineageId { get; init; }

    public bool IsLive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>Rules for creating and rotating keys. Pure.</summary>
public static class ApiKeyRules
{
    public static readonly TimeSpan DefaultOverlap = TimeSpan.FromDays(1);
    public static readonly TimeSpan MaxOverlap = TimeSpan.FromDays(30);

    public static void ValidateNew(string? name, DateTimeOffset? expiresAt, DateTimeOffset now, FieldErrors errors)
    {
        if (name is not null && !Names.IsDisplayName(name))
        {
            errors.Add("name", Names.DisplayNameRule);
        }

        if (expiresAt is { } expiry && expiry <= now)
        {
            errors.Add("expires_at", "must be in the future");
        }
    }

    /// <summary>How long the old key keeps working after a rotation.</summary>
    public static TimeSpan? ValidateOverlap(long? overlapSeconds, FieldErrors errors)
    {
        if (overlapSeconds is null)
        {
            return DefaultOverlap;
        }

        if (overlapSeconds < 0 || overlapSeconds > (long)MaxOverlap.TotalSeconds)
        {
            errors.Add("overlap_seconds", $"must be from 0 to {(long)MaxOverlap.TotalSeconds} (30 days)");
            return null;
        }

        return TimeSpan.FromSeconds(overlapSeconds.Value);
    }
}
