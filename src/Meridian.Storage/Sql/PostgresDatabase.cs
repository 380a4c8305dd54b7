using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Meridian.Storage.Sql;

/// <summary>
/// One PostgreSQL schema on a server: the control store, or one geography's store (a geography's schema can live on a
/// server in that geography). Connections come from one pooled data source with the schema as their search path.
/// Serialized writes take a transaction-scoped advisory lock named after the schema, so read-check-write sequences
/// never interleave across nodes, as SQLite's file lock guarantees on one machine.
/// </summary>
public sealed partial class PostgresDatabase : SqlDatabase, IDisposable
{
    // Every open store's data source, so a transient failure seen by one caller drops the dead idle connections of all.
    private static readonly ConcurrentDictionary<PostgresDatabase, byte> LiveDatabases = new();

    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string connectionString, string schema)
    {
        if (!SchemaName().IsMatch(schema))
        {
            throw new ArgumentException($"'{schema}' is not a usable PostgreSQL schema name (lowercase letters, digits and _, at most 63).", nameof(schema));
        }

        Schema = schema;
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema };
        // Statements the stores run often are prepared on the server after their second use.
        builder.MaxAutoPrepare = Math.Max(64, builder.MaxAutoPrepare);
        Location = $"postgres://{builder.Host}:{builder.Port}/{builder.Database} schema {schema}";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        LiveDatabases[this] = 0;
    }

    public string Schema { get; }

    public override StoreEngine Engine => StoreEngine.Postgres;

    public override string Location { get; }

    public override DbConnection Open() => _dataSource.OpenConnection();

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => await _dataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>32 rows × 33 receipt columns: one round trip per 32 rows, far below the 65,535-parameter limit.</summary>
    public override int RowsPerInsert => 32;

    public override DbTransaction BeginWrite(DbConnection connection)
    {
        var transaction = connection.BeginTransaction();
        using var command = WriteLock(connection, transaction);
        command.ExecuteNonQuery();
        return transaction;
    }

    public override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = WriteLock(connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    private DbCommand WriteLock(DbConnection connection, DbTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT pg_advisory_xact_lock(hashtext(@lock))";
        command.Parameters.Add(new NpgsqlParameter("lock", "meridian:write:" + Schema));
        return command;
    }

    public override int Migrate(IReadOnlyList<string> migrations, int oldestCompatible)
    {
        using var connection = _dataSource.OpenConnection();
        // A session lock, so two nodes starting together apply each migration once.
        Execute(connection, null, "SELECT pg_advisory_lock(hashtext(@lock))", ("lock", "meridian:migrate:" + Schema));
        try
        {
            Execute(connection, null, $"CREATE SCHEMA IF NOT EXISTS {Schema}");
            Execute(connection, null, $"CREATE TABLE IF NOT EXISTS {Schema}.schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
            using var read = new NpgsqlCommand($"SELECT COALESCE(MAX(version), 0) FROM {Schema}.schema_migrations", connection);
            var version = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
            Execute(connection, null, TranslateSchema(CompatibilityTable.Replace("schema_compatibility", $"{Schema}.schema_compatibility", StringComparison.Ordinal)));
            using (var compatibility = new NpgsqlCommand(ReadCompatibility.Replace("schema_compatibility", $"{Schema}.schema_compatibility", StringComparison.Ordinal), connection))
            {
                StoreSchema = new SchemaVersion(version, migrations.Count, Convert.ToInt32(compatibility.ExecuteScalar(), CultureInfo.InvariantCulture));
            }

            SchemaVersion.EnsureUsable(Location, StoreSchema);
            if (StoreSchema.Ahead)
            {
                return 0;
            }

            for (var i = version; i < migrations.Count; i++)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, transaction, TranslateSchema(migrations[i]));
                Execute(connection, transaction, $"INSERT INTO {Schema}.schema_migrations VALUES (@version, @at)",
                    ("version", i + 1), ("at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
                transaction.Commit();
            }

            Execute(connection, null, WriteCompatibility.Replace("schema_compatibility", $"{Schema}.schema_compatibility", StringComparison.Ordinal)
                .Replace($"{Schema}.schema_compatibility.oldest", "schema_compatibility.oldest", StringComparison.Ordinal)
                .Replace("MAX_OF", "GREATEST", StringComparison.Ordinal), ("oldest", oldestCompatible));
            StoreSchema = new SchemaVersion(migrations.Count, migrations.Count, Math.Max(StoreSchema.OldestCompatible, oldestCompatible));
            return migrations.Count - version;
        }
        finally
        {
            Execute(connection, null, "SELECT pg_advisory_unlock(hashtext(@lock))", ("lock", "meridian:migrate:" + Schema));
        }
    }

    public override int MigrationsAppliedSoFar()
    {
        using var connection = _dataSource.OpenConnection();
        using var exists = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection);
        exists.Parameters.Add(new NpgsqlParameter("table", Schema + ".schema_migrations"));
        if (exists.ExecuteScalar() is not true)
        {
            return 0;
        }

        using var read = new NpgsqlCommand($"SELECT COALESCE(MAX(version), 0) FROM {Schema}.schema_migrations", connection);
        return Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Class 23 — integrity constraint violation (unique, foreign key, check, not null).</summary>
    public override bool IsConstraintViolation(DbException exception) =>
        exception is PostgresException { SqlState: [ '2', '3', .. ] };

    /// <summary>
    /// PostgreSQL names the violated constraint or unique index but not its columns (the detail that would name them also
    /// holds the values, and Npgsql withholds it), so the column comes from the catalog, in the index's order.
    /// </summary>
    public override string? UniqueColumn(DbException exception)
    {
        if (exception is not PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: { } constraint })
        {
            return null;
        }

        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("""
            SELECT a.attname
            FROM pg_class i
            JOIN pg_index x ON x.indexrelid = i.oid
            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey::int2[])
            WHERE i.relname = @name AND i.relnamespace = @schema::regnamespace
            ORDER BY array_position(x.indkey::int2[], a.attnum) DESC
            LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("name", constraint));
        command.Parameters.Add(new NpgsqlParameter("schema", Schema));
        return command.ExecuteScalar() as string;
    }

    /// <summary>
    /// Translates a migration written in SQLite's dialect: PostgreSQL's INTEGER is 32-bit where SQLite's is 64-bit,
    /// REAL is single precision, and rowid tables, AUTOINCREMENT, NOCASE and reading a member of JSON text
    /// (<c>json_extract(column, '$.field')</c>) have their own spellings.
    /// </summary>
    public static string TranslateSchema(string sqlite)
    {
        var sql = AutoIncrement().Replace(sqlite, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
        sql = IntegerType().Replace(sql, "BIGINT");
        sql = RealType().Replace(sql, "DOUBLE PRECISION");
        sql = BlobType().Replace(sql, "BYTEA");
        sql = NoCase().Replace(sql, string.Empty);
        sql = JsonExtract().Replace(sql, "(${column}::json ->> '${field}')");
        return WithoutRowId().Replace(sql, ")");
    }

    public void Dispose()
    {
        LiveDatabases.TryRemove(this, out _);
        _dataSource.Dispose();
    }

    /// <summary>
    /// Closes every idle pooled connection of every open store (connections in use are dropped when returned): after a
    /// server restart they are all dead, and each would fail its next caller once.
    /// </summary>
    public static void DiscardIdleConnections()
    {
        foreach (var database in LiveDatabases.Keys)
        {
            database._dataSource.Clear();
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        command.ExecuteNonQuery();
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    [GeneratedRegex(@"\bINTEGER PRIMARY KEY AUTOINCREMENT\b")]
    private static partial Regex AutoIncrement();

    [GeneratedRegex(@"\bINTEGER\b")]
    private static partial Regex IntegerType();

    [GeneratedRegex(@"\bREAL\b")]
    private static partial Regex RealType();

    [GeneratedRegex(@"\bBLOB\b")]
    private static partial Regex BlobType();

    [GeneratedRegex(@"\s+COLLATE NOCASE\b")]
    private static partial Regex NoCase();

    [GeneratedRegex(@"\bjson_extract\((?<column>[a-z_][a-z0-9_.]*), '\$\.(?<field>[a-z_][a-z0-9_]*)'\)")]
    private static partial Regex JsonExtract();

    [GeneratedRegex(@"\)\s*WITHOUT ROWID")]
    private static partial Regex WithoutRowId();
}
