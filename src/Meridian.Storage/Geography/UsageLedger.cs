using System.Text;
using Meridian.Core.Billing;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Geography;

/// <summary>What to sum: one tenant's, one publisher's or one offer's usage (any combination), in [From, To).</summary>
public sealed record UsageQuery(DateTimeOffset From, DateTimeOffset To, string? TenantId = null, string? PublisherId = null, string? OfferId = null);

/// <summary>
/// The usage ledger of one geography: a request's usage is part of its receipt's row (<see cref="FoldIntoReceiptsMigration"/>),
/// written exactly once with it (<c>ON CONFLICT DO NOTHING</c>), and hourly aggregates per tenant × deployment × model
/// are kept in the same transaction, only for rows that were new, so an aggregate always equals the sum of its ledger
/// rows, also after a retried batch or a crash. Usage rows from before the fold that did not agree with their receipt
/// stay in the old <c>usage_ledger</c> table, which is read with the receipts and never written. The aggregates are partial
/// per writer (<see cref="WriterId"/>: one per process and store): no two nodes ever update the same row, so nodes
/// sharing a PostgreSQL store neither wait on each other's row locks nor deadlock; readers sum the partials. Thread-safe.
/// </summary>
public sealed class UsageLedger
{
    /// <summary>The ledger's migration, one entry of <see cref="ReceiptStore"/>'s list (the same file).</summary>
    internal const string Schema = """
        CREATE TABLE usage_ledger (
            request_id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            hour TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            resource_id TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            deployment_name TEXT NOT NULL,
            offer_id TEXT NOT NULL,
            publisher_id TEXT NOT NULL,
            model TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_creation_input_tokens INTEGER NOT NULL,
            cache_read_input_tokens INTEGER NOT NULL,
            source TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX usage_ledger_tenant_time ON usage_ledger (tenant_id, at);
        CREATE TABLE usage_hourly (
            tenant_id TEXT NOT NULL,
            hour TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            model TEXT NOT NULL,
            deployment_name TEXT NOT NULL,
            offer_id TEXT NOT NULL,
            publisher_id TEXT NOT NULL,
            requests INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_creation_input_tokens INTEGER NOT NULL,
            cache_read_input_tokens INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, hour, deployment_id, model)
        ) WITHOUT ROWID;
        CREATE INDEX usage_hourly_publisher ON usage_hourly (publisher_id, hour);
        CREATE INDEX usage_hourly_hour ON usage_hourly (hour);
        """;

    /// <summary>
    /// The hourly aggregates keyed by writer as well (issue 22). With one row per tenant × hour × deployment × model,
    /// every batch of every node upserted the same hot rows, and two nodes that met the same keys in different orders
    /// locked them in opposite orders: PostgreSQL's <c>deadlock detected</c>, each costing a batch about a second. Rows
    /// already there become the partials of writer <c>''</c>. SQLite cannot change a primary key in place: the table is
    /// rebuilt and renamed.
    /// </summary>
    internal const string PerWriterHourlyMigration = """
        CREATE TABLE usage_hourly_by_writer (
            tenant_id TEXT NOT NULL,
            hour TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            model TEXT NOT NULL,
            writer_id TEXT NOT NULL,
            deployment_name TEXT NOT NULL,
            offer_id TEXT NOT NULL,
            publisher_id TEXT NOT NULL,
            requests INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_creation_input_tokens INTEGER NOT NULL,
            cache_read_input_tokens INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, hour, deployment_id, model, writer_id)
        ) WITHOUT ROWID;
        INSERT INTO usage_hourly_by_writer
            SELECT tenant_id, hour, deployment_id, model, '', deployment_name, offer_id, publisher_id, requests,
                   input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens
            FROM usage_hourly;
        DROP TABLE usage_hourly;
        ALTER TABLE usage_hourly_by_writer RENAME TO usage_hourly;
        CREATE INDEX usage_hourly_publisher ON usage_hourly (publisher_id, hour);
        CREATE INDEX usage_hourly_hour ON usage_hourly (hour);
        """;

    /// <summary>
    /// One row per request instead of two (issue 19): a request's usage row said again what its receipt's row says
    /// (request id, time, tenant, key, resource, deployment and its name, publisher, model, the four token counts — one
    /// builder writes both from the same values) and added only the offer and where the counts came from. Those two become
    /// columns of <c>receipts</c>; <c>usage_source</c> is null for a receipt that billed nothing. Ledger rows that agree
    /// with their receipt in every shared column move into it; the rest (a receipt from before resources or publishers
    /// were recorded on receipts, or none at all) stay in <c>usage_ledger</c>, which is then only read. A binary from
    /// before would write usage to that table and read new usage from nowhere, so this raises the compatibility floor.
    /// </summary>
    internal const string FoldIntoReceiptsMigration = """
        ALTER TABLE receipts ADD COLUMN offer_id TEXT;
        ALTER TABLE receipts ADD COLUMN usage_source TEXT;
        UPDATE receipts SET offer_id = l.offer_id, usage_source = l.source
            FROM usage_ledger l
            WHERE l.request_id = receipts.request_id AND l.at = receipts.created_at AND l.tenant_id = receipts.tenant_id
              AND l.key_id = receipts.key_id AND l.resource_id = receipts.resource_id AND l.deployment_id = receipts.deployment_id
              AND l.deployment_name = receipts.deployment_name AND l.publisher_id = receipts.publisher_id AND l.model = receipts.model
              AND l.input_tokens = receipts.input_tokens AND l.output_tokens = receipts.output_tokens
              AND l.cache_creation_input_tokens = receipts.cache_creation_input_tokens
              AND l.cache_read_input_tokens = receipts.cache_read_input_tokens;
        DELETE FROM usage_ledger WHERE request_id IN (SELECT request_id FROM receipts WHERE usage_source IS NOT NULL);
        """;

    /// <summary>Every usage row: those in receipts' rows and those left in the old table, under the old table's column names.</summary>
    private const string Rows = """
        (SELECT request_id, created_at AS at, tenant_id, key_id, resource_id, deployment_id, deployment_name, offer_id, publisher_id, model,
                input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, usage_source AS source
         FROM receipts WHERE usage_source IS NOT NULL
         UNION ALL
         SELECT request_id, at, tenant_id, key_id, resource_id, deployment_id, deployment_name, offer_id, publisher_id, model,
                input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, source
         FROM usage_ledger) usage_rows
        """;

    private const string AddToHour = """
        INSERT INTO usage_hourly (tenant_id, hour, deployment_id, model, writer_id, deployment_name, offer_id, publisher_id, requests,
                                  input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens)
        VALUES (@tenant_id, @hour, @deployment_id, @model, @writer_id, @deployment_name, @offer_id, @publisher_id, @requests,
                @input, @output, @cache_write, @cache_read)
        ON CONFLICT (tenant_id, hour, deployment_id, model, writer_id) DO UPDATE SET
          requests = usage_hourly.requests + excluded.requests,
          input_tokens = usage_hourly.input_tokens + excluded.input_tokens,
          output_tokens = usage_hourly.output_tokens + excluded.output_tokens,
          cache_creation_input_tokens = usage_hourly.cache_creation_input_tokens + excluded.cache_creation_input_tokens,
          cache_read_input_tokens = usage_hourly.cache_read_input_tokens + excluded.cache_read_input_tokens
        """;

    private static readonly string[] AddToHourParameters =
        ["@tenant_id", "@hour", "@deployment_id", "@model", "@writer_id", "@deployment_name", "@offer_id", "@publisher_id", "@requests", "@input", "@output", "@cache_write", "@cache_read"];

    // PostgreSQL sums BIGINT as NUMERIC; the cast keeps both engines' results 64-bit integers.
    private const string SumColumns =
        "CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(cache_creation_input_tokens) AS BIGINT), CAST(SUM(cache_read_input_tokens) AS BIGINT)";

    private readonly SqlDatabase _database;

    internal UsageLedger(SqlDatabase database, string writerId)
    {
        _database = database;
        WriterId = writerId;
    }

    /// <summary>Whose partial hourly aggregates this process adds to: its own, so no other node ever locks them.</summary>
    public string WriterId { get; }

    /// <summary>Fixed width, so text order is time order in SQL comparisons.</summary>
    public static string FormatTime(DateTimeOffset time) => ControlStore.FormatTime(time);

    private static DateTimeOffset ParseTime(string text) => ControlStore.ParseTime(text);

    /// <summary>
    /// Adds the usage of receipts that were new in this batch (<paramref name="isNew"/>: their request ids, as the receipts'
    /// insert returned them) to this writer's hourly aggregates, inside the caller's transaction; returns that usage.
    /// Receipts already stored (a retried batch, a replay after a crash) were aggregated when first written.
    /// </summary>
    internal static IReadOnlyList<UsageRecord> AddToHours(PreparedStatements statements, DbTransaction transaction, string writerId, IReadOnlyList<RequestRecord> records, HashSet<string> isNew)
    {
        // New rows are summed per aggregate key in memory and added once per key at the end of the batch, inside the same
        // transaction: far fewer upserts than rows, and still only what was really inserted.
        var inserted = new List<UsageRecord>(isNew.Count);
        var hours = new Dictionary<(string Tenant, string Hour, string Deployment, string Model), (UsageRecord First, long Requests, TokenCounts Tokens)>();
        foreach (var record in records)
        {
            if (record.Usage is not { } u || !isNew.Remove(u.RequestId))
            {
                continue;
            }

            inserted.Add(u);
            var key = (u.TenantId, FormatTime(Hours.Floor(u.At)), u.DeploymentId, u.Model);
            hours[key] = hours.TryGetValue(key, out var sum) ? (sum.First, sum.Requests + 1, sum.Tokens + u.Tokens) : (u, 1, u.Tokens);
        }

        if (hours.Count > 0)
        {
            var aggregate = statements.For(AddToHour, transaction, c =>
            {
                foreach (var name in AddToHourParameters)
                {
                    c.Bind(name, null);
                }
            });
            var values = aggregate.Parameters;
            // In one global order (the key's, ordinal), not the order this batch first met the keys: rows are this
            // writer's alone, and should two writers ever share one (a second store opened in the same process), they
            // take their locks in the same order and wait rather than deadlock.
            foreach (var ((tenant, hour, deployment, model), (first, requests, tokens)) in hours.OrderBy(h => h.Key, HourKeyOrder.Instance))
            {
                values[0].Value = tenant;
                values[1].Value = hour;
                values[2].Value = deployment;
                values[3].Value = model;
                values[4].Value = writerId;
                values[5].Value = first.DeploymentName;
                values[6].Value = first.OfferId;
                values[7].Value = first.PublisherId;
                values[8].Value = requests;
                values[9].Value = tokens.Input;
                values[10].Value = tokens.Output;
                values[11].Value = tokens.CacheWrite;
                values[12].Value = tokens.CacheRead;
                aggregate.ExecuteNonQuery();
            }
        }

        return inserted;
    }

    public UsageRecord? Find(string requestId)
    {
        using var connection = _database.Open();
        return connection.QuerySingle(null, $"SELECT * FROM {Rows} WHERE request_id = @id", ReadRecord, ("@id", requestId));
    }

    public long Count()
    {
        using var connection = _database.Open();
        return connection.Scalar(null, $"SELECT COUNT(*) FROM {Rows}");
    }

    /// <summary>Every request id in the ledger with the number of rows it has (always 1: the primary key says so).</summary>
    public IReadOnlyList<string> RequestIds(string? tenantId = null)
    {
        using var connection = _database.Open();
        return connection.Query(null, $"SELECT request_id FROM {Rows} WHERE CAST(@tenant AS TEXT) IS NULL OR tenant_id = @tenant ORDER BY at",
            r => r.GetString(0), ("@tenant", tenantId));
    }

    /// <summary>
    /// Usage summed by tenant, deployment and model over [From, To). Whole hours come from the hourly aggregates; only
    /// the partial hours at either end (a price change at 14:30) read ledger rows, so the sum is exact and cheap.
    /// </summary>
    public IReadOnlyList<UsageSum> Sum(UsageQuery query)
    {
        if (query.From >= query.To)
        {
            return [];
        }

        using var connection = _database.Open();
        var firstHour = Hours.Ceiling(query.From);
        var lastHour = Hours.Floor(query.To);
        var parts = new List<UsageSum>();
        if (firstHour < lastHour)
        {
            parts.AddRange(SumHourly(connection, query with { From = firstHour, To = lastHour }));
            parts.AddRange(SumLedger(connection, query with { To = firstHour }));
            parts.AddRange(SumLedger(connection, query with { From = lastHour }));
        }
        else
        {
            parts.AddRange(SumLedger(connection, query));
        }

        return
        [
            .. parts
                .GroupBy(p => (p.TenantId, p.DeploymentId, p.Model, p.OfferId, p.PublisherId))
                .Select(g => new UsageSum(g.Key.TenantId, g.Key.DeploymentId, g.First().DeploymentName, g.Key.Model, g.Key.OfferId, g.Key.PublisherId,
                    g.Sum(p => p.Requests), g.Aggregate(TokenCounts.Zero, (sum, p) => sum + p.Tokens)))
                .OrderBy(s => s.TenantId, StringComparer.Ordinal)
                .ThenBy(s => s.DeploymentId, StringComparer.Ordinal)
                .ThenBy(s => s.Model, StringComparer.Ordinal),
        ];
    }

    /// <summary>The writer id of folded partials (<see cref="FoldClosedHours"/>): no process ever writes under it.</summary>
    public const string FoldedWriter = "";

    /// <summary>
    /// Folds the per-writer partials of hours before <paramref name="before"/> into one row per tenant × hour ×
    /// deployment × model (writer <see cref="FoldedWriter"/>), at most <paramref name="maxHours"/> hours, one transaction
    /// per hour. Partials are per process and store, so without folding they grow by one set per restart per hour.
    /// Totals do not change: the partials are deleted and their sums added in one transaction, and the delete returns
    /// exactly what it removed, so a writer adding to a partial meanwhile (a late record for a closed hour) either
    /// lands before the delete and is folded, or waits for it and starts a fresh partial. On PostgreSQL a transaction-level
    /// advisory lock per store makes one node fold at a time (the others skip); on SQLite the write lock does.
    /// Returns how many partial rows were folded.
    /// </summary>
    public int FoldClosedHours(DateTimeOffset before, int maxHours = 24)
    {
        var folded = 0;
        for (var i = 0; i < maxHours; i++)
        {
            using var connection = _database.Open();
            // Not the schema's serialized write on PostgreSQL: a record writer's batch takes that lock after its partials
            // (the access log of a new case), and waiting for it while holding partials it needs would deadlock.
            using var transaction = _database.Engine == StoreEngine.Postgres ? _database.Begin(connection) : _database.BeginWrite(connection);
            if (_database.Engine == StoreEngine.Postgres
                && connection.Scalar(transaction, "SELECT CASE WHEN pg_try_advisory_xact_lock(hashtext('meridian-usage-fold|' || current_schema())) THEN 1 ELSE 0 END") == 0)
            {
                return folded; // another node is folding this store now
            }

            var hour = connection.Query(transaction, "SELECT hour FROM usage_hourly WHERE writer_id <> @folded AND hour < @before ORDER BY hour LIMIT 1",
                r => r.GetString(0), ("@folded", FoldedWriter), ("@before", FormatTime(before))).FirstOrDefault();
            if (hour is null)
            {
                return folded;
            }

            // On PostgreSQL the partials are locked first, in the writers' key order (ordinal: COLLATE "C"), and only
            // those are deleted: a bare DELETE locks in scan order and deadlocked with a writer adding to its partials.
            var delete = _database.Engine == StoreEngine.Postgres
                ? """
                    WITH locked AS (
                        SELECT tenant_id, deployment_id, model, writer_id FROM usage_hourly WHERE hour = @hour AND writer_id <> @folded
                        ORDER BY tenant_id COLLATE "C", deployment_id COLLATE "C", model COLLATE "C", writer_id COLLATE "C"
                        FOR UPDATE)
                    DELETE FROM usage_hourly u USING locked l
                    WHERE u.hour = @hour AND u.tenant_id = l.tenant_id AND u.deployment_id = l.deployment_id AND u.model = l.model
                      AND u.writer_id = l.writer_id
                    RETURNING u.tenant_id, u.deployment_id, u.model, u.deployment_name, u.offer_id, u.publisher_id, CAST(u.requests AS BIGINT),
                              CAST(u.input_tokens AS BIGINT), CAST(u.output_tokens AS BIGINT), CAST(u.cache_creation_input_tokens AS BIGINT),
                              CAST(u.cache_read_input_tokens AS BIGINT)
                    """
                : """
                    DELETE FROM usage_hourly WHERE hour = @hour AND writer_id <> @folded
                    RETURNING tenant_id, deployment_id, model, deployment_name, offer_id, publisher_id, requests,
                              input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens
                    """;
            var partials = connection.Query(transaction, delete,
                r => (Key: (Tenant: r.GetString(0), Deployment: r.GetString(1), Model: r.GetString(2)), Name: r.GetString(3), Offer: r.GetString(4),
                    Publisher: r.GetString(5), Requests: r.GetInt64(6), Tokens: new TokenCounts(r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10))),
                ("@hour", hour), ("@folded", FoldedWriter));
            // Added in one global key order, like every batch's upserts.
            foreach (var sum in partials.GroupBy(p => p.Key).OrderBy(g => g.Key.Tenant, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Deployment, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal))
            {
                var first = sum.First();
                var tokens = sum.Aggregate(TokenCounts.Zero, (total, p) => total + p.Tokens);
                connection.Execute(transaction, AddToHour,
                    ("@tenant_id", sum.Key.Tenant), ("@hour", hour), ("@deployment_id", sum.Key.Deployment), ("@model", sum.Key.Model),
                    ("@writer_id", FoldedWriter), ("@deployment_name", first.Name), ("@offer_id", first.Offer), ("@publisher_id", first.Publisher),
                    ("@requests", sum.Sum(p => p.Requests)), ("@input", tokens.Input), ("@output", tokens.Output),
                    ("@cache_write", tokens.CacheWrite), ("@cache_read", tokens.CacheRead));
            }

            transaction.Commit();
            folded += partials.Count;
        }

        return folded;
    }

    /// <summary>The hourly aggregates whose hour starts in [From, To), each the sum of its writers' partials.</summary>
    public IReadOnlyList<HourlyUsage> Hourly(UsageQuery query)
    {
        using var connection = _database.Open();
        var (where, parameters) = Where(query, "hour");
        return connection.Query(null, $"""
            SELECT hour, tenant_id, deployment_id, MAX(deployment_name), model, offer_id, publisher_id, CAST(SUM(requests) AS BIGINT), {SumColumns}
            FROM usage_hourly WHERE {where}
            GROUP BY hour, tenant_id, deployment_id, model, offer_id, publisher_id
            ORDER BY hour, tenant_id, deployment_id, model
            """,
            r => new HourlyUsage(ParseTime(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
                r.GetInt64(7), new TokenCounts(r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11))),
            parameters);
    }

    private static IEnumerable<UsageSum> SumHourly(DbConnection connection, UsageQuery query)
    {
        var (where, parameters) = Where(query, "hour");
        return connection.Query(null, $"""
            SELECT tenant_id, deployment_id, MAX(deployment_name), model, offer_id, publisher_id, CAST(SUM(requests) AS BIGINT), {SumColumns}
            FROM usage_hourly WHERE {where} GROUP BY tenant_id, deployment_id, model, offer_id, publisher_id
            """, ReadSum, parameters);
    }

    private static IEnumerable<UsageSum> SumLedger(DbConnection connection, UsageQuery query)
    {
        if (query.From >= query.To)
        {
            return [];
        }

        var (where, parameters) = Where(query, "at");
        return connection.Query(null, $"""
            SELECT tenant_id, deployment_id, MAX(deployment_name), model, offer_id, publisher_id, COUNT(*), {SumColumns}
            FROM {Rows} WHERE {where} GROUP BY tenant_id, deployment_id, model, offer_id, publisher_id
            """, ReadSum, parameters);
    }

    /// <summary>Only fixed SQL fragments are concatenated; every value is a parameter.</summary>
    private static (string Where, (string, object?)[] Parameters) Where(UsageQuery query, string timeColumn)
    {
        var sql = new StringBuilder($"{timeColumn} >= @from AND {timeColumn} < @to");
        var parameters = new List<(string, object?)> { ("@from", FormatTime(query.From)), ("@to", FormatTime(query.To)) };
        if (query.TenantId is { } tenant)
        {
            sql.Append(" AND tenant_id = @tenant");
            parameters.Add(("@tenant", tenant));
        }

        if (query.PublisherId is { } publisher)
        {
            sql.Append(" AND publisher_id = @publisher");
            parameters.Add(("@publisher", publisher));
        }

        if (query.OfferId is { } offer)
        {
            sql.Append(" AND offer_id = @offer");
            parameters.Add(("@offer", offer));
        }

        return (sql.ToString(), [.. parameters]);
    }

    private sealed class HourKeyOrder : IComparer<(string Tenant, string Hour, string Deployment, string Model)>
    {
        public static readonly HourKeyOrder Instance = new();

        public int Compare((string Tenant, string Hour, string Deployment, string Model) x, (string Tenant, string Hour, string Deployment, string Model) y)
        {
            var c = string.CompareOrdinal(x.Tenant, y.Tenant);
            c = c != 0 ? c : string.CompareOrdinal(x.Hour, y.Hour);
            c = c != 0 ? c : string.CompareOrdinal(x.Deployment, y.Deployment);
            return c != 0 ? c : string.CompareOrdinal(x.Model, y.Model);
        }
    }

    private static UsageSum ReadSum(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6),
        new TokenCounts(r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10)));

    private static UsageRecord ReadRecord(DbDataReader r) => new()
    {
        RequestId = r.GetString(0),
        At = ParseTime(r.GetString(1)),
        TenantId = r.GetString(2),
        KeyId = r.GetString(3),
        ResourceId = r.GetString(4),
        DeploymentId = r.GetString(5),
        DeploymentName = r.GetString(6),
        OfferId = r.GetString(7),
        PublisherId = r.GetString(8),
        Model = r.GetString(9),
        Tokens = new TokenCounts(r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13)),
        Source = ParseSource(r.GetString(14)),
        StorageGeography = string.Empty,
    };

    internal static string SourceName(UsageSource source) => source switch
    {
        UsageSource.Backend => "backend",
        UsageSource.Counted => "counted",
        _ => "partial",
    };

    private static UsageSource ParseSource(string text) => text switch
    {
        "backend" => UsageSource.Backend,
        "counted" => UsageSource.Counted,
        _ => UsageSource.Partial,
    };
}
