using System.Net;
using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.DataPlane;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Records;
using Meridian.Storage.Geography;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Receipts;

/// <summary>
/// The receipt log (docs/receipts.md, "The receipt log"): every committed receipt is a leaf of its node's log of its
/// geography, served with an inclusion proof under a signed tree head; heads are listed and provably consistent; a log
/// survives its writer's restart, and nodes sharing one store keep separate logs. On SQLite and on PostgreSQL.
/// </summary>
public sealed class ReceiptLogTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private readonly HttpClient _client = gateway.CreateHttpClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReceiptSigner Signer => gateway.App.Services.GetRequiredService<ReceiptSigner>();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_served_receipt_carries_its_leaf_a_signed_tree_head_and_an_inclusion_proof_that_verify()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await SendMessageAsync());
        }

        foreach (var id in ids)
        {
            using var receipt = await GetJsonAsync($"v1/receipts/{id}");
            var r = receipt.RootElement;
            Assert.Equal(JsonValueKind.Null, r.GetProperty("signature").ValueKind);
            Assert.True(ReceiptVerifier.Verify(r, Signer.PublicKey).Valid, "a receipt is authenticated by its leaf under the signed tree head");
            var check = ReceiptLogVerifier.Check(r, Signer.PublicKey);
            Assert.Null(check.Failure);
            var view = Assert.IsType<ReceiptLogView>(check.View);
            Assert.Equal(gateway.App.Services.GetRequiredService<RecordWriter>().LogIdFor("us"), view.LogId);
            Assert.Equal("us", view.TreeHead.Geography);

            // The same receipt, proved against a later head of its log.
            using var latest = await GetJsonAsync("v1/receipt-logs");
            var head = latest.RootElement.GetProperty("data").EnumerateArray().Single(h => h.GetProperty("log_id").GetString() == view.LogId);
            using var later = await GetJsonAsync($"v1/receipts/{id}?tree_size={head.GetProperty("tree_size").GetInt64()}");
            Assert.Null(ReceiptLogVerifier.Check(later.RootElement, Signer.PublicKey).Failure);
        }
    }

    [Fact]
    public async Task An_altered_receipt_or_proof_fails_the_log_check()
    {
        var id = await SendMessageAsync();
        using var receipt = await GetJsonAsync($"v1/receipts/{id}");
        var text = receipt.RootElement.GetRawText();

        var edited = JsonDocument.Parse(text.Replace("\"status\":200", "\"status\":201", StringComparison.Ordinal)).RootElement;
        Assert.Contains("does not hash to its leaf", ReceiptLogVerifier.Check(edited, Signer.PublicKey).Failure, StringComparison.Ordinal);

        var node = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        node["log"]!["leaf_index"] = node["log"]!["leaf_index"]!.GetValue<long>() + 1;
        Assert.NotNull(ReceiptLogVerifier.Check(JsonDocument.Parse(node.ToJsonString()).RootElement, Signer.PublicKey).Failure);

        node = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        node["log"]!["tree_head"]!["tree_size"] = node["log"]!["tree_head"]!["tree_size"]!.GetValue<long>() + 1;
        Assert.Contains("signature of tree head", ReceiptLogVerifier.Check(JsonDocument.Parse(node.ToJsonString()).RootElement, Signer.PublicKey).Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tree_heads_are_listed_and_any_two_are_provably_consistent()
    {
        await SendMessageAsync();
        await SendMessageAsync();
        var logId = gateway.App.Services.GetRequiredService<RecordWriter>().LogIdFor("us");
        using var page = await GetJsonAsync($"v1/receipt-logs/{logId}/tree-heads?limit=1000");
        var heads = page.RootElement.Deserialize(ReceiptLogJsonContext.Default.TreeHeadPage)!.Data;
        Assert.True(heads.Count >= 2, "one head per batch");
        Assert.All(heads, h => Assert.Null(TreeHeadSigning.Verify(h, Signer.PublicKey)));
        Assert.Equal(heads.Select(h => h.TreeSize).Order(), heads.Select(h => h.TreeSize));

        foreach (var (first, second) in new[] { (heads[0], heads[^1]), (heads[0], heads[1]), (heads[^2], heads[^1]) })
        {
            using var proof = await GetJsonAsync($"v1/receipt-logs/{logId}/consistency?first={first.TreeSize}&second={second.TreeSize}");
            var hashes = proof.RootElement.GetProperty("proof").EnumerateArray().Select(p => Convert.FromBase64String(p.GetString()!)).ToList();
            Assert.True(MerkleTree.VerifyConsistency(
                first.TreeSize, second.TreeSize, Convert.FromBase64String(first.RootHash), Convert.FromBase64String(second.RootHash), hashes));
        }

        using var missing = await GetAsync("v1/receipt-logs/rl_0000000000000000/consistency?first=0&second=1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var tooBig = await GetAsync($"v1/receipt-logs/{logId}/consistency?first=1&second={heads[^1].TreeSize + 1000}");
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        using var anonymous = await _client.GetAsync("v1/receipt-logs", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public void A_log_resumes_after_its_writer_restarts_and_nodes_sharing_a_store_keep_their_own_logs()
    {
        var store = gateway.App.Services.GetRequiredService<GeographyStores>().For("us");
        var (idA, idB) = (ReceiptLogId.Of(Signer.PublicKey, "us", "node-a"), ReceiptLogId.Of(Signer.PublicKey, "us", "node-b"));
        var a = Append(store, new ReceiptLogWriter(idA, "us", Signer, TimeProvider.System), 3);
        var b = Append(store, new ReceiptLogWriter(idB, "us", Signer, TimeProvider.System), 2);
        // A restart: a new writer of the same log, which must resume from the stored head, not start over.
        var restarted = new ReceiptLogWriter(idA, "us", Signer, TimeProvider.System);
        var aAgain = Append(store, restarted, 4);

        Assert.NotEqual(idA, idB);
        Assert.Equal((3L, 2L, 7L), (a.TreeSize, b.TreeSize, aAgain.TreeSize));
        foreach (var head in new[] { a, b, aAgain })
        {
            Assert.Null(TreeHeadSigning.Verify(TreeHeadView.Of(head, "us"), Signer.PublicKey));
            Assert.Equal(head.RootHash, MerkleTree.Root(store.LeafSource(head.LogId, head.TreeSize), 0, head.TreeSize));
        }

        var proof = MerkleTree.ConsistencyProof(store.LeafSource(idA, aAgain.TreeSize), a.TreeSize, aAgain.TreeSize);
        Assert.True(MerkleTree.VerifyConsistency(a.TreeSize, aAgain.TreeSize, a.RootHash, aAgain.RootHash, proof), "the restarted writer extended its log");

        // A batch whose commit landed but whose writer saw a failure (a connection lost at commit) is not appended twice.
        var receipt = Receipt();
        using (var batch = store.OpenBatchWriter())
        {
            batch.InsertBatch([new RequestRecord(receipt, null, null)], restarted.Prepare(store, [receipt]));
        }

        restarted.Failed();
        Assert.Null(restarted.Prepare(store, [receipt]));
        restarted.Committed();
        Assert.Equal(9, Append(store, restarted, 1).TreeSize);

        // Another writer that takes an index already taken (two nodes given one name) fails its batch instead of forking the log.
        var stale = new ReceiptLogWriter(idB, "us", Signer, TimeProvider.System);
        var twin = new ReceiptLogWriter(idB, "us", Signer, TimeProvider.System);
        var first = Receipt();
        var second = Receipt();
        var firstAppend = stale.Prepare(store, [first]);
        var secondAppend = twin.Prepare(store, [second]);
        using (var batch = store.OpenBatchWriter())
        {
            batch.InsertBatch([new RequestRecord(first, null, null)], firstAppend);
        }

        using (var batch = store.OpenBatchWriter())
        {
            Assert.ThrowsAny<System.Data.Common.DbException>(() => batch.InsertBatch([new RequestRecord(second, null, null)], secondAppend));
        }

        twin.Failed();
        Assert.Equal(4, Append(store, twin, 1).TreeSize);
    }

    [Fact]
    public async Task The_record_writer_appends_each_batch_and_a_restarted_writer_continues_its_log()
    {
        var stores = gateway.App.Services.GetRequiredService<GeographyStores>();
        var node = new NodeIdentity("restarting-node");
        var before = await RunWriterAsync(stores, node, 2);
        var after = await RunWriterAsync(stores, node, 3);

        Assert.Equal(before.LogId, after.LogId);
        Assert.Equal((2L, 5L), (before.TreeSize, after.TreeSize));
        var store = stores.For("us");
        var proof = MerkleTree.ConsistencyProof(store.LeafSource(after.LogId, after.TreeSize), before.TreeSize, after.TreeSize);
        Assert.True(MerkleTree.VerifyConsistency(before.TreeSize, after.TreeSize, before.RootHash, after.RootHash, proof));
    }

    [Fact]
    public async Task The_log_is_served_as_a_checkpoint_and_hash_tiles_that_hash_to_its_signed_tree_head()
    {
        var store = gateway.App.Services.GetRequiredService<GeographyStores>().For("us");
        var logId = ReceiptLogId.Of(Signer.PublicKey, "us", "tiles-" + Guid.NewGuid().ToString("N"));
        var log = new ReceiptLogWriter(logId, "us", Signer, TimeProvider.System);
        // 549 leaves: two full level-0 tiles and a partial one of 37; a partial level-1 tile of 2.
        var receipts = Enumerable.Range(0, 549).Select(_ => Receipt()).ToList();
        using (var batch = store.OpenBatchWriter())
        {
            foreach (var chunk in receipts.Chunk(200))
            {
                batch.InsertBatch([.. chunk.Select(r => new RequestRecord(r, null, null))], log.Prepare(store, chunk));
                log.Committed();
            }
        }

        var head = store.LatestTreeHead(logId)!;
        Assert.Null(TreeHeadSigning.Verify(TreeHeadView.Of(head, "us"), Signer.PublicKey));

        // The checkpoint: origin, size and root of the signed tree head, in a note signed by the receipt key.
        using var checkpointResponse = await GetAsync($"v1/receipt-logs/{logId}/checkpoint");
        var checkpoint = await checkpointResponse.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, checkpointResponse.StatusCode);
        var (text, signatureLine) = (checkpoint[..(checkpoint.IndexOf("\n\n", StringComparison.Ordinal) + 1)], checkpoint[(checkpoint.IndexOf("\n\n", StringComparison.Ordinal) + 2)..]);
        Assert.Equal($"meridian.receipt-log/{logId}\n549\n{Convert.ToBase64String(head.RootHash)}\n", text);
        var name = $"meridian.receipt-log/{logId}";
        Assert.StartsWith($"\u2014 {name} ", signatureLine, StringComparison.Ordinal);
        var signed = Convert.FromBase64String(signatureLine[($"\u2014 {name} ".Length)..].TrimEnd('\n'));
        Assert.Equal(ReceiptLogTiles.KeyHash(name, Signer.PublicKey), signed[..4]);
        var publicKey = NSec.Cryptography.PublicKey.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519, Signer.PublicKey, NSec.Cryptography.KeyBlobFormat.RawPublicKey);
        Assert.True(NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(publicKey, System.Text.Encoding.UTF8.GetBytes(text), signed[4..]), "the note's signature verifies with the receipt key");

        // Level 0: the leaf hashes, in order, in two full tiles and a partial one.
        var leaves = new List<byte[]>();
        foreach (var path in new[] { "0/000", "0/001", "0/002.p/37" })
        {
            leaves.AddRange((await GetTileAsync(logId, path)).Chunk(32));
        }

        Assert.Equal(receipts.Select(ReceiptSigner.LeafHash), leaves);
        Assert.Equal(head.RootHash, MerkleTree.Root(leaves));

        // Level 1 holds the roots of whole 256-leaf subtrees: with the partial level-0 tile they give the head's root,
        // as a tile client computes it.
        var level1 = (await GetTileAsync(logId, "1/000.p/2")).Chunk(32).ToList();
        Assert.Equal(new[] { MerkleTree.Root(leaves[..256]), MerkleTree.Root(leaves[256..512]) }, level1);
        Assert.Equal(head.RootHash, MerkleTree.HashChildren(MerkleTree.HashChildren(level1[0], level1[1]), MerkleTree.Root(leaves[512..])));

        // Tiles the signed tree does not have yet, entry bundles and misspelt paths are refused.
        foreach (var (path, status) in new[]
        {
            ("0/002", HttpStatusCode.NotFound), ("0/002.p/38", HttpStatusCode.NotFound), ("1/000", HttpStatusCode.NotFound),
            ("entries/000", HttpStatusCode.NotFound), ("0/2", HttpStatusCode.BadRequest), ("0/x000/002", HttpStatusCode.BadRequest),
            ("0/000.p/0", HttpStatusCode.BadRequest), ("9/000", HttpStatusCode.BadRequest),
        })
        {
            using var response = await GetAsync($"v1/receipt-logs/{logId}/tile/{path}");
            Assert.True(response.StatusCode == status, $"tile/{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public void Tile_paths_follow_the_tlog_tiles_encoding()
    {
        Assert.Equal("0/x001/x234/067", ReceiptLogTiles.TilePath(0, 1234067, 256));
        Assert.Equal("1/005.p/7", ReceiptLogTiles.TilePath(1, 5, 7));
        Assert.True(ReceiptLogTiles.TryParseTilePath("2/x001/234.p/255", out var level, out var index, out var width));
        Assert.Equal((2, 1234L, 255), (level, index, width));
        Assert.False(ReceiptLogTiles.TryParseTilePath("0/1234", out _, out _, out _));
    }

    private async Task<byte[]> GetTileAsync(string logId, string path)
    {
        using var response = await GetAsync($"v1/receipt-logs/{logId}/tile/{path}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"tile/{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.Content.ReadAsByteArrayAsync(Ct);
    }

    /// <summary>Starts a record writer as <paramref name="node"/>, writes <paramref name="count"/> records durably, stops it; its log's latest head.</summary>
    private async Task<StoredTreeHead> RunWriterAsync(GeographyStores stores, NodeIdentity node, int count)
    {
        var writer = new RecordWriter(stores, Signer, Microsoft.Extensions.Logging.Abstractions.NullLogger<RecordWriter>.Instance, node: node);
        await writer.StartAsync(Ct);
        for (var i = 0; i < count; i++)
        {
            var receipt = Receipt();
            await writer.WriteDurablyAsync(new RequestRecord(receipt, null, null), Ct);
            Assert.NotNull(stores.For("us").FindLeaf(receipt.RequestId));
        }

        await writer.StopAsync(Ct);
        return stores.For("us").LatestTreeHead(writer.LogIdFor("us"))!;
    }

    /// <summary>Commits <paramref name="count"/> receipts, one batch each, as the record writer's lane does.</summary>
    private StoredTreeHead Append(ReceiptStore store, ReceiptLogWriter log, int count)
    {
        using var batch = store.OpenBatchWriter();
        for (var i = 0; i < count; i++)
        {
            var receipt = Receipt();
            batch.InsertBatch([new RequestRecord(receipt, null, null)], log.Prepare(store, [receipt]));
            log.Committed();
        }

        return store.LatestTreeHead(log.LogId)!;
    }

    private static Receipt Receipt() => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        CreatedAt = DateTimeOffset.UtcNow,
        TenantId = GatewayFixture.TenantId,
        KeyId = "key_log",
        IngressRegion = "eastus",
        StorageGeography = "us",
        Endpoint = "messages",
        Status = 200,
    };

    private async Task<string> SendMessageAsync()
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", $$"""{"model":"{{GatewayFixture.DeploymentName}}","max_tokens":16,"messages":[{"role":"user","content":"log me"}]}""");
        using var response = await _client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ApiAssert.RequestId(response);
    }

    private async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        return await _client.SendAsync(request, Ct);
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        using var response = await GetAsync(path);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }
}
