using System.Net;
using System.Text.Json;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Receipts;

/// <summary>
/// The audit (<see cref="ReceiptLogAuditor"/>, run by <c>meridian receipts audit</c>) against receipts changed at rest,
/// straight in the geography's store (the SQLite file, or the PostgreSQL schema under <c>MERIDIAN_TEST_STORE=postgres</c>)
/// as an operator with the signing key could: a receipt rewritten and re-signed with its leaf hash replaced, two leaves
/// swapped, a receipt deleted with its leaf and the later leaves renumbered. Per-receipt signatures pass on all of
/// them; the audit fails each, naming the receipt and what happened, and passes again once the store is put back.
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

        // 1. Rewritten: more output tokens billed, re-signed with the operator's key, its leaf hash replaced to match.
        var victim = store.Find(ids[2])!;
        var rewritten = signer.Sign(victim with { OutputTokens = victim.OutputTokens + 1000, Signature = null });
        var originalLeaf = store.FindLeaf(victim.RequestId)!;
        Execute(store, "UPDATE receipts SET output_tokens = @tokens, signature = @signature WHERE request_id = @id",
            ("@tokens", rewritten.OutputTokens), ("@signature", SignatureColumn(rewritten)), ("@id", victim.RequestId));
        Execute(store, "UPDATE receipt_log_leaves SET leaf_hash = @hash WHERE request_id = @id", ("@hash", ReceiptSigner.LeafHash(rewritten)), ("@id", victim.RequestId));
        Assert.True(signer.Verifies(store.Find(victim.RequestId)!), "the rewritten receipt's own signature verifies: only the log can tell");
        var audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains(victim.RequestId, StringComparison.Ordinal) && f.Contains("inclusion proof does not lead to the signed root", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains($"{victim.RequestId} was rewritten", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains("is not an extension of its signed tree head", StringComparison.Ordinal));
        Assert.Same(state, audit.State);

        Execute(store, "UPDATE receipts SET output_tokens = @tokens, signature = @signature WHERE request_id = @id",
            ("@tokens", victim.OutputTokens), ("@signature", SignatureColumn(victim)), ("@id", victim.RequestId));
        Execute(store, "UPDATE receipt_log_leaves SET leaf_hash = @hash WHERE request_id = @id", ("@hash", originalLeaf.LeafHash), ("@id", victim.RequestId));
        var restored = await auditor.AuditAsync(state, Ct);
        Assert.True(restored.Passed, string.Join("; ", restored.Failures));

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

        // 3. Removed: a receipt deleted with its leaf, the later leaves renumbered to close the gap, the heads left alone.
        var gone = store.FindLeaf(ids[1])!;
        Execute(store, "DELETE FROM receipts WHERE request_id = @id", ("@id", ids[1]));
        Execute(store, "DELETE FROM receipt_log_leaves WHERE log_id = @log AND leaf_index = @index", ("@log", gone.LogId), ("@index", gone.LeafIndex));
        var later = Query(store, gone.LogId, gone.LeafIndex);
        foreach (var index in later)
        {
            Execute(store, "UPDATE receipt_log_leaves SET leaf_index = @to WHERE log_id = @log AND leaf_index = @from", ("@to", index - 1), ("@log", gone.LogId), ("@from", index));
        }

        audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains($"{ids[1]} (leaf {gone.LeafIndex} of log {gone.LogId}) was removed", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains(gone.LogId, StringComparison.Ordinal) && !f.StartsWith(ids[1], StringComparison.Ordinal));

        // Without the earlier state, a first audit still sees that the stored leaves no longer lead to the signed heads.
        var fresh = await auditor.AuditAsync(new ReceiptAuditState(), Ct);
        Assert.False(fresh.Passed);
    }

    private static string SignatureColumn(Core.Receipts.Receipt receipt) => JsonSerializer.Serialize(receipt.Signature!, ReceiptColumnsJson.Default.ReceiptSignature);

    private static void SwapLeaves(ReceiptStore store, LogPosition x, LogPosition y)
    {
        Execute(store, "UPDATE receipt_log_leaves SET leaf_index = -1 WHERE log_id = @log AND leaf_index = @index", ("@log", x.LogId), ("@index", x.LeafIndex));
        Execute(store, "UPDATE receipt_log_leaves SET leaf_index = @to WHERE log_id = @log AND leaf_index = @index", ("@to", x.LeafIndex), ("@log", y.LogId), ("@index", y.LeafIndex));
        Execute(store, "UPDATE receipt_log_leaves SET leaf_index = @to WHERE log_id = @log AND leaf_index = -1", ("@to", y.LeafIndex), ("@log", x.LogId));
    }

    private static List<long> Query(ReceiptStore store, string logId, long after)
    {
        using var connection = store.Database.Open();
        return connection.Query(null, "SELECT leaf_index FROM receipt_log_leaves WHERE log_id = @log AND leaf_index > @after ORDER BY leaf_index", r => r.GetInt64(0), ("@log", logId), ("@after", after));
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
