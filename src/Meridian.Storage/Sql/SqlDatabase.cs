using System.Data.Common;

namespace Meridian.Storage.Sql;

/// <summary>The engines a store can run on: the embedded default, or a PostgreSQL server shared by several nodes.</summary>
public enum StoreEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// One database a store lives in — a SQLite file or a PostgreSQL schema — behind ADO.NET, so every store is written
/// once. The stores use the SQL both engines share (<c>@name</c> parameters, <c>ON CONFLICT</c>, <c>RETURNING</c>, row
/// values); schema migrations are written in SQLite's dialect and translated (<see cref="PostgresDatabase"/>).
/// Thread-safe: every caller gets its own connection.
/// </summary>
public abstract class SqlDatabase
{
    public abstract StoreEngine Engine { get; }

    /// <summary>Where the data rests, for messages and logs (a file path, or host/database/schema; never a password).</summary>
    public abstract string Location { get; }

    public abstract DbConnection Open();

    /// <summary>
    /// <see cref="Open"/> for a caller that must not block a thread on it (an HTTP handler): PostgreSQL opens without
    /// blocking; SQLite opens its file, synchronously underneath, on the same one code path.
    /// </summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A transaction whose writes are serialized with every other <c>BeginWrite</c> on this database, on every node:
    /// read-check-write sequences (the generation counter, the access log's hash chain) never interleave.
    /// </summary>
    public abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary><see cref="BeginWrite"/> without blocking a thread while it waits for the write lock (PostgreSQL).</summary>
    public abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>A plain transaction, for idempotent inserts that need atomicity but no ordering (receipt batches).</summary>
    public virtual DbTransaction Begin(DbConnection connection) => connection.BeginTransaction();

    /// <summary>Rows per insert statement for batches (<see cref="MultiRowInsert"/>).</summary>
    public virtual int RowsPerInsert => 1;

    /// <summary>
    /// Applies the migrations this database has not seen yet, each in its own transaction, once across nodes; returns
    /// how many it applied now. <paramref name="oldestCompatible"/>: the schema version a binary must know at least to
    /// use the store once these migrations are applied (recorded, never lowered). A store already past
    /// <paramref name="migrations"/> (migrated by a newer binary) is left alone, and refused with
    /// <see cref="SchemaTooNewException"/> unless it records this binary as still compatible. <see cref="StoreSchema"/> says
    /// where it stands afterwards.
    /// </summary>
    public abstract int Migrate(IReadOnlyList<string> migrations, int oldestCompatible);

    /// <summary>The schema versions found by <see cref="Migrate"/>; null before it ran.</summary>
    public SchemaVersion? StoreSchema { get; protected set; }

    /// <summary>The one-row table where the newest binary that migrated a store records <see cref="SchemaVersion.OldestCompatible"/>.</summary>
    protected const string CompatibilityTable = """
        CREATE TABLE IF NOT EXISTS schema_compatibility (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            oldest_binary_schema INTEGER NOT NULL
        )
        """;

    protected const string ReadCompatibility = "SELECT COALESCE(MAX(oldest_binary_schema), 0) FROM schema_compatibility";

    protected const string WriteCompatibility = """
        INSERT INTO schema_compatibility VALUES (1, @oldest)
        ON CONFLICT (id) DO UPDATE SET oldest_binary_schema = MAX_OF(schema_compatibility.oldest_binary_schema, excluded.oldest_binary_schema)
        """;

    /// <summary>How many migrations this database has applied, read without changing anything (for <c>migrate --dry-run</c>).</summary>
    public abstract int MigrationsAppliedSoFar();

    /// <summary>A UNIQUE, PRIMARY KEY, FOREIGN KEY or CHECK constraint refused the statement.</summary>
    public abstract bool IsConstraintViolation(DbException exception);

    /// <summary>
    /// The column a UNIQUE constraint violation was about — the last of the constraint's columns, the one a caller chose
    /// (the others are its scope) — so a conflict can name the field; null for other violations.
    /// </summary>
    public abstract string? UniqueColumn(DbException exception);

    /// <summary>
    /// While the returned scope lasts, content this connection deletes is overwritten on disk where the engine can
    /// (SQLite's <c>secure_delete</c>: freed cells and pages are zeroed); a no-op elsewhere. Scoped, because the pooled
    /// connection goes back to serve the receipts' hot path.
    /// </summary>
    public virtual IDisposable EraseFreedPages(DbConnection connection) => NoScope.Instance;

    /// <summary>
    /// Copies the write-ahead log into the database and empties it, so no earlier version of a page survives there
    /// (SQLite: <c>wal_checkpoint(TRUNCATE)</c>). False when readers kept it from completing. True where the engine
    /// keeps no such log in the store's files.
    /// </summary>
    public virtual bool TruncateLog(DbConnection connection) => true;

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}
