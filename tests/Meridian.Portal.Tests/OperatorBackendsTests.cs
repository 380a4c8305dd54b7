using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>The operator's backends view: every backend of the node with its health, latency and traffic, kept live.</summary>
public sealed class OperatorBackendsTests(PortalFixture portal)
{
    [Fact]
    public async Task Operator_sees_each_backend_with_health_latency_and_traffic_updating_live()
    {
        // The demo deployment (data zone us, resource in eastus) is served by the eastus simulator, its nearest backend.
        await SendAsync(3);
        var before = await ServedAsync("simulator-eastus");

        await using var tab = await portal.NewPageAsync();
        await tab.SignInAsync(PortalFixture.OperatorToken);
        await tab.NavigateAsync("Backends");
        var page = tab.Page;

        var east = page.Locator("table.backends tr[data-backend='simulator-eastus']");
        await Expect(east).ToHaveAttributeAsync("data-condition", "healthy");
        await Expect(east).ToContainTextAsync("healthy");
        await Expect(east).ToContainTextAsync("data zone us");
        await Expect(east).ToContainTextAsync("judged by its answers (no probe)");
        await Expect(east.Locator("[data-field='latency']")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[\d.,]+ ms$"));
        await Expect(east.Locator("[data-field='total-requests']")).ToHaveTextAsync(Count(before));
        await Expect(page.Locator("table.backends tr[data-backend='simulator-swedencentral']")).ToContainTextAsync("data zone eu");
        await Expect(page.Locator("table.backends tr[data-backend='simulator-pub_anthropic']")).ToContainTextAsync("publisher pub_anthropic");
        await Expect(page.Locator("figure.traffic-chart g[data-bar='simulator-eastus']")).ToBeVisibleAsync();
        await Expect(page.Locator("dl.stats [data-field='healthy']")).ToContainTextAsync("of");
        await tab.ScreenshotAsync("operator-backends");

        // Without reloading: traffic sent now shows up at the next refresh (every 5 s while the view is open).
        await SendAsync(2);
        await Expect(east.Locator("[data-field='total-requests']")).ToHaveTextAsync(Count(before + 2), new() { Timeout = 12_000 });

        // Paused, it stops asking.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause live updates" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resume live updates" })).ToHaveAttributeAsync("aria-pressed", "false");
        tab.AssertNoErrors();
    }

    private async Task SendAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await portal.MessagesAsync(PortalFixture.DemoKey, $"Hello backends view {i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>As the portal writes counts: digits grouped by commas (the invariant culture's "N0").</summary>
    private static string Count(long value) => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the admin API says the backend has served since the start (earlier tests sent traffic too).</summary>
    private async Task<long> ServedAsync(string backend)
    {
        var list = await portal.AdminAsync(HttpMethod.Get, "backends");
        return list.GetProperty("data").EnumerateArray().Single(b => b.GetProperty("id").GetString() == backend)
            .GetProperty("traffic").GetProperty("requests").GetInt64();
    }
}
