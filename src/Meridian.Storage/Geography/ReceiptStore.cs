using System.Globalization;
using Meridian.Core.Billing;
using Meridian.Core.Receipts;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Geography;

/// <summary>
/// Receipts of one geography, in that geography's own store, written with the rest of each request's record. Inserts are idempotent by request id, so a batch
/// retried after a crash never doubles a record. Thread-safe.
/// </summary>
public sealed partial class ReceiptStore
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE receipts (
            request_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            deployment_id TEXT,
            deployment_name TEXT,
            model TEXT,
            hosting_option TEXT,
            deployment_type TEXT,
            ingress_region TEXT NOT NULL,
            backend TEXT,
            processing_region TEXT,
            storage_geography TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            streamed INTEGER NOT NULL,
            status INTEGER NOT NULL,
            error_type TEXT,
            safeguard_verdict TEXT NOT NULL,
            stop_reason TEXT,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_creation_input_tokens INTEGER NOT NULL,
            cache_read_input_tokens INTEGER NOT NULL,
            duration_ms REAL NOT NULL
        );
        CREATE INDEX receipts_tenant_time ON receipts (tenant_id, created_at);
        """,
        UsageLedger.Schema,
        RoutingMigration,
        CaseStore.Schema,
        // (tenant_id, created_at, request_id) serves every query (tenant_id, created_at) did: one B-tree less per insert.
        "DROP INDEX IF EXISTS receipts_tenant_time;",
        CaseStore.ReviewSchema,
        IngressMigration,
        WorldVersionMigration,
        ResourceMigration,
        UsageLedger.PerWriterHourlyMigration,
        LogMigration,
        LeafColumnsMigration,
        CaseStore.ContentKeysSchema,
        CaseStore.AccessLeavesSchema,
        UsageLedger.FoldIntoReceiptsMigration,
        KeyUseMigration,
        CaseStore.DecisionRationaleSchema,
        TrafficTimeMigration,
    ];

    /// <summary>
    /// The schema version a binary must know to use a geography store migrated by this one (see <see cref="SchemaVersion"/>):
    /// usage moved into receipts' rows (<see cref="UsageLedger.FoldIntoReceiptsMigration"/>), and a binary from before
    /// writes it to the old ledger table and sums only that (before that, receipts' leaves moved into their rows, and
    /// before that the per-writer hourly aggregates changed <c>usage_hourly</c>'s key). Raise it with a migration older
    /// binaries cannot live with; leave it for an additive one.
    /// </summary>
    internal static int OldestCompatible => Array.IndexOf(Migrations, UsageLedger.FoldIntoReceiptsMigration) + 1;

    private readonly SqlDatabase _database;

    /// <summary>The embedded store of a geography: one SQLite file.</summary>
    public ReceiptStore(string geography, string path)
        : this(geography, new SqliteDatabase(path))
    {
    }

    /// <summary>The store of <paramref name="geography"/> in <paramref name="database"/>, migrated to the current schema.</summary>
    /// <param name="ledgerWriterId">Whose partial hourly aggregates this store adds to; null: a fresh id (see <see cref="UsageLedger.WriterId"/>).</param>
    public ReceiptStore(string geography, SqlDatabase database, string? ledgerWriterId = null)
    {
        Geography = geography;
        _database = database;
        MigrationsApplied = _database.Migrate(Migrations, OldestCompatible);
        // One writer id per opened store (per process): this process's partial hourly aggregates.
        Ledger = new UsageLedger(_database, ledgerWriterId ?? Guid.NewGuid().ToString("N")[..12]);
        Cases = new CaseStore(_database);
    }

    public string Geography { get; }

    /// <summary>The usage ledger of this geography, in the receipts' rows and the same file: a batch's receipts and usage commit together.</summary>
    public UsageLedger Ledger { get; }

    /// <summary>The Trust &amp; Safety cases and access log of this geography, in the same file.</summary>
    public CaseStore Cases { get; }

    public SqlDatabase Database => _database;

    /// <summary>How many schema migrations opening this store applied (0 when it was up to date).</summary>
    public int MigrationsApplied { get; }

    /// <summary>The schema's migrations, in order (for <c>migrate --dry-run</c>).</summary>
    public static IReadOnlyList<string> SchemaMigrations => Migrations;

    /// <summary>Where this geography's data rests (a file path or a PostgreSQL schema), for messages.</summary>
    public string Location => _database.Location;

    public void InsertBatch(IReadOnlyList<Receipt> receipts) => InsertBatch([.. receipts.Select(r => new RequestRecord(r, null, null))]);

    /// <summary>
    /// Writes whole request records — receipt with its usage in one row, and sealed case — in one transaction, each
    /// idempotent by request id. Returns the usage records that were new (a retried batch returns none it already wrote), so running totals
    /// never count one twice.
    /// </summary>
    public IReadOnlyList<UsageRecord> InsertBatch(IReadOnlyList<RequestRecord> records)
    {
        using var writer = OpenBatchWriter();
        return writer.InsertBatch(records);
    }

    /// <summary>A connection for one writer that commits batch after batch, its statements prepared once.</summary>
    public BatchWriter OpenBatchWriter() => new(this);

    /// <summary>
    /// <see cref="ReceiptStore.InsertBatch(IReadOnlyList{RequestRecord})"/> on one connection kept open, with its statements prepared
    /// once: for the record writer, whose small group commits paid a pooled open and three statement preparations each.
    /// Not thread-safe. After a failed batch dispose it and open another (the connection may be broken).
    /// </summary>
    public sealed class BatchWriter : IDisposable
    {
        private readonly SqlDatabase _database;
        private readonly PreparedStatements _statements;
        private readonly string _writerId;

        internal BatchWriter(ReceiptStore store)
        {
            _database = store._database;
            _writerId = store.Ledger.WriterId;
            _statements = new PreparedStatements(_database.Open());
        }

        /// <inheritdoc cref="ReceiptStore.InsertBatch(IReadOnlyList{RequestRecord})"/>
        /// <param name="log">The batch's receipts as leaves of this node's log (written in their rows), and the tree head signed over them, committed with them; null for none.</param>
        public IReadOnlyList<UsageRecord> InsertBatch(IReadOnlyList<RequestRecord> records, LogAppend? log = null)
        {
            using var transaction = _database.Begin(_statements.Connection);
            var isNew = new HashSet<string>(StringComparer.Ordinal);
            if (records.Count > 0)
            {
                var rows = new object?[records.Count][];
                for (var i = 0; i < rows.Length; i++)
                {
                    rows[i] = Values(records[i], log?.Head.LogId, log?.Leaves[i]);
                }

                // The conflict target is the request id alone: a receipt already stored is skipped (a retried batch), but a
                // leaf index already taken in the log fails the batch — this writer's view of the log is stale. The rows
                // that were new come back: only their usage is added to the hourly aggregates.
                MultiRowInsert.Execute(_database, _statements, transaction, "receipts", ReceiptColumns, rows,
                    "ON CONFLICT (request_id) DO NOTHING RETURNING request_id", reader => isNew.Add(reader.GetString(0)));
                TouchKeys(_statements, transaction, _writerId, records);
            }

            var inserted = UsageLedger.AddToHours(_statements, transaction, _writerId, records, isNew);
            CaseStore.Insert(_statements.Connection, transaction, [.. records.Select(r => r.Case).OfType<SealedCase>()]);
            if (log is not null)
            {
                CaseStore.SetLeaves(_statements.Connection, transaction, log.Head.LogId, log.Access);
                AppendHead(_statements, transaction, log);
            }

            transaction.Commit();
            return inserted;
        }

        public void Dispose() => _statements.Dispose();
    }

    private static object?[] Values(RequestRecord record, string? logId, LogLeaf? leaf) => Values(record.Receipt, record.Usage, logId, leaf);

    private static object?[] Values(Receipt r, UsageRecord? usage, string? logId, LogLeaf? leaf) =>
    [
        r.RequestId, r.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), r.TenantId, r.KeyId, r.DeploymentId,
        r.DeploymentName, r.Model, r.HostingOption, r.DeploymentType, r.IngressRegion, r.Backend, r.ProcessingRegion,
        r.StorageGeography, r.Endpoint, r.Streamed ? 1 : 0, r.Status, r.ErrorType, r.SafeguardVerdict, r.StopReason,
        r.InputTokens, r.OutputTokens, r.CacheCreationInputTokens, r.CacheReadInputTokens, r.DurationMs,
        .. RoutingValues(r),
        leaf is null ? null : logId, leaf?.Index, leaf?.LeafHash,
        usage?.OfferId, usage is null ? null : UsageLedger.SourceName(usage.Source),
    ];

    public async Task<Receipt?> FindAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        return await connection.QuerySingleAsync(null, "SELECT * FROM receipts WHERE request_id = @id", Read, cancellationToken, ("@id", requestId));
    }

    public IReadOnlyList<Receipt> ListForTenant(string tenantId, int limit)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM receipts WHERE tenant_id = @tenant ORDER BY created_at DESC LIMIT @limit";
        command.Bind("@tenant", tenantId);
        command.Bind("@limit", limit);
        using var reader = command.ExecuteReader();
        var list = new List<Receipt>();
        while (reader.Read())
        {
            list.Add(Read(reader));
        }

        return list;
    }

    private static Receipt Read(DbDataReader reader) => WithRouting(ReadBase(reader), reader);

    private static Receipt ReadBase(DbDataReader reader) => new()
    {
        RequestId = reader.GetString(0),
        CreatedAt = DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        TenantId = reader.GetString(2),
        KeyId = reader.GetString(3),
        DeploymentId = NullableString(reader, 4),
        DeploymentName = NullableString(reader, 5),
        Model = NullableString(reader, 6),
        HostingOption = NullableString(reader, 7),
        DeploymentType = NullableString(reader, 8),
        IngressRegion = reader.GetString(9),
        Backend = NullableString(reader, 10),
        ProcessingRegion = NullableString(reader, 11),
        StorageGeography = reader.GetString(12),
        Endpoint = reader.GetString(13),
        Streamed = reader.GetInt64(14) != 0,
        Status = reader.GetInt32(15),
        ErrorType = NullableString(reader, 16),
        SafeguardVerdict = reader.GetString(17),
        StopReason = NullableString(reader, 18),
        InputTokens = reader.GetInt64(19),
        OutputTokens = reader.GetInt64(20),
        CacheCreationInputTokens = reader.GetInt64(21),
        CacheReadInputTokens = reader.GetInt64(22),
        DurationMs = reader.GetDouble(23),
    };

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

/// <summary>
/// Everything a request leaves behind, written in one transaction: its receipt, its usage when it used anything (stored
/// in the receipt's row, so it must say what the receipt says), and its Trust &amp; Safety case when it was flagged.
/// </summary>
public sealed record RequestRecord(Receipt Receipt, UsageRecord? Usage, SealedCase? Case)
{
    /// <summary>
    /// The usage billed: its request, time, tenant, key, resource, deployment, publisher, model and tokens are the
    /// receipt's (one builder writes both); a record whose usage differs is refused here, before it reaches a batch.
    /// </summary>
    public UsageRecord? Usage { get; init; } = Usage is null || Agrees(Receipt, Usage)
        ? Usage
        : throw new ArgumentException($"The usage of {Usage.RequestId} does not say what its receipt says; it is stored in the receipt's row.", nameof(Usage));

    private static bool Agrees(Receipt r, UsageRecord u) =>
        u.RequestId == r.RequestId && u.At == r.CreatedAt && u.TenantId == r.TenantId && u.KeyId == r.KeyId && u.ResourceId == r.ResourceId
        && u.DeploymentId == r.DeploymentId && u.DeploymentName == r.DeploymentName && u.PublisherId == r.PublisherId && u.Model == r.Model
        && u.Tokens == new TokenCounts(r.InputTokens, r.OutputTokens, r.CacheCreationInputTokens, r.CacheReadInputTokens);
}

/// <summary>A case with its content already sealed for the geography (null when no content is kept).</summary>
public sealed record SealedCase(CaseRecord Record, CaseContent? Content);

/// <summary>A case's sealed snapshot and its data key, wrapped by the geography's key (empty for snapshots sealed before per-case keys).</summary>
public sealed record CaseContent(byte[] Snapshot, byte[] WrappedKey);
