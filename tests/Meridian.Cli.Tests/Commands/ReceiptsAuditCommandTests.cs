using System.Text.Json.Nodes;

namespace Meridian.Cli.Tests.Commands;

/// <summary>
/// <c>meridian receipts verify</c> checking a receipt's inclusion proof, and <c>meridian receipts audit</c> keeping the
/// tree heads it saw and failing when the log it is shown is not an extension of them. (Tampering with the store itself
/// is tested on both engines in Meridian.Gateway.Tests, ReceiptLogTamperTests.)
/// </summary>
public sealed class ReceiptsAuditCommandTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Verify_checks_the_inclusion_proof_and_rejects_a_moved_leaf()
    {
        using var http = gateway.CreateHttpClient();
        var requestId = await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5");
        var receipt = await DataPlane.GetReceiptAsync(http, CliGatewayFixture.DemoKey, requestId);

        var ok = (await gateway.Cli.RunWithInputAsync(receipt.GetRawText(), "receipts", "verify", "-")).ShouldSucceed();
        Assert.Matches($@"OK      {requestId}: genuine and unaltered .*; leaf \d+ of log rl_[0-9a-f]{{16}}, included in its signed tree head of size \d+", ok.Out);

        var moved = JsonNode.Parse(receipt.GetRawText())!.AsObject();
        moved["log"]!["leaf_index"] = moved["log"]!["leaf_index"]!.GetValue<long>() + 1;
        var bad = (await gateway.Cli.RunWithInputAsync(moved.ToJsonString(), "receipts", "verify", "-")).ShouldFail();
        Assert.Contains($"FAILED  {requestId}:", bad.Out);
        Assert.Contains("1 of 1 receipt(s) failed verification.", bad.Error);
    }

    [Fact]
    public async Task Verify_checks_a_downloaded_list_page_receipt_by_receipt_with_the_proofs_it_carries()
    {
        using var http = gateway.CreateHttpClient();
        string[] sent =
        [
            await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5"),
            await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5"),
            await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5"),
        ];
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?limit=1000");
        request.Headers.Add("x-api-key", CliGatewayFixture.DemoKey);
        using var response = await http.SendAsync(request, Ct);
        var page = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, page);

        // Every receipt of the page carries its leaf, a signed tree head and the inclusion proof: no fetch per receipt.
        var data = JsonNode.Parse(page)!["data"]!.AsArray();
        Assert.All(sent, id => Assert.Contains(data, r => r!["request_id"]!.GetValue<string>() == id));
        Assert.All(data, r => Assert.NotNull(r!["log"]?["inclusion_proof"]));
        var ok = (await gateway.Cli.RunWithInputAsync(page, "receipts", "verify", "-")).ShouldSucceed();
        Assert.All(sent, id => Assert.Matches($@"OK      {id}: genuine and unaltered .*; leaf \d+ of log rl_[0-9a-f]{{16}}, included in its signed tree head of size \d+", ok.Out));
        Assert.Contains($"{data.Count} receipt(s) verified", ok.Out);

        // One receipt of the page edited: that one fails, naming it; the others still verify.
        var edited = JsonNode.Parse(page)!.AsObject();
        var target = edited["data"]!.AsArray().First(r => r!["request_id"]!.GetValue<string>() == sent[1])!;
        target["output_tokens"] = target["output_tokens"]!.GetValue<long>() + 1;
        var bad = (await gateway.Cli.RunWithInputAsync(edited.ToJsonString(), "receipts", "verify", "-")).ShouldFail();
        Assert.Contains($"FAILED  {sent[1]}:", bad.Out);
        Assert.Contains($"OK      {sent[0]}:", bad.Out);
        Assert.Contains($"1 of {data.Count} receipt(s) failed verification.", bad.Error);
    }

    [Fact]
    public async Task Audit_keeps_the_heads_it_saw_and_fails_on_a_log_that_does_not_extend_them()
    {
        using var http = gateway.CreateHttpClient();
        var directory = Directory.CreateTempSubdirectory("meridian-audit-");
        try
        {
            var state = Path.Combine(directory.FullName, "audit.json");
            var cli = gateway.Cli.With(("MERIDIAN_API_KEY", CliGatewayFixture.DemoKey));
            await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5");

            var first = (await cli.RunAsync("receipts", "audit", "--state", state)).ShouldSucceed();
            Assert.Matches(@"1 log\(s\) only grew: rl_[0-9a-f]{16} \d+ \(first seen\)", first.Out);
            Assert.True(File.Exists(state));

            await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5");
            var second = (await cli.RunAsync("receipts", "audit", "--state", state)).ShouldSucceed();
            Assert.Matches(@"rl_[0-9a-f]{16} \d+ → \d+", second.Out);

            // The state says the log once had another root at its current size: the log was rewritten since.
            var kept = JsonNode.Parse(await File.ReadAllTextAsync(state, Ct))!.AsObject();
            var head = kept["heads"]!.AsObject().First().Value!.AsObject();
            head["root_hash"] = Convert.ToBase64String(new byte[32]);
            var forged = kept.ToJsonString();
            await File.WriteAllTextAsync(state, forged, Ct);
            var failed = (await cli.RunAsync("receipts", "audit", "--state", state)).ShouldFail();
            Assert.Contains("FAILED", failed.Out);
            Assert.Contains("was kept as it was", failed.Error);
            Assert.Equal(forged, await File.ReadAllTextAsync(state, Ct));

            var noKey = (await gateway.Cli.RunAsync("receipts", "audit", "--state", state)).ShouldFail();
            Assert.Contains("MERIDIAN_API_KEY", noKey.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
