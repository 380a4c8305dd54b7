using System.Data.Common;
using Meridian.Core.Receipts;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Geography;

/// <summary>
/// The receipt transparency logs resting in this geography's store (docs/receipts.md, "The receipt log"): each receipt's
/// leaf is three columns of its own row (log id, leaf index, leaf hash), and every batch's signed tree head a row of
/// <c>receipt_log_heads</c>, keyed by log id, so several nodes sharing one PostgreSQL store each keep their own log.
/// Leaves and heads are written in the batch's transaction. The unique index (log, index) and the primary key
/// (log, size) refuse a second writer of the same index, so two writers that somehow share a log id cannot fork it
/// silently — one batch fails and its writer reloads.
/// </summary>
public sealed partial class ReceiptStore
{
    private const string LogMigration = """
        CREATE TABLE receipt_log_leaves (
            log_id TEXT NOT NULL,
            leaf_index INTEGER NOT NULL,
            leaf_hash BLOB NOT NULL,
            request_id TEXT NOT NULL,
            PRIMARY KEY (log_id, leaf_index)
        );
        CREATE INDEX receipt_log_leaves_request ON receipt_log_leaves (request_id);
        CREATE TABLE receipt_log_heads (
            log_id TEXT NOT NULL,
            tree_size INTEGER NOT NULL,
            root_hash BLOB NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL,
            frontier BLOB NOT NULL,
            PRIMARY KEY (log_id, tree_size)
        );
        """;


    /// <summary>
    /// The leaf moves into the receipt's row (issue 19): a separate leaf row cost every request a second row and three
    /// more B-tree inserts (the table, its primary key and its request-id index). Existing leaves are carried over; a leaf
    /// whose receipt row is missing (removed at rest) has no row to go to, and its log then shows the hole, as before.
    /// Binaries from before write leaves to the dropped table, so this raises the compatibility floor
    /// (<see cref="OldestCompatible"/>).
    /// </summary>
    private const string LeafColumnsMigration = """
        ALTER TABLE receipts ADD COLUMN log_id TEXT;
        ALTER TABLE receipts ADD COLUMN leaf_index INTEGER;
        ALTER TABLE receipts ADD COLUMN leaf_hash BLOB;
        UPDATE receipts SET log_id = l.log_id, leaf_index = l.leaf_index, leaf_hash = l.leaf_hash
            FROM receipt_log_leaves l WHERE l.request_id = receipts.request_id;
        CREATE UNIQUE INDEX receipts_log_leaf ON receipts (log_id, leaf_index);
        DROP TABLE receipt_log_leaves;
        """;

    private const string HeadColumns = "log_id, tree_size, root_hash, timestamp_ms, key_id, signature, frontier";

    /// <summary>The latest tree head of <paramref name="logId"/>, or null for a log with no batch yet.</summary>
    public StoredTreeHead? LatestTreeHead(string logId)
    {
        using var connection = _database.Open();
        return connection.QuerySingle(null, $"SELECT {HeadColumns} FROM receipt_log_heads WHERE log_id = @log ORDER BY tree_size DESC LIMIT 1", ReadHead, ("@log", logId));
    }

    /// <summary>The tree head of <paramref name="logId"/> at exactly <paramref name="treeSize"/>, if one was signed.</summary>
    public StoredTreeHead? TreeHead(string logId, long treeSize)
    {
        using var connection = _database.Open();
        return connection.QuerySingle(null, $"SELECT {HeadColumns} FROM receipt_log_heads WHERE log_id = @log AND tree_size = @size", ReadHead, ("@log", logId), ("@size", treeSize));
    }

    /// <summary>The first signed tree head of <paramref name="logId"/> whose tree holds leaf <paramref name="index"/>.</summary>
    public StoredTreeHead? FirstTreeHeadAfter(string logId, long index)
    {
        using var connection = _database.Open();
        return connection.QuerySingle(
            null, $"SELECT {HeadColumns} FROM receipt_log_heads WHERE log_id = @log AND tree_size > @index ORDER BY tree_size LIMIT 1", ReadHead, ("@log", logId), ("@index", index));
    }

    /// <summary>Tree heads of <paramref name="logId"/> with <c>tree_size &gt;= fromSize</c>, smallest first.</summary>
    public IReadOnlyList<StoredTreeHead> TreeHeads(string logId, long fromSize, int limit)
    {
        using var connection = _database.Open();
        return connection.Query(
            null, $"SELECT {HeadColumns} FROM receipt_log_heads WHERE log_id = @log AND tree_size >= @from ORDER BY tree_size LIMIT @limit", ReadHead,
            ("@log", logId), ("@from", fromSize), ("@limit", limit));
    }

    /// <summary>The latest tree head of every log in this store (one per node that wrote here).</summary>
    public IReadOnlyList<StoredTreeHead> LatestTreeHeads()
    {
        using var connection = _database.Open();
        return connection.Query(
            null,
            $"SELECT {HeadColumns} FROM receipt_log_heads h WHERE tree_size = (SELECT MAX(tree_size) FROM receipt_log_heads m WHERE m.log_id = h.log_id) ORDER BY log_id",
            ReadHead);
    }

    /// <summary>Where <paramref name="requestId"/>'s receipt is in a log of this store, if it was appended.</summary>
    public LogPosition? FindLeaf(string requestId)
    {
        using var connection = _database.Open();
        return connection.QuerySingle(
            null, "SELECT log_id, leaf_index, leaf_hash FROM receipts WHERE request_id = @id AND log_id IS NOT NULL",
            r => new LogPosition(r.GetString(0), r.GetInt64(1), (byte[])r.GetValue(2)), ("@id", requestId));
    }

    /// <summary>The request ids among the leaves of <paramref name="logId"/> from <paramref name="fromIndex"/> on.</summary>
    public IReadOnlySet<string> RequestIdsFrom(string logId, long fromIndex)
    {
        using var connection = _database.Open();
        return connection.Query(
            null, "SELECT request_id FROM receipts WHERE log_id = @log AND leaf_index >= @from", r => r.GetString(0), ("@log", logId), ("@from", fromIndex))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Subtree hashes of <paramref name="logId"/>'s stored leaves, for proofs: reads the leaf hashes of the first
    /// <paramref name="size"/> leaves once and hashes ranges of them on demand.
    /// </summary>
    public ISubtreeSource LeafSource(string logId, long size)
    {
        using var connection = _database.Open();
        // Receipts and access-log entries share the log's index space (one writer appends both).
        var hashes = connection.Query(
            null, """
            SELECT leaf_index, leaf_hash FROM receipts WHERE log_id = @log AND leaf_index < @size
            UNION ALL SELECT leaf_index, leaf_hash FROM ts_access_log WHERE log_id = @log AND leaf_index < @size
            ORDER BY leaf_index
            """,
            r => (Index: r.GetInt64(0), Hash: (byte[])r.GetValue(1)), ("@log", logId), ("@size", size));
        for (var i = 0; i < hashes.Count; i++)
        {
            if (hashes[i].Index != i)
            {
                throw new LogGapException(logId, i);
            }
        }

        return hashes.Count == size ? new LeafHashes([.. hashes.Select(h => h.Hash)]) : throw new LogGapException(logId, hashes.Count);
    }

    private static StoredTreeHead ReadHead(DbDataReader r) =>
        new(r.GetString(0), r.GetInt64(1), (byte[])r.GetValue(2), r.GetInt64(3), r.GetString(4), r.GetString(5), (byte[])r.GetValue(6));

    private static void AppendHead(PreparedStatements statements, DbTransaction transaction, LogAppend append)
    {
        var head = append.Head;
        var command = statements.For(
            $"INSERT INTO receipt_log_heads ({HeadColumns}) VALUES (@log, @size, @root, @time, @key, @signature, @frontier)", transaction, c =>
            {
                foreach (var name in (string[])["@log", "@size", "@root", "@time", "@key", "@signature", "@frontier"])
                {
                    c.Bind(name, null);
                }
            });
        command.Parameters[0].Value = head.LogId;
        command.Parameters[1].Value = head.TreeSize;
        command.Parameters[2].Value = head.RootHash;
        command.Parameters[3].Value = head.TimestampMs;
        command.Parameters[4].Value = head.KeyId;
        command.Parameters[5].Value = head.Signature;
        command.Parameters[6].Value = head.Frontier;
        command.ExecuteNonQuery();
    }
}

/// <summary>
/// A signed tree head as stored: the log's size and root after a batch, when it was signed, and the signature (base64)
/// over its signed form; <see cref="Frontier"/> (the right edge's subtree roots, 32 bytes each, largest first) lets the
/// log's writer resume after a restart without reading its leaves.
/// </summary>
public sealed record StoredTreeHead(string LogId, long TreeSize, byte[] RootHash, long TimestampMs, string KeyId, string Signature, byte[] Frontier);

/// <summary>
/// A batch's leaves in a log and the tree head signed over them. <see cref="Leaves"/> runs parallel to the batch's
/// records: null for a receipt already in the log (a batch retried after its commit landed unseen).
/// </summary>
public sealed record LogAppend(IReadOnlyList<LogLeaf?> Leaves, StoredTreeHead Head)
{
    /// <summary>Access-log entries appended after the batch's receipts (docs/receipts.md, "Access records").</summary>
    public IReadOnlyList<AccessLeaf> Access { get; init; } = [];
}

/// <summary>An access-log entry's leaf: the entry (by its chain sequence number), its index in the log and its leaf hash.</summary>
public sealed record AccessLeaf(long Seq, long Index, byte[] LeafHash);

/// <summary>One receipt's leaf: its index in the log and <c>SHA-256(0x00 || canonical receipt)</c>.</summary>
public sealed record LogLeaf(long Index, byte[] LeafHash);

/// <summary>Where a receipt sits in a log.</summary>
public sealed record LogPosition(string LogId, long LeafIndex, byte[] LeafHash);

/// <summary>A log's stored leaves do not run 0, 1, 2, …: leaves were removed or renumbered at rest.</summary>
public sealed class LogGapException(string logId, long index)
    : InvalidOperationException($"Receipt log {logId} has no leaf {index} in its store: leaves were removed or renumbered.")
{
    public string LogId { get; } = logId;

    public long Index { get; } = index;
}
