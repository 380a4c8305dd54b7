using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// The operator dashboard shows the fleet's traffic from the stores — requests, tokens, cost, errors, 429s, blocks and
/// fail-closed refusals per hour and by tenant, deployment and backend — filters it, and keeps the last numbers, marked
/// stale, when the gateway cannot be reached.
/// </summary>
public sealed class OperatorDashboardTests(PortalFixture portal)
{
    private const string BlockedText = "I'm going to kill you and your whole family.";

    [Fact]
    public async Task A_tenants_served_and_blocked_requests_show_in_the_totals_the_chart_and_by_deployment_when_filtered_to_it()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("Dashboard Co", "dash-dep");
        var key = (await portal.AdminAsync(HttpMethod.Post, $"resources/{resource}/keys", new { name = "dashboard" })).GetProperty("key").GetString()!;
        for (var i = 0; i < 2; i++)
        {
            using var ok = await portal.MessagesAsync(key, "Hello from the dashboard test", "dash-dep");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var blocked = await portal.MessagesAsync(key, BlockedText, "dash-dep"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        }

        var name = (await portal.AdminAsync(HttpMethod.Get, $"tenants/{tenant}")).GetProperty("name").GetString()!;
        await WaitForRequestsAsync(tenant, 3);
        await using var tab = await portal.NewPageAsync();
        var page = tab.Page;
        await tab.SignInAsync(PortalFixture.OperatorToken);
        await tab.NavigateAsync("Dashboard");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Dashboard");
        await Expect(page.Locator($"table.tenants tr[data-key='{tenant}'] th")).ToHaveTextAsync(name);
        await Expect(page.Locator("figure.dashboard-chart svg[role='img']")).ToBeVisibleAsync();
        await tab.ScreenshotAsync("operator-dashboard");

        await page.GetByRole(AriaRole.Form, new() { Name = "Dashboard filters" }).GetByLabel("Tenant", new() { Exact = true })
            .SelectOptionAsync(new SelectOptionValue { Label = name });
        await Expect(page.Locator("[data-total='Requests'] dd")).ToHaveTextAsync("3");
        await Expect(page.Locator("[data-total='Blocked'] dd")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-total='Errors'] dd")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-total='429s'] dd")).ToHaveTextAsync("0");
        var deployment = page.Locator("table.deployments tbody tr").Filter(new() { HasText = "dash-dep" });
        await Expect(deployment.Locator("[data-field='requests']")).ToHaveTextAsync("3");
        await Expect(deployment.Locator("[data-field='cost']")).Not.ToHaveTextAsync("—");
        // The blocked request reached no backend; the served ones did.
        await Expect(page.Locator("table.backends tr[data-key=''] [data-field='blocked']")).ToHaveTextAsync("1");
        // The hour's columns add up: the current hour holds all three, two served and one blocked.
        await Expect(page.Locator("figure.dashboard-chart rect[data-series='served']").Last.Locator("title")).ToContainTextAsync(": 2");
        await Expect(page.Locator("figure.dashboard-chart rect[data-series='blocked']").Last.Locator("title")).ToContainTextAsync(": 1");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task When_the_gateway_cannot_be_reached_the_dashboard_keeps_its_numbers_marked_as_stale()
    {
        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/operator/dashboard");
        var page = tab.Page;
        await Expect(page.Locator("[data-total='Requests'] dd")).ToBeVisibleAsync();
        var requests = await page.Locator("[data-total='Requests'] dd").InnerTextAsync();

        await page.RouteAsync("**/admin/v1/dashboard**", route => route.AbortAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Cannot reach the gateway");
        await Expect(page.Locator(".stale [data-total='Requests'] dd")).ToHaveTextAsync(requests);

        await page.UnrouteAllAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();
        await Expect(page.Locator(".stale")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-total='Requests'] dd")).ToBeVisibleAsync();
    }

    private async Task WaitForRequestsAsync(string tenant, long count)
    {
        for (var i = 0; i < 200; i++)
        {
            var dashboard = await portal.AdminAsync(HttpMethod.Get, $"dashboard?tenant={tenant}");
            if (dashboard.GetProperty("totals").GetProperty("requests").GetInt64() >= count)
            {
                return;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"The dashboard never counted {count} requests of {tenant}.");
    }
}
