using System.Globalization;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Geography;

/// <summary>
/// When each API key was last used, folded by the record writer into the batch it commits anyway: one row per key and
/// writer, upserted once per key per batch. No round trip and no write on the request path, and no index on receipts
/// (one B-tree more per receipt); each writer keeps rows of its own, so nodes never wait on each other's.
/// </summary>
public sealed partial class ReceiptStore
{
    /// <summary>Additive; the rows before it are folded from the receipts once, under the writer <c>''</c>.</summary>
    private const string KeyUseMigration = """
        CREATE TABLE key_last_use (
            key_id TEXT NOT NULL,
            writer_id TEXT NOT NULL,
            last_used_at TEXT NOT NULL,
            PRIMARY KEY (key_id, writer_id)
        );
        INSERT INTO key_last_use (key_id, writer_id, last_used_at) SELECT key_id, '', MAX(created_at) FROM receipts GROUP BY key_id;
        """;

    // Only ever later: a batch retried after a newer one must not move the time back.
    private const string TouchKey = """
        INSERT INTO key_last_use (key_id, writer_id, last_used_at) VALUES (@key, @writer, @at)
        ON CONFLICT (key_id, writer_id) DO UPDATE SET last_used_at = excluded.last_used_at WHERE excluded.last_used_at > key_last_use.last_used_at
        """;

    /// <summary>When each of <paramref name="keyIds"/> was last used in this geography; keys never used here are absent.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> KeysLastUsed(IReadOnlyCollection<string> keyIds)
    {
        var found = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (keyIds.Count == 0)
        {
            return found;
        }

        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        var names = new List<string>(keyIds.Count);
        foreach (var id in keyIds)
        {
            var name = "@k" + names.Count.ToString(CultureInfo.InvariantCulture);
            names.Add(name);
            command.Bind(name, id);
        }

        command.CommandText = $"SELECT key_id, MAX(last_used_at) FROM key_last_use WHERE key_id IN ({string.Join(", ", names)}) GROUP BY key_id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            found[reader.GetString(0)] = DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        }

        return found;
    }

    /// <summary>Folds the batch's receipts into <c>key_last_use</c>: the latest time per key, one upsert per key, in key order.</summary>
    private static void TouchKeys(PreparedStatements statements, System.Data.Common.DbTransaction transaction, string writerId, IReadOnlyList<RequestRecord> records)
    {
        var latest = new SortedDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var receipt = record.Receipt;
            if (!latest.TryGetValue(receipt.KeyId, out var at) || receipt.CreatedAt > at)
            {
                latest[receipt.KeyId] = receipt.CreatedAt;
            }
        }

        var command = statements.For(TouchKey, transaction, c =>
        {
            c.Bind("@key", null);
            c.Bind("@writer", null);
            c.Bind("@at", null);
        });
        foreach (var (key, at) in latest)
        {
            command.Parameters[0].Value = key;
            command.Parameters[1].Value = writerId;
            command.Parameters[2].Value = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
            command.ExecuteNonQuery();
        }
    }
}
