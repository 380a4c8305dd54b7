using System.Text.RegularExpressions;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;

namespace Meridian.Storage;

/// <summary>
/// Where the stores live. Embedded (the default): <c>control.db</c> and one <c>geo-{name}.db</c> per geography in the
/// data folder. PostgreSQL: a <c>{prefix}_control</c> schema and one <c>{prefix}_geo_{name}</c> schema per geography,
/// each on the server of <see cref="Postgres"/> unless <see cref="GeographyConnections"/> names another server for that
/// geography — so a geography's data at rest can live on a server inside it.
/// </summary>
public sealed partial record StorageSettings
{
    public const string DefaultSchemaPrefix = "meridian";

    public StoreEngine Engine { get; init; } = StoreEngine.Sqlite;

    /// <summary>The data folder: the SQLite files (embedded engine) and, on every engine, the node's secrets.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The PostgreSQL connection string of the control schema, and of every geography without its own.</summary>
    public string? Postgres { get; init; }

    /// <summary>Prefix of the schema names, so several clusters (or test runs) can share one server.</summary>
    public string SchemaPrefix { get; init; } = DefaultSchemaPrefix;

    /// <summary>Connection strings of geographies whose data rests on a server of their own, by geography name.</summary>
    public IReadOnlyDictionary<string, string> GeographyConnections { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whose partial hourly usage aggregates the geography stores opened with these settings add to; null (the default):
    /// a fresh id per store opened, so no two nodes ever update the same aggregate row. Benchmarks set one id for every
    /// node to measure the shared-row layout it replaced.
    /// </summary>
    public string? LedgerWriterId { get; init; }

    public static StorageSettings Embedded(string dataDirectory) => new() { DataDirectory = dataDirectory };

    /// <summary>Names the first setting that makes these settings unusable; null when they are fine.</summary>
    public string? Problem() => Engine switch
    {
        StoreEngine.Postgres when string.IsNullOrWhiteSpace(Postgres) =>
            "the postgres store needs a connection string (--postgres or MERIDIAN_POSTGRES)",
        StoreEngine.Postgres when !SchemaPrefixPattern().IsMatch(SchemaPrefix) =>
            $"the schema prefix '{SchemaPrefix}' must be lowercase letters, digits and _, at most 24, starting with a letter (--postgres-schema or MERIDIAN_POSTGRES_SCHEMA)",
        _ => null,
    };

    public SqlDatabase OpenControl() => Engine == StoreEngine.Postgres
        ? new PostgresDatabase(Postgres!, $"{SchemaPrefix}_control")
        : new SqliteDatabase(Path.Combine(DataDirectory, "control.db"));

    /// <summary>The database of one geography; <paramref name="geography"/> must be a valid place name.</summary>
    public SqlDatabase OpenGeography(string geography)
    {
        var name = geography.ToLowerInvariant();
        if (!Names.IsPlaceName(name))
        {
            throw new InvalidOperationException($"'{geography}' is not a valid geography name; no store is opened for it.");
        }

        if (Engine != StoreEngine.Postgres)
        {
            return new SqliteDatabase(Path.Combine(DataDirectory, $"geo-{name}.db"));
        }

        var connection = GeographyConnections.FirstOrDefault(g => string.Equals(g.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? Postgres!;
        return new PostgresDatabase(connection, $"{SchemaPrefix}_geo_{name.Replace('-', '_')}");
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,23}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaPrefixPattern();
}
