using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>Each deployment offers ready code to call it; the curl one, run as shown with a key of its resource, is answered.</summary>
public sealed class SnippetTests(PortalFixture portal)
{
    [Fact]
    public async Task The_curl_snippet_runs_as_shown_and_the_others_name_this_gateway_and_the_deployment()
    {
        // The demo tenant's own admin: an operator acts for whichever tenant the picker offers first, and other tests add tenants.
        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: "ten_demo"));
        await tab.OpenAsync("/portal/tenant/deployments");
        var card = tab.Page.Locator("article.deployment[data-deployment='claude-sonnet-5']");
        await card.GetByText("Code to call it").ClickAsync();
        var origin = portal.BaseAddress.GetLeftPart(UriPartial.Authority);

        var curl = await card.Locator("pre.snippet[data-client='curl']").InnerTextAsync();
        var (exit, output) = await RunAsync(curl, PortalFixture.DemoKey);
        Assert.True(exit == 0, output);
        using var answer = JsonDocument.Parse(output);
        Assert.Equal("message", answer.RootElement.GetProperty("type").GetString());
        Assert.Equal("claude-sonnet-5", answer.RootElement.GetProperty("model").GetString());

        foreach (var (client, expected) in new[]
        {
            ("TypeScript (@anthropic-ai/sdk)", $"baseURL: '{origin}'"),
            ("C# (Anthropic)", $"BaseUrl = \"{origin}\""),
            ("Claude Code", $"ANTHROPIC_BASE_URL={origin} ANTHROPIC_API_KEY=$MERIDIAN_API_KEY claude --model claude-sonnet-5"),
            ("OpenAI SDK", $"baseURL: '{origin}/v1'"),
        })
        {
            await card.GetByRole(AriaRole.Radio, new() { Name = client }).CheckAsync();
            var code = card.Locator("pre.snippet");
            await Expect(code).ToContainTextAsync(expected);
            await Expect(code).ToContainTextAsync("claude-sonnet-5");
        }

        tab.AssertNoErrors();
    }

    /// <summary>Runs a snippet with bash, the key in MERIDIAN_API_KEY as the snippet expects it.</summary>
    private static async Task<(int Exit, string Output)> RunAsync(string script, string key)
    {
        var start = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["MERIDIAN_API_KEY"] = key;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, output + error);
    }
}
