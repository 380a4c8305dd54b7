using System.Diagnostics;
using System.Net;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// The portal's admin types (web/src/admin-contract.ts) are generated from this gateway's OpenAPI document by
/// tools/admin-contract.mjs; the checked-in file must be what the generator makes of the document the gateway serves now.
/// </summary>
public sealed class AdminContractTests(AdminServer server) : IClassFixture<AdminServer>
{
    private const string Regenerate =
        "node tools/admin-contract.mjs http://127.0.0.1:8080/openapi/v1.json > web/src/admin-contract.ts (with ./meridian serve running), then cd web && npm run build";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_portals_generated_admin_contract_matches_the_gateways_openapi_document()
    {
        var root = RepoRoot.Find();
        using var response = await server.Http.GetAsync("openapi/v1.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = Path.Combine(Path.GetTempPath(), $"meridian-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(document, await response.Content.ReadAsStringAsync(Ct), Ct);
        try
        {
            var generated = await GenerateAsync(root, document);
            var checkedIn = await File.ReadAllTextAsync(Path.Combine(root, "web", "src", "admin-contract.ts"), Ct);
            if (!string.Equals(generated, checkedIn, StringComparison.Ordinal))
            {
                var fresh = Path.Combine(Path.GetTempPath(), "admin-contract.ts");
                await File.WriteAllTextAsync(fresh, generated, Ct);
                Assert.Fail($"web/src/admin-contract.ts is stale: the admin API's OpenAPI document changed. Regenerate it: {Regenerate}. "
                    + $"(What it should hold now is in {fresh}; first difference at line {FirstDifference(generated, checkedIn)}.)");
            }
        }
        finally
        {
            File.Delete(document);
        }
    }

    [Fact]
    public async Task The_generated_contract_names_the_answers_and_request_bodies_the_portal_uses()
    {
        var contract = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Find(), "web", "src", "admin-contract.ts"), Ct);

        Assert.Contains("export type DeploymentView = {", contract, StringComparison.Ordinal);
        Assert.Contains("  data_may_leave_geography_acknowledgment: AcknowledgmentView | null;", contract, StringComparison.Ordinal);
        // Written only when set (the key's secret, once): optional, unlike the fields every answer has.
        Assert.Contains("  key?: string | null;", contract, StringComparison.Ordinal);
        Assert.Contains("\"POST /admin/v1/resources/{resource}/deployments\": {", contract, StringComparison.Ordinal);
        Assert.Contains("    acknowledge_data_may_leave_geography?: boolean | null;", contract, StringComparison.Ordinal);
    }

    private static async Task<string> GenerateAsync(string root, string document)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine("tools", "admin-contract.mjs"));
        start.ArgumentList.Add(document);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"tools/admin-contract.mjs exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private static int FirstDifference(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line])
        {
            line++;
        }

        return line + 1;
    }
}
