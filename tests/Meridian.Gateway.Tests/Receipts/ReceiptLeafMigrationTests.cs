using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Tests.Receipts;

/// <summary>
/// The migration that moves each receipt's leaf from its own row into the receipt's row: a store written before it
/// keeps every leaf where the log had it, keeps the signatures of receipts from before the log, and both stay the
/// operator's by the boundary report's check; the log goes on from its stored head. On this run's engine.
/// </summary>
public sealed class ReceiptLeafMigrationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-leaf-migration", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    [Fact]
    public async Task A_store_from_before_keeps_its_leaves_and_old_signatures_and_its_log_goes_on()
    {
        Directory.CreateDirectory(_directory);
        using var signer = new ReceiptSigner(Enumerable.Repeat((byte)3, 32).ToArray());
        var database = TestStores.Settings(_directory).OpenGeography("us");
        // The schema just before the leaf-columns migration (the one that drops the leaf table); later migrations are
        // applied along with it.
        var before = ReceiptStore.SchemaMigrations.ToList().FindIndex(m => m.Contains("DROP TABLE receipt_log_leaves", StringComparison.Ordinal));
        database.Migrate([.. ReceiptStore.SchemaMigrations.Take(before)], oldestCompatible: 1);

        // As the previous schema held them: a receipt signed on its own (before the log), and a logged one with its leaf
        // in receipt_log_leaves under a signed head of size 1.
        var old = LegacyReceipts.Sign(signer, Receipt("req_old"));
        var logged = Receipt("req_logged");
        var logId = ReceiptLogId.Of(signer.PublicKey, "us", "node-a");
        var leaf = ReceiptSigner.LeafHash(logged);
        var root = MerkleTree.Root([leaf]);
        using (var connection = database.Open())
        {
            foreach (var receipt in new[] { old, logged })
            {
                connection.Execute(null, """
                    INSERT INTO receipts (request_id, created_at, tenant_id, key_id, ingress_region, storage_geography, endpoint, streamed, status,
                                          safeguard_verdict, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, duration_ms, signature)
                    VALUES (@id, @at, @tenant, 'key_1', 'eastus', 'us', 'messages', 0, 200, 'not_screened', 0, 0, 0, 0, 0, @signature)
                    """,
                    ("@id", receipt.RequestId), ("@at", receipt.CreatedAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
                    ("@tenant", receipt.TenantId),
                    ("@signature", receipt.Signature is null ? null : JsonSerializer.Serialize(receipt.Signature, ReceiptColumnsJson.Default.ReceiptSignature)));
            }

            connection.Execute(null, "INSERT INTO receipt_log_leaves (log_id, leaf_index, leaf_hash, request_id) VALUES (@log, 0, @hash, @id)",
                ("@log", logId), ("@hash", leaf), ("@id", logged.RequestId));
            connection.Execute(null, """
                INSERT INTO receipt_log_heads (log_id, tree_size, root_hash, timestamp_ms, key_id, signature, frontier)
                VALUES (@log, 1, @root, 1765000000000, @key, @signature, @root)
                """,
                ("@log", logId), ("@root", root), ("@key", signer.KeyId), ("@signature", signer.SignData(TreeHeadSigning.SignedBytes(logId, "us", 1, root, 1765000000000))));
        }

        var store = new ReceiptStore("us", TestStores.Settings(_directory).OpenGeography("us"));

        Assert.Equal(ReceiptStore.SchemaMigrations.Count - before, store.MigrationsApplied);
        var position = store.FindLeaf(logged.RequestId);
        Assert.Equal((logId, 0L), (position?.LogId, position?.LeafIndex));
        Assert.Equal(leaf, position!.LeafHash);
        Assert.Null(store.FindLeaf(old.RequestId));
        Assert.Equal(old, await store.FindAsync(old.RequestId, TestContext.Current.CancellationToken));
        Assert.True(signer.Verifies((await store.FindAsync(old.RequestId, TestContext.Current.CancellationToken))!), "a receipt from before the log keeps its own signature");
        var check = new StoredReceiptCheck(signer);
        var seen = new List<string>();
        store.ForEachForTenant("ten_demo", DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, (receipt, at) =>
        {
            Assert.True(check.Authentic(store, receipt, at), $"{receipt.RequestId} is the operator's after the migration");
            seen.Add(receipt.RequestId);
        });
        Assert.Equal(["req_logged", "req_old"], seen.Order());

        // The log resumes from its stored head and its next leaf goes into the next receipt's row.
        var writer = new ReceiptLogWriter(logId, "us", signer, TimeProvider.System);
        var next = Receipt("req_next");
        using (var batch = store.OpenBatchWriter())
        {
            batch.InsertBatch([new RequestRecord(next, null, null)], writer.Prepare(store, [next]));
        }

        writer.Committed();
        Assert.Equal(1, store.FindLeaf(next.RequestId)?.LeafIndex);
        Assert.Equal(MerkleTree.Root([leaf, ReceiptSigner.LeafHash(next)]), store.LatestTreeHead(logId)!.RootHash);
    }

    private static Receipt Receipt(string id) => new()
    {
        RequestId = id,
        CreatedAt = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero),
        TenantId = "ten_demo",
        KeyId = "key_1",
        IngressRegion = "eastus",
        StorageGeography = "us",
        Endpoint = "messages",
        Status = 200,
        SafeguardVerdict = "not_screened",
    };
}
