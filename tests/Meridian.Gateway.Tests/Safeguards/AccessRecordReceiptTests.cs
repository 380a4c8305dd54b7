using System.Net;
using System.Text.Json;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Issue 16 item 2 and issue 19: every access to a request's case is an access record on the request's receipt, a leaf of
/// the node's receipt log under a signed tree head; the receipt lists everyone who received the content, the reviewer's
/// organisation included; and an access record deleted, edited or reordered at rest fails <c>receipts audit</c>, naming
/// it, on either store (<c>MERIDIAN_TEST_STORE=postgres</c> runs these on PostgreSQL).
/// </summary>
public sealed class AccessRecordReceiptTests : IAsyncLifetime
{
    private const string ReviewerName = "Ada Reviewer";

    private readonly SafeguardsServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_reviewer_opening_a_case_makes_the_publisher_a_content_recipient_on_the_receipt_with_a_verified_proof()
    {
        var found = await _server.FlaggedCaseAsync();
        var (reviewer, reviewerActor) = await ReviewerAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "checking the remark", reason_code = "triage" }, reviewer);

        var (receipt, text) = await ReceiptAsync(found.RequestId);

        // Before: the publisher got usage, transaction and contact data only. Now the receipt says the publisher's reviewer read it.
        var recipients = receipt.GetProperty("content_recipients").EnumerateArray().ToList();
        var opened = Assert.Single(recipients, r => r.GetProperty("via").GetString() == "case_open");
        Assert.Equal("pub_anthropic", opened.GetProperty("party").GetString());
        Assert.Equal(["reviewer"], opened.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var open = Assert.Single(receipt.GetProperty("access").EnumerateArray(), r => r.GetProperty("event").GetString() == "open");
        Assert.Equal(found.RequestId, open.GetProperty("request_id").GetString());
        Assert.True(open.GetProperty("content").GetBoolean());
        Assert.Equal("triage", open.GetProperty("reason_code").GetString());
        // The tenant learns whose people and in which role, never the person: the record commits to the reviewer's id and
        // name with a salt only the operator and reviewers are served, and proves who it was with it.
        var actor = open.GetProperty("actor");
        Assert.Equal(("reviewer", "pub_anthropic"), (actor.GetProperty("role").GetString(), actor.GetProperty("organisation").GetString()));
        Assert.False(actor.TryGetProperty("id", out _));
        Assert.DoesNotContain(ReviewerName, text, StringComparison.Ordinal);
        Assert.DoesNotContain(reviewerActor, text, StringComparison.Ordinal);
        var logged = Assert.Single((await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}/access")).GetProperty("data").EnumerateArray(),
            e => e.GetProperty("event").GetString() == "open");
        Assert.Equal(ReviewerName, logged.GetProperty("actor_name").GetString());
        Assert.Equal(actor.GetProperty("commitment").GetString(),
            AccessRecords.ActorCommitment(logged.GetProperty("actor_salt").GetString()!, reviewerActor, ReviewerName));
        Assert.NotEqual(actor.GetProperty("commitment").GetString(), AccessRecords.ActorCommitment(logged.GetProperty("actor_salt").GetString()!, "token:tok_someone_else", ReviewerName));
        Assert.Equal(open.GetProperty("seq").GetInt64(), opened.GetProperty("records").EnumerateArray().Single().GetInt64());
        Assert.DoesNotContain("checking the remark", text, StringComparison.Ordinal);

        // The record is a leaf of this node's log, under a head signed with the published key, like the receipt.
        var check = ReceiptVerifier.Verify(receipt, PublicKey);
        Assert.True(check.Valid, check.Reason);
        var verified = Assert.Single(check.Access, a => a.Event == "open");
        Assert.True(verified.InLog);
        Assert.Equal(check.Log!.LogId, verified.Log!.LogId);
        Assert.NotEqual(check.Log.LeafIndex, verified.Log.LeafIndex);

        // The boundary report counts it against the deployment, its record checked against the log.
        var deployment = Assert.Single((await BoundaryReportAsync()).GetProperty("deployments").EnumerateArray(), d => d.GetProperty("content_opened").GetInt64() > 0);
        Assert.Equal(1, deployment.GetProperty("content_opened").GetInt64());
        var opener = Assert.Single(deployment.GetProperty("content_opened_by").EnumerateArray());
        Assert.Equal(("pub_anthropic", 1L), (opener.GetProperty("party").GetString(), opener.GetProperty("requests").GetInt64()));
        Assert.Equal(0, deployment.GetProperty("bad_access_records").GetInt64());
        Assert.Equal(0, deployment.GetProperty("violations").GetInt64());
    }

    [Fact]
    public async Task The_access_log_and_the_receipts_agree_entry_for_record()
    {
        var cases = new[] { await _server.FlaggedCaseAsync("one"), await _server.FlaggedCaseAsync("two") };
        var (reviewer, _) = await ReviewerAsync();
        await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases", token: reviewer);
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{cases[0].Id}/open", new { reason = "first look" }, reviewer);
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{cases[0].Id}/open", new { reason = "second look", reason_code = "appeal" });
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{cases[1].Id}/decision", new { decision = "no_violation", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);
        await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{cases[1].Id}/access");

        var log = _server.Stores.For("us").Cases.AccessLog();
        Assert.True(log.Count >= 6);
        var onReceipts = new List<(string RequestId, long Seq, string Event)>();
        foreach (var c in cases)
        {
            var (receipt, _) = await ReceiptAsync(c.RequestId);
            var check = ReceiptVerifier.Verify(receipt, PublicKey);
            Assert.True(check.Valid, check.Reason);
            Assert.All(check.Access, a => Assert.True(a.InLog, $"record {a.Seq} is not in its log"));
            onReceipts.AddRange(receipt.GetProperty("access").EnumerateArray().Select(r =>
                (r.GetProperty("request_id").GetString()!, r.GetProperty("seq").GetInt64(), r.GetProperty("event").GetString()!)));
        }

        // Exactly one record on its request's receipt for every entry of the access log, and no record that is not an entry.
        var requestOf = cases.ToDictionary(c => c.Id, c => c.RequestId);
        Assert.Equal(
            log.Select(e => (requestOf[e.CaseId], e.Seq, e.Event)).Order(),
            onReceipts.Order());
        // The content recipients by case open are exactly the organisations of the log's opens.
        var (first, _) = await ReceiptAsync(cases[0].RequestId);
        Assert.Equal(["operator", "pub_anthropic"], first.GetProperty("content_recipients").EnumerateArray()
            .Where(r => r.GetProperty("via").GetString() == "case_open").Select(r => r.GetProperty("party").GetString()!).Order());
        var (second, _) = await ReceiptAsync(cases[1].RequestId);
        Assert.DoesNotContain(second.GetProperty("content_recipients").EnumerateArray(), r => r.GetProperty("via").GetString() == "case_open");
    }

    [Fact]
    public async Task Audit_fails_naming_an_access_record_deleted_edited_or_reordered_at_rest_and_passes_once_repaired()
    {
        var found = await _server.FlaggedCaseAsync();
        var (reviewer, _) = await ReviewerAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "look" }, reviewer);
        await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}", token: reviewer);
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "warn_tenant", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);
        var store = _server.Stores.For("us");
        var entries = store.Cases.AccessLog(found.Id);
        Assert.Equal(["open", "view", "decision"], entries.Select(e => e.Event));
        var (open, view, decision) = (entries[0], entries[1], entries[2]);
        var auditor = new ReceiptLogAuditor(_server.Http, SafeguardsServer.DemoKey, PublicKey);
        var first = await auditor.AuditAsync(new ReceiptAuditState(), Ct);
        Assert.True(first.Passed, string.Join("; ", first.Failures));
        Assert.Equal(3, first.AccessRecords);
        var state = first.State;
        var request = found.RequestId;

        // 1. Edited: the open's reason code changed in place.
        Execute(store, "UPDATE ts_access_log SET reason_code = 'quality_audit' WHERE seq = @seq", ("@seq", open.Seq));
        var audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains($"access record {open.Seq} (open by pub_anthropic): it does not hash to its leaf", StringComparison.Ordinal));
        var counted = Assert.Single((await BoundaryReportAsync()).GetProperty("deployments").EnumerateArray(), d => d.GetProperty("content_opened").GetInt64() > 0);
        Assert.Equal((1L, 1L), (counted.GetProperty("bad_access_records").GetInt64(), counted.GetProperty("violations").GetInt64()));
        Execute(store, "UPDATE ts_access_log SET reason_code = @code WHERE seq = @seq", ("@code", open.ReasonCode), ("@seq", open.Seq));
        Assert.True((await auditor.AuditAsync(state, Ct)).Passed);

        // 2. Edited with its leaf hash replaced to match: the log no longer folds to its signed root, and the audit saw the old hash.
        var edited = open with { ReasonCode = "quality_audit" };
        Execute(store, "UPDATE ts_access_log SET reason_code = 'quality_audit', leaf_hash = @hash WHERE seq = @seq", ("@hash", AccessRecords.LeafHash(edited)), ("@seq", open.Seq));
        audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains($"access record {open.Seq} of {request} was rewritten", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains("inclusion proof does not lead to the signed root", StringComparison.Ordinal));
        Execute(store, "UPDATE ts_access_log SET reason_code = @code, leaf_hash = @hash WHERE seq = @seq", ("@code", open.ReasonCode), ("@hash", open.Leaf!.LeafHash), ("@seq", open.Seq));
        Assert.True((await auditor.AuditAsync(state, Ct)).Passed);

        // 3. Reordered: the view and the decision swap places in the log.
        SwapLeaves(store, view.Seq, decision.Seq);
        audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains($"access record {view.Seq} of {request} moved from leaf {view.Leaf!.LeafIndex}", StringComparison.Ordinal));
        Assert.Contains(audit.Failures, f => f.Contains($"access record {decision.Seq} of {request} moved from leaf {decision.Leaf!.LeafIndex}", StringComparison.Ordinal));
        SwapLeaves(store, view.Seq, decision.Seq);
        Assert.True((await auditor.AuditAsync(state, Ct)).Passed);

        // 4. Deleted: the open's record removed (its leaf with it).
        var row = ReadRow(store, open.Seq);
        Execute(store, "DELETE FROM ts_access_log WHERE seq = @seq", ("@seq", open.Seq));
        audit = await auditor.AuditAsync(state, Ct);
        Assert.False(audit.Passed);
        Assert.Contains(audit.Failures, f => f.Contains($"access record {open.Seq} of {request} (leaf {open.Leaf!.LeafIndex} of log {open.Leaf.LogId}) was removed", StringComparison.Ordinal));
        // Without the earlier state, a first audit still sees that the stored leaves no longer lead to the signed heads.
        Assert.False((await auditor.AuditAsync(new ReceiptAuditState(), Ct)).Passed);

        InsertRow(store, row);
        var repaired = await auditor.AuditAsync(state, Ct);
        Assert.True(repaired.Passed, string.Join("; ", repaired.Failures));
        Assert.True(store.Cases.VerifyAccessLog().Valid);
    }

    private Task<JsonElement> BoundaryReportAsync() => _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/tenants/ten_demo/boundary-report");

    private byte[] PublicKey => _server.Services.GetRequiredService<ReceiptSigner>().PublicKey;

    private async Task<(string Token, string Actor)> ReviewerAsync()
    {
        var issued = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/tokens",
            new { role = "reviewer", name = ReviewerName, publisher_id = "pub_anthropic", geographies = new[] { "us" } });
        return (issued.GetProperty("token").GetString()!, "token:" + issued.GetProperty("id").GetString());
    }

    private async Task<(JsonElement Receipt, string Text)> ReceiptAsync(string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", SafeguardsServer.DemoKey);
        using var response = await _server.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var document = JsonDocument.Parse(text);
        return (document.RootElement.Clone(), text);
    }

    private static void SwapLeaves(ReceiptStore store, long x, long y)
    {
        using var connection = store.Database.Open();
        var index = (long seq) => connection.Scalar(null, "SELECT leaf_index FROM ts_access_log WHERE seq = @seq", ("@seq", seq));
        var (ix, iy) = (index(x), index(y));
        Assert.Equal(1, connection.Execute(null, "UPDATE ts_access_log SET leaf_index = -1 WHERE seq = @seq", ("@seq", x)));
        Assert.Equal(1, connection.Execute(null, "UPDATE ts_access_log SET leaf_index = @to WHERE seq = @seq", ("@to", ix), ("@seq", y)));
        Assert.Equal(1, connection.Execute(null, "UPDATE ts_access_log SET leaf_index = @to WHERE seq = @seq", ("@to", iy), ("@seq", x)));
    }

    private static List<(string Column, object? Value)> ReadRow(ReceiptStore store, long seq)
    {
        using var connection = store.Database.Open();
        return connection.QuerySingle(null, "SELECT * FROM ts_access_log WHERE seq = @seq", r =>
            Enumerable.Range(0, r.FieldCount).Select(i => (r.GetName(i), r.IsDBNull(i) ? null : r.GetValue(i))).ToList(), ("@seq", seq))!;
    }

    private static void InsertRow(ReceiptStore store, List<(string Column, object? Value)> row)
    {
        var present = row.Where(c => c.Value is not null).ToList();
        Execute(store, $"INSERT INTO ts_access_log ({string.Join(", ", present.Select(c => c.Column))}) VALUES ({string.Join(", ", present.Select((_, i) => "@p" + i))})",
            [.. present.Select((c, i) => ("@p" + i, c.Value))]);
    }

    private static void Execute(ReceiptStore store, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = store.Database.Open();
        Assert.Equal(1, connection.Execute(null, sql, parameters));
    }
}
