using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Core.Receipts;
using System.Data.Common;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Geography;

/// <summary>The boundary-routing columns of receipts (failover path, data recipients, signature) and the tenant queries over time.</summary>
public sealed partial class ReceiptStore
{
    /// <summary>Columns added by the routing migration; lists and the signature are stored as JSON text.</summary>
    private static readonly string[] RoutingColumns =
    [
        "publisher_id", "resource_region", "resource_data_zone", "processing_data_zone", "processing_operator",
        "attempts", "routing_failure", "data_recipients", "signature", "ingress_data_zone", "ingress_outside_boundary", "world_version", "resource_id",
    ];

    /// <summary>
    /// Every column a receipt is written with (declared after <see cref="RoutingColumns"/>, which it includes), then its
    /// leaf in the receipt log, then what its usage row adds (<see cref="UsageLedger.FoldIntoReceiptsMigration"/>).
    /// </summary>
    private static readonly string[] ReceiptColumns =
    [
        "request_id", "created_at", "tenant_id", "key_id", "deployment_id", "deployment_name", "model", "hosting_option",
        "deployment_type", "ingress_region", "backend", "processing_region", "storage_geography", "endpoint", "streamed",
        "status", "error_type", "safeguard_verdict", "stop_reason", "input_tokens", "output_tokens",
        "cache_creation_input_tokens", "cache_read_input_tokens", "duration_ms",
        .. RoutingColumns,
        "log_id", "leaf_index", "leaf_hash",
        "offer_id", "usage_source",
    ];

    private const string RoutingMigration = """
        ALTER TABLE receipts ADD COLUMN publisher_id TEXT;
        ALTER TABLE receipts ADD COLUMN resource_region TEXT;
        ALTER TABLE receipts ADD COLUMN resource_data_zone TEXT;
        ALTER TABLE receipts ADD COLUMN processing_data_zone TEXT;
        ALTER TABLE receipts ADD COLUMN processing_operator TEXT;
        ALTER TABLE receipts ADD COLUMN attempts TEXT;
        ALTER TABLE receipts ADD COLUMN routing_failure TEXT;
        ALTER TABLE receipts ADD COLUMN data_recipients TEXT;
        ALTER TABLE receipts ADD COLUMN signature TEXT;
        CREATE INDEX receipts_tenant_time_id ON receipts (tenant_id, created_at, request_id);
        """;

    /// <summary>Where the request came in, relative to its boundary (docs/receipts.md, "Ingress").</summary>
    private const string IngressMigration = """
        ALTER TABLE receipts ADD COLUMN ingress_data_zone TEXT;
        ALTER TABLE receipts ADD COLUMN ingress_outside_boundary INTEGER;
        """;

    /// <summary>The version of the world a receipt's boundary was computed from.</summary>
    private const string WorldVersionMigration = "ALTER TABLE receipts ADD COLUMN world_version BIGINT;";

    /// <summary>The resource of the requesting key: a key lists the receipts of its own resource only.</summary>
    private const string ResourceMigration = "ALTER TABLE receipts ADD COLUMN resource_id TEXT;";

    /// <summary>
    /// A tenant's receipts with <paramref name="from"/> ≤ created_at &lt; <paramref name="to"/>, oldest first, after the
    /// (created_at, request_id) position <paramref name="after"/> when given; at most <paramref name="limit"/>; each with its
    /// leaf in a receipt log (null for one written before the log).
    /// </summary>
    /// <param name="resourceId">The reading key's resource: receipts of its other resources are left out (receipts from before
    /// resources were recorded are not); null for every resource of the tenant, as its signed-in people read them.</param>
    public async Task<IReadOnlyList<(Receipt Receipt, LogPosition? Leaf)>> ListForTenantAsync(
        string tenantId, string? resourceId, DateTimeOffset from, DateTimeOffset to, (DateTimeOffset CreatedAt, string RequestId)? after, int limit,
        CancellationToken cancellationToken)
    {
        var list = new List<(Receipt, LogPosition?)>(Math.Min(limit, 256));
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = ScanCommand(connection, tenantId, resourceId, from, to, after, limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var row = new ScanRow(reader);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((Read(reader), row.Leaf(reader)));
        }

        return list;
    }

    /// <summary>
    /// Every receipt of a tenant in the period, oldest first, with its leaf in a receipt log (null for one written before
    /// the log), streamed to <paramref name="visit"/> (for reports over long periods).
    /// </summary>
    public void ForEachForTenant(string tenantId, DateTimeOffset from, DateTimeOffset to, Action<Receipt, LogPosition?> visit)
    {
        using var connection = _database.Open();
        using var command = ScanCommand(connection, tenantId, null, from, to, null, int.MaxValue);
        using var reader = command.ExecuteReader();
        var row = new ScanRow(reader);
        while (reader.Read())
        {
            visit(Read(reader), row.Leaf(reader));
        }
    }

    private static DbCommand ScanCommand(
        DbConnection connection, string tenantId, string? resourceId, DateTimeOffset from, DateTimeOffset to, (DateTimeOffset CreatedAt, string RequestId)? after, int limit) =>
        connection.Command(null, """
            SELECT * FROM receipts
            WHERE tenant_id = @tenant AND created_at >= @from AND created_at < @to AND (created_at, request_id) > (@afterAt, @afterId)
              AND (@resource = '' OR resource_id IS NULL OR resource_id = @resource)
            ORDER BY created_at, request_id LIMIT @limit
            """,
            ("@tenant", tenantId), ("@resource", resourceId ?? string.Empty), ("@from", TimeText(from)), ("@to", TimeText(to)),
            ("@afterAt", after is { } a ? TimeText(a.CreatedAt) : string.Empty), ("@afterId", after?.RequestId ?? string.Empty), ("@limit", limit));

    /// <summary>Where a scanned row's leaf columns are.</summary>
    private readonly struct ScanRow(DbDataReader reader)
    {
        private readonly int _log = reader.GetOrdinal("log_id");
        private readonly int _index = reader.GetOrdinal("leaf_index");
        private readonly int _hash = reader.GetOrdinal("leaf_hash");

        public LogPosition? Leaf(DbDataReader row) =>
            row.IsDBNull(_log) ? null : new LogPosition(row.GetString(_log), row.GetInt64(_index), (byte[])row.GetValue(_hash));
    }

    /// <summary>Receipts store times as round-trip UTC text of fixed width, so text order is time order.</summary>
    private static string TimeText(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static object?[] RoutingValues(Receipt r) =>
    [
        r.PublisherId, r.ResourceRegion, r.ResourceDataZone, r.ProcessingDataZone, r.ProcessingOperator,
        r.Attempts is null ? null : JsonSerializer.Serialize(r.Attempts, ReceiptColumnsJson.Default.IReadOnlyListRouteAttempt),
        r.RoutingFailure,
        r.DataRecipients is null ? null : JsonSerializer.Serialize(r.DataRecipients, ReceiptColumnsJson.Default.IReadOnlyListDataRecipient),
        r.Signature is null ? null : JsonSerializer.Serialize(r.Signature, ReceiptColumnsJson.Default.ReceiptSignature),
        r.IngressDataZone, r.IngressOutsideBoundary is { } outside ? (outside ? 1 : 0) : null, r.WorldVersion, r.ResourceId,
    ];

    private static Receipt WithRouting(Receipt receipt, DbDataReader reader)
    {
        string? Text(string column) => reader.GetOrdinal(column) is var ordinal && reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

        return receipt with
        {
            PublisherId = Text("publisher_id"),
            ResourceRegion = Text("resource_region"),
            ResourceDataZone = Text("resource_data_zone"),
            ProcessingDataZone = Text("processing_data_zone"),
            ProcessingOperator = Text("processing_operator"),
            Attempts = Text("attempts") is { } attempts ? JsonSerializer.Deserialize(attempts, ReceiptColumnsJson.Default.IReadOnlyListRouteAttempt) : null,
            RoutingFailure = Text("routing_failure"),
            DataRecipients = Text("data_recipients") is { } recipients ? JsonSerializer.Deserialize(recipients, ReceiptColumnsJson.Default.IReadOnlyListDataRecipient) : null,
            Signature = Text("signature") is { } signature ? JsonSerializer.Deserialize(signature, ReceiptColumnsJson.Default.ReceiptSignature) : null,
            IngressDataZone = Text("ingress_data_zone"),
            IngressOutsideBoundary = reader.GetOrdinal("ingress_outside_boundary") is var o && reader.IsDBNull(o) ? null : reader.GetInt64(o) != 0,
            WorldVersion = reader.GetOrdinal("world_version") is var w && reader.IsDBNull(w) ? null : reader.GetInt64(w),
            ResourceId = Text("resource_id"),
        };
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IReadOnlyList<RouteAttempt>))]
[JsonSerializable(typeof(IReadOnlyList<DataRecipient>))]
[JsonSerializable(typeof(ReceiptSignature))]
internal sealed partial class ReceiptColumnsJson : JsonSerializerContext;
