using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Meridian.Core.Access;
using Meridian.Core.Keys;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>
/// One audit record: who did what to which object, and the object before and after (JSON, never a secret).
/// <paramref name="ActorName"/> is the display name of the admin token the actor names (null for <c>system:…</c>).
/// </summary>
public sealed record AuditRecord(
    long Id, DateTimeOffset At, string Actor, string Action, string ObjectType, string ObjectId, string? BeforeJson, string? AfterJson, string? ActorName);

/// <summary>
/// Which audit records to read; a null field matches every record. <paramref name="Actor"/> matches the actor
/// (<c>token:tok_…</c>) or its token's display name; <paramref name="Action"/> an action (<c>key.revoke</c>) or its object's
/// group (<c>key</c>); the record's time is in [<paramref name="From"/>, <paramref name="To"/>).
/// </summary>
public sealed record AuditFilter(
    string? ObjectType = null, string? ObjectId = null, string? Actor = null, string? Action = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>
/// Writes audit records inside the mutation's own transaction, so a change and its record commit or roll back
/// together, and reads them back newest first.
/// </summary>
public static class AuditLog
{
    internal static void Write<T>(
        DbConnection connection, DbTransaction transaction, string actor, string action, string objectType, string objectId,
        T? before, T? after, JsonTypeInfo<T> typeInfo, DateTimeOffset now)
        where T : class
    {
        connection.Execute(transaction, Insert, Values(actor, action, objectType, objectId, before, after, typeInfo, now));
    }

    internal static Task<int> WriteAsync<T>(
        DbConnection connection, DbTransaction transaction, string actor, string action, string objectType, string objectId,
        T? before, T? after, JsonTypeInfo<T> typeInfo, DateTimeOffset now, CancellationToken cancellationToken)
        where T : class =>
        connection.ExecuteAsync(transaction, Insert, cancellationToken, Values(actor, action, objectType, objectId, before, after, typeInfo, now));

    private const string Insert = """
        INSERT INTO audit (at, actor, action, object_type, object_id, before_json, after_json)
        VALUES (@at, @actor, @action, @type, @id, @before, @after)
        """;

    private static (string Name, object? Value)[] Values<T>(
        string actor, string action, string objectType, string objectId, T? before, T? after, JsonTypeInfo<T> typeInfo, DateTimeOffset now)
        where T : class =>
    [
        ("@at", ControlStore.FormatTime(now)), ("@actor", actor), ("@action", action), ("@type", objectType), ("@id", objectId),
        ("@before", before is null ? null : JsonSerializer.Serialize(before, typeInfo)),
        ("@after", after is null ? null : JsonSerializer.Serialize(after, typeInfo)),
    ];

    /// <summary>Newest first; <see cref="PageRequest.After"/> is the id of the last record of the previous page.</summary>
    public static Page<AuditRecord> Read(ControlStore store, AuditFilter filter, PageRequest page) => store.Read(connection =>
    {
        var after = long.TryParse(page.After, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : long.MaxValue;
        var rows = connection.Query(null, """
            SELECT a.id, a.at, a.actor, a.action, a.object_type, a.object_id, a.before_json, a.after_json, t.name
            FROM audit a LEFT JOIN admin_tokens t ON a.actor = 'token:' || t.id
            WHERE a.id < @after
              AND (CAST(@type AS TEXT) IS NULL OR a.object_type = @type) AND (CAST(@object AS TEXT) IS NULL OR a.object_id = @object)
              AND (CAST(@actor AS TEXT) IS NULL OR a.actor = @actor OR t.name = @actor)
              AND (CAST(@action AS TEXT) IS NULL OR a.action = @action OR substr(a.action, 1, length(@group)) = @group)
              AND (CAST(@from AS TEXT) IS NULL OR a.at >= @from) AND (CAST(@to AS TEXT) IS NULL OR a.at < @to)
            ORDER BY a.id DESC LIMIT @limit
            """,
            r => new AuditRecord(r.GetInt64(0), ControlStore.ParseTime(r.GetString(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                r.GetStringOrNull(6), r.GetStringOrNull(7), r.GetStringOrNull(8)),
            ("@after", after), ("@type", filter.ObjectType), ("@object", filter.ObjectId), ("@actor", filter.Actor), ("@action", filter.Action),
            ("@group", filter.Action + "."), ("@from", filter.From is { } from ? ControlStore.FormatTime(from) : null),
            ("@to", filter.To is { } to ? ControlStore.FormatTime(to) : null), ("@limit", page.Limit + 1));
        return rows.Count > page.Limit
            ? new Page<AuditRecord>(rows[..page.Limit], rows[page.Limit - 1].Id.ToString(CultureInfo.InvariantCulture))
            : new Page<AuditRecord>(rows, null);
    });
}

/// <summary>How audit records render objects: snake_case, enums by their wire names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Region))]
[JsonSerializable(typeof(Publisher))]
[JsonSerializable(typeof(Offer))]
[JsonSerializable(typeof(Tenant))]
[JsonSerializable(typeof(Subscription))]
[JsonSerializable(typeof(Resource))]
[JsonSerializable(typeof(Deployment))]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(AdminToken))]
[JsonSerializable(typeof(Suspension))]
[JsonSerializable(typeof(ModelDefault))]
[JsonSerializable(typeof(BoundaryWidening))]
internal sealed partial class AuditJson : JsonSerializerContext;

/// <summary>What a world change did to a tenant's deployments: a region now inside their data zone boundary.</summary>
public sealed record BoundaryWidening(string Region, string DataZone, IReadOnlyList<string> Deployments);
