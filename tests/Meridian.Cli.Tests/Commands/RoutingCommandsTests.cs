using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meridian.Cli.Tests.Commands;

/// <summary>
/// <c>meridian deploy --dry-run</c>, <c>meridian receipts verify</c> and <c>meridian report boundary</c> against a real
/// gateway (the embedded default: a simulator backend in every region and one for the demo publisher).
/// </summary>
public sealed class RoutingCommandsTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    [Fact]
    public async Task Deploy_dry_run_prints_each_backend_and_why_and_creates_nothing()
    {
        var result = (await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "planned", "--offer", "off_claude",
            "--model", "claude-haiku-4-5", "--hosting", "platform", "--type", "datazone", "--dry-run")).ShouldSucceed();

        Assert.Contains("Dry run: nothing was created.", result.Out);
        Assert.Contains("Processed in: data zone us — 2 eligible backend(s), 2 usable now.", result.Out);
        Assert.Matches(@"(?m)^simulator-westus\s+simulator\s+westus\s+us\s+platform\s+yes\s+eligible", result.Out);
        Assert.Matches(@"(?m)^simulator-swedencentral\s+simulator\s+swedencentral\s+eu\s+platform\s+no\s+wrong zone \(eu, not us\)", result.Out);
        Assert.Matches(@"(?m)^simulator-pub_anthropic\s+.*\s+no\s+operated by another party", result.Out);
        Assert.Contains("Would be created.", result.Out);

        var list = (await gateway.Cli.RunAsync("deployments", "list", "--resource", "res_demo")).ShouldSucceed();
        Assert.DoesNotContain("planned", list.Out);
    }

    [Fact]
    public async Task Receipts_verify_accepts_a_genuine_receipt_and_rejects_a_tampered_one()
    {
        using var http = gateway.CreateHttpClient();
        var requestId = await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5");
        var receipt = await DataPlane.GetReceiptAsync(http, CliGatewayFixture.DemoKey, requestId);
        var directory = Directory.CreateTempSubdirectory("meridian-receipts-");
        try
        {
            var genuine = Path.Combine(directory.FullName, "receipt.json");
            await File.WriteAllTextAsync(genuine, receipt.GetRawText(), TestContext.Current.CancellationToken);
            var tampered = Path.Combine(directory.FullName, "tampered.json");
            var changed = JsonNode.Parse(receipt.GetRawText())!.AsObject();
            changed["processing_region"] = "swedencentral";
            await File.WriteAllTextAsync(tampered, changed.ToJsonString(), TestContext.Current.CancellationToken);

            // The key fetched from the gateway (MERIDIAN_URL) …
            var ok = (await gateway.Cli.RunAsync("receipts", "verify", genuine)).ShouldSucceed();
            Assert.Contains($"OK      {requestId}: genuine and unaltered", ok.Out);

            // … or given, for a verifier who has no access to the gateway: fully offline.
            using var keyDocument = JsonDocument.Parse(await http.GetStringAsync(".well-known/meridian-receipt-key", TestContext.Current.CancellationToken));
            var publicKey = keyDocument.RootElement.GetProperty("public_key").GetString()!;
            var offline = gateway.Cli.With(("MERIDIAN_URL", "http://127.0.0.1:9"));
            (await offline.RunAsync("receipts", "verify", genuine, "--public-key", publicKey)).ShouldSucceed();
            (await offline.RunWithInputAsync(receipt.GetRawText(), "receipts", "verify", "-", "--public-key", publicKey)).ShouldSucceed();

            var bad = (await offline.RunAsync("receipts", "verify", tampered, "--public-key", publicKey)).ShouldFail();
            Assert.Contains($"FAILED  {requestId}: it does not hash to its leaf", bad.Out);
            Assert.Contains("error: 1 of 1 receipt(s) failed verification.", bad.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Report_boundary_prints_where_each_deployment_was_processed_as_table_csv_and_json()
    {
        using var http = gateway.CreateHttpClient();
        await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5");
        await DataPlane.SendMessageUntilOkAsync(http, CliGatewayFixture.DemoKey, "claude-sonnet-5");

        var table = (await gateway.Cli.RunAsync("report", "boundary", "--tenant", "ten_demo")).ShouldSucceed();
        Assert.Contains("Boundary report for tenant ten_demo", table.Out);
        Assert.Matches(@"(?m)^claude-sonnet-5\s+claude-sonnet-5\s+data zone us\s+(\d+)\s+\1\s+0\s+0\s+0\s+platform/eastus/us: \d+\s+0\s*$", table.Out);

        var csv = (await gateway.Cli.RunAsync("report", "boundary", "--tenant", "ten_demo", "--format", "csv",
            "--from", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"), "--to", DateTimeOffset.UtcNow.AddHours(1).ToString("O"))).ShouldSucceed();
        var lines = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("deployment_id,deployment_name,model,hosting_option,deployment_type,boundary,requests,processed,refused_before_routing,failed_closed,blocked_by_safeguard,ingress_allowed_outside,processed_in,bad_signatures,violations,content_opened,content_opened_by,bad_access_records", lines[0]);
        Assert.Matches(@"^dep_demo,claude-sonnet-5,claude-sonnet-5,platform,datazone,data zone us,(\d+),\1,0,0,0,0,platform/eastus/us: \d+,0,0,0,,0$", lines.Single(l => l.StartsWith("dep_demo,", StringComparison.Ordinal)));

        var json = (await gateway.Cli.RunAsync("report", "boundary", "--tenant", "ten_demo", "--format", "json")).ShouldSucceed();
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(0, document.RootElement.GetProperty("violations").GetInt64());
        Assert.True(document.RootElement.GetProperty("requests").GetInt64() >= 2);

        var unknown = (await gateway.Cli.RunAsync("report", "boundary", "--tenant", "ten_nobody")).ShouldFail();
        Assert.Contains("No tenant 'ten_nobody'", unknown.Error);
    }
}
