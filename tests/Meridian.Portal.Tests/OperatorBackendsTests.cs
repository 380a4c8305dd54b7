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

    [Fact]
    public async Task When_the_gateway_cannot_be_reached_the_last_data_stays_marked_as_stale()
    {
        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/operator/backends");
        var page = tab.Page;
        var asOf = await page.Locator(".live-bar .hint").InnerTextAsync();

        // The gateway goes away (every call to it fails at the network level) and the view refreshes.
        await page.RouteAsync("**/admin/v1/backends", route => route.AbortAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Cannot reach the gateway");
        await Expect(page.Locator(".stale table.backends tr[data-backend='simulator-eastus']")).ToBeVisibleAsync();
        Assert.Equal(asOf, await page.Locator(".live-bar .hint").InnerTextAsync());

        // And it comes back: the warning goes and the table is current again.
        await page.UnrouteAllAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();
        await Expect(page.Locator(".stale")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await Expect(page.Locator("table.backends tr[data-backend='simulator-eastus']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_backend_whose_last_attempt_failed_shows_as_failing_before_it_is_ejected()
    {
        // The router keeps a backend "healthy" until enough attempts failed to eject it; the view answers from the
        // first failure. The gateway's real answer, with one failure in a row on the eastus simulator.
        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.Page.RouteAsync("**/admin/v1/backends", async route =>
        {
            var response = await route.FetchAsync();
            var list = System.Text.Json.Nodes.JsonNode.Parse(await response.TextAsync())!;
            var east = list["data"]!.AsArray().Single(b => (string?)b!["id"] == "simulator-eastus")!;
            Assert.Equal("healthy", (string?)east["condition"]);
            east["consecutive_failures"] = 1;
            await route.FulfillAsync(new() { Response = response, Body = list.ToJsonString() });
        });
        await tab.OpenAsync("/portal/operator/backends");

        var row = tab.Page.Locator("table.backends tr[data-backend='simulator-eastus']");
        await Expect(row).ToHaveAttributeAsync("data-condition", "failing");
        await Expect(row.Locator(".badge.bad")).ToHaveTextAsync("failing");
        await Expect(row).ToContainTextAsync("1 failure(s) in a row");
        await Expect(tab.Page.Locator("table.backends tr[data-backend='simulator-swedencentral'] .badge.ok")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_node_metrics_show_requests_tokens_and_latency_counted_since_the_view_began_watching()
    {
        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/operator/backends");
        var page = tab.Page;
        var requests = page.Locator("[data-field='live-requests']");
        await Expect(requests).ToBeVisibleAsync();

        // What the node's meridian.requests counter says now, through the same API the view reads (watching has begun).
        var counted = await CountedAsync();
        await SendAsync(2);
        await Expect(requests).ToHaveTextAsync(Count(counted + 2), new() { Timeout = 12_000 });

        var ok = page.Locator("table.live-breakdown tr[data-measure='meridian.requests:200'] [data-field='count']");
        await Expect(ok).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[1-9][\d,]*$"));
        await Expect(page.Locator("[data-field='live-tokens']")).Not.ToHaveTextAsync("0 / 0");
        await Expect(page.Locator("[data-field='live-ttft']")).ToContainTextAsync("≤");
        // Two readings apart, the rate is a number (it needs an earlier reading of the same watch).
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();
        await Expect(page.Locator("[data-field='live-rate']")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[\d.,]+$"));
        tab.AssertNoErrors();
    }

    private async Task<long> CountedAsync()
    {
        var metrics = await portal.AdminAsync(HttpMethod.Get, "metrics");
        return metrics.GetProperty("instruments").EnumerateArray()
            .Where(i => i.GetProperty("name").GetString() == "meridian.requests")
            .SelectMany(i => i.GetProperty("series").EnumerateArray())
            .Sum(s => (long)s.GetProperty("value").GetDouble());
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
