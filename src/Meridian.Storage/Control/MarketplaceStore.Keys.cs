using Meridian.Core.Keys;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>A new key's hash and visible prefix. The key itself never reaches the store.</summary>
public readonly record struct NewSecret(string Hash, string Prefix);

/// <summary>The outcome of a rotation: the old key (now expiring) and the new one.</summary>
public sealed record KeyRotation(ApiKeyInfo Old, ApiKeyInfo New);

public sealed partial class MarketplaceStore
{
    // A key row written without a lineage (by hand, or by a tool that predates it) is the first key of its own line.
    private const string KeyColumns = "id, resource_id, tenant_id, name, prefix, created_by, created_at, expires_at, revoked_at, COALESCE(lineage_id, id)";

    /// <param name="createdBy">Only the keys this actor created (a developer's view), or null for all.</param>
    public Page<ApiKeyInfo> Keys(string resourceId, string? createdBy, PageRequest page) => store.Read(connection =>
        ToPage(connection.Query(null, $"""
            SELECT {KeyColumns} FROM api_keys
            WHERE resource_id = @res AND (CAST(@by AS TEXT) IS NULL OR created_by = @by) AND id > @after ORDER BY id LIMIT @limit
            """, ReadKey, ("@res", resourceId), ("@by", createdBy), ("@after", page.After ?? string.Empty), ("@limit", page.Limit + 1)), page.Limit, k => k.Id));

    public ApiKeyInfo? FindKey(string id) => store.Read(connection => FindKey(connection, null, id));

    public StoreResult<ApiKeyInfo> CreateKey(string actor, string resourceId, string? name, DateTimeOffset? expiresAt, NewSecret secret, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        ApiKeyRules.ValidateNew(name, expiresAt, now, errors);
        if (!errors.IsEmpty)
        {
            return StoreResult<ApiKeyInfo>.Invalid(errors);
        }

        return store.TryMutate((connection, transaction) =>
        {
            if (FindResource(connection, transaction, resourceId) is not { } resource)
            {
                return StoreResult<ApiKeyInfo>.NotFound($"No resource '{resourceId}'.");
            }

            var key = InsertKey(connection, transaction, actor, resource.Id, resource.TenantId, name, expiresAt, secret, now, lineageId: null);
            InheritKeySuspensions(connection, transaction, resource.Id, key.LineageId);
            AuditLog.Write(connection, transaction, actor, "key.create", "api_key", key.Id, null, key, AuditJson.Default.ApiKeyInfo, now);
            return StoreResult<ApiKeyInfo>.Created(key);
        });
    }

    /// <summary>
    /// Creates a successor of a live key, with the same resource, name and lineage (so a suspension of the old key holds for
    /// the new one), and lets the old key expire after <paramref name="overlap"/> (or earlier, if it was due to expire
    /// earlier anyway), so clients can switch without downtime.
    /// </summary>
    public StoreResult<KeyRotation> RotateKey(string actor, string keyId, TimeSpan overlap, NewSecret secret, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindKey(connection, transaction, keyId) is not { } old)
            {
                return StoreResult<KeyRotation>.NotFound($"No API key '{keyId}'.");
            }

            if (!old.IsLive(now))
            {
                return StoreResult<KeyRotation>.Conflict($"API key '{keyId}' is already revoked or expired; create a new key instead.");
            }

            var oldExpiry = now + overlap;
            if (old.ExpiresAt is { } due && due < oldExpiry)
            {
                oldExpiry = due;
            }

            var expiring = old with { ExpiresAt = oldExpiry };
            connection.Execute(transaction, "UPDATE api_keys SET expires_at = @exp WHERE id = @id", ("@id", keyId), ("@exp", Time(oldExpiry)));
            AuditLog.Write(connection, transaction, actor, "key.rotate", "api_key", keyId, old, expiring, AuditJson.Default.ApiKeyInfo, now);
            var successor = InsertKey(connection, transaction, actor, old.ResourceId, old.TenantId, old.Name, null, secret, now, old.LineageId);
            AuditLog.Write(connection, transaction, actor, "key.create", "api_key", successor.Id, null, successor, AuditJson.Default.ApiKeyInfo, now);
            return StoreResult<KeyRotation>.Created(new KeyRotation(expiring, successor));
        });

    /// <summary>Revokes a key at once. Revoking a revoked key changes nothing.</summary>
    public StoreResult<ApiKeyInfo> RevokeKey(string actor, string keyId, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindKey(connection, transaction, keyId) is not { } before)
            {
                return StoreResult<ApiKeyInfo>.NotFound($"No API key '{keyId}'.");
            }

            if (before.RevokedAt is not null)
            {
                return StoreResult<ApiKeyInfo>.Ok(before);
            }

            var after = before with { RevokedAt = now };
            connection.Execute(transaction, "UPDATE api_keys SET revoked_at = @at WHERE id = @id", ("@id", keyId), ("@at", Time(now)));
            AuditLog.Write(connection, transaction, actor, "key.revoke", "api_key", keyId, before, after, AuditJson.Default.ApiKeyInfo, now);
            return StoreResult<ApiKeyInfo>.Ok(after);
        });

    /// <param name="lineageId">The lineage of the key it succeeds; null to start a lineage of its own.</param>
    private static ApiKeyInfo InsertKey(
        DbConnection connection, DbTransaction transaction, string actor, string resourceId, string tenantId, string? name, DateTimeOffset? expiresAt,
        NewSecret secret, DateTimeOffset now, string? lineageId)
    {
        var id = StoreIds.New("key_", now);
        var key = new ApiKeyInfo(id, resourceId, tenantId, name, secret.Prefix, actor, now, expiresAt, null) { LineageId = lineageId ?? id };
        connection.Execute(transaction, """
            INSERT INTO api_keys (id, resource_id, tenant_id, name, prefix, hash, created_by, created_at, expires_at, lineage_id)
            VALUES (@id, @res, @tenant, @name, @prefix, @hash, @by, @at, @exp, @lineage)
            """,
            ("@id", key.Id), ("@res", resourceId), ("@tenant", tenantId), ("@name", name), ("@prefix", secret.Prefix), ("@hash", secret.Hash),
            ("@by", actor), ("@at", Time(now)), ("@exp", expiresAt is { } e ? Time(e) : null), ("@lineage", key.LineageId));
        return key;
    }

    private static ApiKeyInfo? FindKey(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, $"SELECT {KeyColumns} FROM api_keys WHERE id = @id", ReadKey, ("@id", id));

    private static ApiKeyInfo ReadKey(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetStringOrNull(3), r.GetString(4), r.GetString(5), ParseTime(r.GetString(6)),
            ParseTimeOrNull(r.GetStringOrNull(7)), ParseTimeOrNull(r.GetStringOrNull(8)))
        {
            LineageId = r.GetString(9),
        };
}
