using Meridian.Core.World;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

/// <summary>A region and its edit counter.</summary>
public sealed record RegionRecord(Region Region, long Version);

/// <summary>One terms version with its text.</summary>
public sealed record TermsDocument(int Version, string Sha256, DateTimeOffset EffectiveAt, string Text);

/// <summary>
/// The marketplace in the control store: the world, publishers, offers, tenants, subscriptions, resources,
/// deployments and API keys. Every mutation runs in one transaction through <see cref="ControlStore.TryMutate{T}"/>:
/// it validates against the current rows, writes, and appends its audit record, or changes nothing at all.
/// Authorization is the caller's job; this class trusts the actor it is given. Thread-safe.
/// </summary>
public sealed partial class MarketplaceStore(ControlStore store)
{
    public ControlStore Control => store;

    private static Page<T> ToPage<T>(List<T> rows, int limit, Func<T, string> id) =>
        rows.Count > limit ? new Page<T>(rows[..limit], id(rows[limit - 1])) : new Page<T>(rows, null);

    private static string Time(DateTimeOffset time) => ControlStore.FormatTime(time);

    private static DateTimeOffset ParseTime(string text) => ControlStore.ParseTime(text);

    private static DateTimeOffset? ParseTimeOrNull(string? text) => text is null ? null : ControlStore.ParseTime(text);

    private static Region ReadRegion(DbDataReader reader, int nameOrdinal) =>
        new(reader.GetString(nameOrdinal), reader.GetStringOrNull(nameOrdinal + 1), reader.GetString(nameOrdinal + 2), reader.GetString(nameOrdinal + 3));

    private const string WorldSelect = "SELECT name, data_zone, geography, display_name FROM regions";

    private static WorldMap LoadWorld(DbConnection connection, DbTransaction? transaction) =>
        new(connection.Query(transaction, WorldSelect, r => ReadRegion(r, 0)));

    private static async Task<WorldMap> LoadWorldAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(await connection.QueryAsync(transaction, WorldSelect, r => ReadRegion(r, 0), cancellationToken));
}
