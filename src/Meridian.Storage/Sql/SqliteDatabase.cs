using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Meridian.Storage.Sql;

/// <summary>
/// One SQLite file: pooled connections with WAL and a busy timeout; migrations numbered by <c>user_version</c>.
/// Writers take the file's write lock at BEGIN (IMMEDIATE), so they serialize without deadlocking on upgrade.
/// </summary>
public sealed partial class SqliteDatabase : SqlDatabase
{
    /// <summary>SQLITE_CONSTRAINT: a UNIQUE, PRIMARY KEY, FOREIGN KEY or CHECK constraint failed.</summary>
    private const int SqliteConstraint = 19;

    /// <summary>Native connections whose per-connection pragmas are set (weak: a handle the pool closes drops out).</summary>
    private static readonly ConditionalWeakTable<sqlite3, object> Configured = new();
    private static readonly object Marker = new();

    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        OwnerOnly.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        OwnerOnly.PrepareDatabaseFile(Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public override StoreEngine Engine => StoreEngine.Sqlite;

    public override string Location => Path;

    public override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return Configure(connection);
    }

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return Configure(connection);
    }

    private static SqliteConnection Configure(SqliteConnection connection)
    {
        // Per native connection, which the pool hands out again with its settings; WAL is a property of the file, set
        // once by Migrate. Setting them on every open cost a statement parse and run per store call.
        if (!Configured.TryGetValue(connection.Handle!, out _))
        {
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
            pragmas.ExecuteNonQuery();
            Configured.AddOrUpdate(connection.Handle!, Marker);
        }

        return connection;
    }

    public override DbTransaction BeginWrite(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: false);

    /// <summary>SQLite takes the file's write lock synchronously (its busy timeout waits on this thread); there is no other way.</summary>
    public override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(BeginWrite(connection));
    }

    public override int Migrate(IReadOnlyList<string> migrations, int oldestCompatible)
    {
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }

        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        using (var table = connection.CreateCommand())
        {
            table.CommandText = CompatibilityTable;
            table.ExecuteNonQuery();
        }

        using (var compatibility = connection.CreateCommand())
        {
            compatibility.CommandText = ReadCompatibility;
            StoreSchema = new SchemaVersion(version, migrations.Count, Convert.ToInt32(compatibility.ExecuteScalar(), CultureInfo.InvariantCulture));
        }

        SchemaVersion.EnsureUsable(Location, StoreSchema);
        if (StoreSchema.Ahead)
        {
            return 0;
        }

        for (var i = version; i < migrations.Count; i++)
        {
            using var transaction = BeginWrite(connection);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = migrations[i] + $"\nPRAGMA user_version = {i + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }

        using (var record = connection.CreateCommand())
        {
            record.CommandText = WriteCompatibility.Replace("MAX_OF", "MAX", StringComparison.Ordinal);
            record.Bind("@oldest", oldestCompatible);
            record.ExecuteNonQuery();
        }

        StoreSchema = new SchemaVersion(migrations.Count, migrations.Count, Math.Max(StoreSchema.OldestCompatible, oldestCompatible));
        return migrations.Count - version;
    }

    public override int MigrationsAppliedSoFar()
    {
        using var connection = Open();
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public override bool IsConstraintViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteConstraint };

    public override string? UniqueColumn(DbException exception) =>
        UniqueFailure().Match(exception.Message) is { Success: true } match ? match.Groups["column"].Value : null;

    public override IDisposable EraseFreedPages(DbConnection connection)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA secure_delete";
        var before = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        SetSecureDelete(connection, 1);
        return new SecureDeleteScope(connection, before);
    }

    public override bool TruncateLog(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        using var reader = command.ExecuteReader();
        // One row: busy (1 when readers or writers kept it from finishing), frames in the log, frames checkpointed.
        return reader.Read() && reader.GetInt64(0) == 0;
    }

    private static void SetSecureDelete(DbConnection connection, int value)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA secure_delete = {value.ToString(CultureInfo.InvariantCulture)}";
        command.ExecuteNonQuery();
    }

    private sealed class SecureDeleteScope(DbConnection connection, int before) : IDisposable
    {
        public void Dispose() => SetSecureDelete(connection, before);
    }

    [GeneratedRegex(@"UNIQUE constraint failed: (?:[a-z_]+\.[a-z_]+, )*[a-z_]+\.(?<column>[a-z_]+)", RegexOptions.CultureInvariant)]
    private static partial Regex UniqueFailure();
}
