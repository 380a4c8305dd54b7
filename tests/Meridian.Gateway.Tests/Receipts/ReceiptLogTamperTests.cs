using System.Net;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Receipts;

/// <summary>
/// The audit (<see cref="ReceiptLogAuditor"/>, run by <c>meridian receipts audit</c>) against receipts changed at rest,
/// straight in the geography's store (the SQLite file, or the PostgreSQL schema under <c>MERIDIAN_TEST_STORE=postgres</c>)
/// as an operator could: a receipt rewritten with its leaf hash replaced to match, two leaves swapped, a receipt deleted
/// (its leaf with it: the leaf is in its row) and the later leaves renumbered. The rewritten receipt hashes to its stored
/// leaf; the audit fails each, naming the receipt and what happened, and passes again once the store is put back. The
/// boundary report, which checks stored receipts against their logs, counts the rewritten one as not the operator's.
/// </summary>
public sealed class ReceiptLogTamperTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private readonly HttpClient _client = gateway.CreateHttpClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Audit_detects_receipts_rewritten_reordered_or_removed_at_rest()
    {
        var signer = gateway.App.Services.GetRequiredService<ReceiptSigner>();
        var store = gateway.App.Services.GetRequiredService<GeographyStores>().For("us");
        var auditor = new ReceiptLogAuditor(_client, GatewayFixture.DemoKey, signer.PublicKey);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await SendMessageAsync());
        }

        var first = await auditor.AuditAsync(new ReceiptAuditState(), Ct);
        Assert.True(first.Passed, string.Join("; ", first.Failures));
        Assert.Equal(5, first.Receipts);
        ids.Add(await SendMessageAsync());
        var grown = await auditor.AuditAsync(first.State, Ct);
        Assert.True(grown.Passed, string.Join("; ", grown.Failures));
        Assert.Equal(6, grown.Receipts);
        var state = grown.State;

        Assert.Equal(0, BadReceipts(store, signer));

        // 1. Rewritten: more output tokens billed, its leaf hash replaced to match.
        var victim = (await store.FindAsync(ids[2], Ct))!;
        var rewritten = victim with { OutputTokens = victim.OutputTokens + 1000 };
        var originalLeaf = store.FindLeaf(victim.RequestId)!;
        Execute(store, "UPDATE receipts SET output_tokens = @tokens, leaf_hash = @hash WHERE request_id = @id",
            ("@tokens", rewritten.OutputTokens), ("@hash", ReceiptSigner.LeafHash(rewritten)), ("@id", victim.RequestId));
        Assert.Equal(ReceiptSigner.LeafHash((await store.FindAsync(victim.RequestId, Ct))!), store.FindLeaf(victim.RequestId)!.LeafHash);
        Assert.True(BadReceipts(store, signer) >= 1, "the rewritten receipt's log no longer folds to its signed head");
        var audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains(victim.RequestId, StringComparison.Ordinal) && f.Contains("inclusion proof does not lead to the signed root", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains($"{victim.RequestId} was rewritten", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains("is not an extension of its signed tree head", StringComparison.Ordinal));
        Assert.Same(state, audit.State);

        Execute(store, "UPDATE receipts SET output_tokens = @tokens, leaf_hash = @hash WHERE request_id = @id",
            ("@tokens", victim.OutputTokens), ("@hash", originalLeaf.LeafHash), ("@id", victim.RequestId));
        var restored = await auditor.AuditAsync(state, Ct);
        Assert.True(restored.Passed, string.Join("; ", restored.Failures));
        Assert.Equal(0, BadReceipts(store, signer));

        // 2. Reordered: two receipts' leaves swapped.
        var (x, y) = (store.FindLeaf(ids[0])!, store.FindLeaf(ids[3])!);
        SwapLeaves(store, x, y);
        audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains($"{ids[0]} moved from leaf {x.LeafIndex}", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains($"{ids[3]} moved from leaf {y.LeafIndex}", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains("inclusion proof does not lead to the signed root", StringComparison.Ordinal));
        SwapLeaves(store, store.FindLeaf(ids[0])!, store.FindLeaf(ids[3])!);
        Assert.True((await auditor.AuditAsync(state, Ct)).Passed);

        // 3. Removed: a receipt deleted (its leaf with it), the later leaves renumbered to close the gap, the heads left alone.
        var gone = store.FindLeaf(ids[1])!;
        Execute(store, "DELETE FROM receipts WHERE request_id = @id", ("@id", ids[1]));
        var later = Query(store, gone.LogId, gone.LeafIndex);
        foreach (var index in later)
        {
            Execute(store, "UPDATE receipts SET leaf_index = @to WHERE log_id = @log AND leaf_index = @from", ("@to", index - 1), ("@log", gone.LogId), ("@from", index));
        }

        audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains($"{ids[1]} (leaf {gone.LeafIndex} of log {gone.LogId}) was removed", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains(gone.LogId, StringComparison.Ordinal) && !f.StartsWith(ids[1], StringComparison.Ordinal));

        // Without the earlier state, a first audit still sees that the stored leaves no longer lead to the signed heads.
        var fresh = await auditor.AuditAsync(new ReceiptAuditState(), Ct);
        Assert.False(fresh.Passed);
    }

    /// <summary>How many of the test tenant's stored receipts the boundary report's check finds not the operator's (its <c>bad_signatures</c>).</summary>
    private long BadReceipts(ReceiptStore store, ReceiptSigner signer)
    {
        var check = new StoredReceiptCheck(signer);
        var bad = 0L;
        store.ForEachForTenant(GatewayFixture.TenantId, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), (receipt, leaf) => bad += check.Authentic(store, receipt, leaf) ? 0 : 1);
        return bad;
    }

    private static void SwapLeaves(ReceiptStore store, LogPosition x, LogPosition y)
    {
        Execute(store, "UPDATE receipts SET leaf_index = -1 WHERE log_id = @log AND leaf_index = @index", ("@log", x.LogId), ("@index", x.LeafIndex));
        Execute(store, "UPDATE receipts SET leaf_index = @to WHERE log_id = @log AND leaf_index = @index", ("@to", x.LeafIndex), ("@log", y.LogId), ("@index", y.LeafIndex));
        Execute(store, "UPDATE receipts SET leaf_index = @to WHERE log_id = @log AND leaf_index = -1", ("@to", y.LeafIndex), ("@log", x.LogId));
    }

    private static List<long> Query(ReceiptStore store, string logId, long after)
    {
        using var connection = store.Database.Open();
        return connection.Query(null, "SELECT leaf_index FROM receipts WHERE log_id = @log AND leaf_index > @after ORDER BY leaf_index", r => r.GetInt64(0), ("@log", logId), ("@after", after));
    }

    private static void Execute(ReceiptStore store, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = store.Database.Open();
        Assert.Equal(1, connection.Execute(null, sql, parameters));
    }

    private async Task<string> SendMessageAsync()
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", $$"""{"model":"{{GatewayFixture.DeploymentName}}","max_tokens":16,"messages":[{"role":"user","content":"audit me"}]}""");
        using var response = await _client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ApiAssert.RequestId(response);
    }
}
