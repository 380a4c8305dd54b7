using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// Each role sees its own views and no other: not in the navigation, not by typing the URL, and the portal does not
/// even ask the admin API for them. The admin API refuses the same calls (AuthorizationMatrixTests); this is the
/// portal not offering what would be refused.
/// </summary>
public sealed class RoleViewTests(PortalFixture portal)
{
    private static readonly string[] OperatorApiPaths = ["/admin/v1/audit", "/admin/v1/tokens", "/admin/v1/publishers", "/admin/v1/backends", "/admin/v1/dashboard"];

    private static readonly string[] ReviewApiPaths = ["/admin/v1/cases"];

    private static readonly string[] TenantApiPaths = ["/admin/v1/tenants", "/admin/v1/resources"];

    [Fact]
    public async Task Tenant_developer_gets_no_operator_views_and_no_tenant_admin_controls()
    {
        var token = await portal.CreateTokenAsync("tenant-developer", tenantId: "ten_demo");
        await using var tab = await portal.NewPageAsync();
        await tab.SignInAsync(token);

        Assert.Equal(["Catalogue", "Deployments", "Keys", "Usage & receipts", "Trust & Safety"], await tab.NavigationLinksAsync());
        await Expect(tab.Page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Heading, new() { Name = "Operator" })).ToHaveCountAsync(0);

        // Read-only where the API says so: no subscribe, no new resource or deployment, no delete; keys it may create.
        await Expect(tab.Page.GetByRole(AriaRole.Button, new() { Name = "Review terms", Exact = false })).ToHaveCountAsync(0);
        await tab.NavigateAsync("Deployments");
        await Expect(tab.Page.Locator("article[data-deployment='claude-sonnet-5']")).ToBeVisibleAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Button, new() { Name = "New resource" })).ToHaveCountAsync(0);
        await Expect(tab.Page.GetByRole(AriaRole.Button, new() { Name = "New deployment", Exact = false })).ToHaveCountAsync(0);
        await Expect(tab.Page.GetByRole(AriaRole.Button, new() { Name = "Delete deployment" })).ToHaveCountAsync(0);
        await tab.NavigateAsync("Keys");
        await Expect(tab.Page.GetByRole(AriaRole.Button, new() { Name = "Create key" })).ToBeVisibleAsync();

        var demoCase = await portal.DemoCaseIdAsync();
        await AssertNotAvailableAsync(tab,
            "/portal/operator/world", "/portal/operator/audit", "/portal/operator/tenants", "/portal/operator/dashboard", "/portal/operator/backends", "/portal/publisher/offers",
            "/portal/reviewer/cases", $"/portal/reviewer/cases/{demoCase}", "/portal/reviewer/suspensions", "/portal/tenant/tokens");

        Assert.DoesNotContain(tab.Requests, r => OperatorApiPaths.Concat(ReviewApiPaths).Any(p => r.Contains(p, StringComparison.Ordinal)));
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task Publisher_admin_sees_its_offers_and_terms_only()
    {
        var token = await portal.CreateTokenAsync("publisher-admin", publisherId: "pub_anthropic");
        await using var tab = await portal.NewPageAsync();
        await tab.SignInAsync(token);

        Assert.Equal(["Offers & terms"], await tab.NavigationLinksAsync());
        var offer = tab.Page.Locator("article[data-offer='off_claude']");
        await Expect(offer.GetByRole(AriaRole.Table, new() { Name = "Prices, USD per million tokens" })).ToContainTextAsync("$15.00");
        await Expect(offer.GetByRole(AriaRole.Heading, new() { Name = "Terms versions" })).ToBeVisibleAsync();
        await Expect(offer.Locator(".terms-list li")).ToHaveCountAsync(1);
        await tab.ScreenshotAsync("publisher-offers");

        // Prices change with If-Match on the version the page shows.
        await offer.GetByRole(AriaRole.Button, new() { Name = "Change prices" }).ClickAsync();
        await offer.GetByLabel("Cache read").FillAsync("0.25");
        await offer.GetByRole(AriaRole.Button, new() { Name = "Save prices" }).ClickAsync();
        // Nothing changes before the publisher confirms, having been told who pays the new prices from when.
        await Expect(offer.GetByRole(AriaRole.Group, new() { Name = "Confirm the price change" })).ToContainTextAsync("Cache read: $0.30 → $0.25");
        await Expect(offer.GetByRole(AriaRole.Table, new() { Name = "Prices, USD per million tokens" })).Not.ToContainTextAsync("$0.25");
        await offer.GetByRole(AriaRole.Button, new() { Name = "Confirm new prices" }).ClickAsync();
        await Expect(offer.Locator("[data-field='prices-saved']")).ToContainTextAsync("Prices saved as offer version 2");
        await Expect(offer.GetByRole(AriaRole.Table, new() { Name = "Prices, USD per million tokens" })).ToContainTextAsync("$0.25");
        await Expect(offer.Locator(".badge", new() { HasText = "version 2" })).ToBeVisibleAsync();

        // The share export downloads as a JSON file (on a gateway with metering; otherwise the portal says it has none).
        var period = DateTime.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var share = tab.Page.GetByRole(AriaRole.Button, new() { Name = "Download share export" });
        if (await ShareExportExistsAsync(token, period))
        {
            var download = await tab.Page.RunAndWaitForDownloadAsync(() => share.ClickAsync());
            Assert.Equal($"share-pub_anthropic-{period}.json", download.SuggestedFilename);
            using var file = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(await download.PathAsync(), TestContext.Current.CancellationToken));
            Assert.Equal(System.Text.Json.JsonValueKind.Object, file.RootElement.ValueKind);
        }
        else
        {
            await share.ClickAsync();
            await Expect(tab.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "share export is not available" })).ToBeVisibleAsync();
        }

        await AssertNotAvailableAsync(tab, "/portal/tenant/keys", "/portal/tenant/usage", "/portal/reviewer/cases", "/portal/operator/backends");
        Assert.DoesNotContain(tab.Requests, r => TenantApiPaths.Concat(ReviewApiPaths).Append("/admin/v1/backends").Append("/admin/v1/audit").Any(p => r.Contains(p, StringComparison.Ordinal)));
        tab.AssertNoErrors();
    }

    private async Task<bool> ShareExportExistsAsync(string token, string period)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"admin/v1/publishers/pub_anthropic/share?period={period}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await portal.Http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.IsSuccessStatusCode;
    }

    [Fact]
    public async Task Reviewer_sees_the_case_queue_of_its_publisher_and_geographies_only()
    {
        var token = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["eu"]);
        await using var tab = await portal.NewPageAsync();
        await tab.SignInAsync(token);

        Assert.Equal(["Case queue", "Suspensions"], await tab.NavigationLinksAsync());
        await Expect(tab.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Case queue");
        await Expect(tab.Page.Locator("main")).ToContainTextAsync("publisher pub_anthropic in geographies eu");
        await Expect(tab.Page.Locator("main table.cases, main .empty").First).ToBeVisibleAsync();

        await AssertNotAvailableAsync(tab,
            "/portal/operator/world", "/portal/operator/backends", "/portal/operator/audit", "/portal/tenant/usage", "/portal/tenant/keys", "/portal/publisher/offers");
        Assert.DoesNotContain(tab.Requests, r => TenantApiPaths.Concat(OperatorApiPaths).Any(p => r.Contains(p, StringComparison.Ordinal)));
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task Operator_sees_the_world_tenants_and_audit()
    {
        await using var tab = await portal.NewPageAsync();
        await tab.SignInAsync(PortalFixture.OperatorToken);

        Assert.Equal(
            ["World", "Tenants & tokens", "Dashboard", "Backends", "Audit", "Catalogue", "Deployments", "Keys", "Developer tokens", "Usage & receipts", "Trust & Safety", "Offers & terms", "Case queue", "Suspensions"],
            await tab.NavigationLinksAsync());

        var world = tab.Page.GetByRole(AriaRole.List, new() { Name = "Geographies" });
        await Expect(world.Locator("[data-geography='eu']")).ToContainTextAsync("Data zone eu");
        await Expect(world.Locator("[data-geography='eu'] [data-region='swedencentral']")).ToBeVisibleAsync();
        await Expect(world.Locator("[data-geography='us'] [data-region='eastus']")).ToBeVisibleAsync();
        await Expect(tab.Page.Locator("main")).ToContainTextAsync("pub_anthropic");
        await tab.ScreenshotAsync("operator-world");

        await tab.NavigateAsync("Tenants & tokens");
        await Expect(tab.Page.Locator("tr[data-tenant='ten_demo']")).ToContainTextAsync("Demo Tenant");
        await tab.ScreenshotAsync("operator-tenants");

        await tab.NavigateAsync("Audit");
        await Expect(tab.Page.Locator("table.audit tbody tr").First).ToBeVisibleAsync();
        await tab.ScreenshotAsync("operator-audit");

        // The operator may act for any tenant: the tenant views ask which.
        await tab.NavigateAsync("Deployments");
        await Expect(tab.Page.GetByLabel("Acting for tenant")).ToBeVisibleAsync();
        tab.AssertNoErrors();
    }

    /// <summary>Each path answers "Not available" (typed as a URL: the navigation does not offer it).</summary>
    private static async Task AssertNotAvailableAsync(PortalPage tab, params string[] paths)
    {
        foreach (var path in paths)
        {
            await tab.OpenAsync(path);
            await Expect(tab.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Not available");
            await Expect(tab.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Your role does not have access to this view.");
        }
    }

    [Fact]
    public async Task A_revoked_token_is_signed_out()
    {
        var token = await portal.CreateTokenAsync("tenant-developer", tenantId: "ten_demo");
        await using var tab = await portal.NewPageAsync();
        await tab.SignInAsync(token);

        var tokens = await portal.AdminAsync(HttpMethod.Get, "tokens?limit=200");
        var id = tokens.GetProperty("data").EnumerateArray().Single(t => token.StartsWith(t.GetProperty("prefix").GetString()!, StringComparison.Ordinal)).GetProperty("id").GetString();
        await portal.AdminAsync(HttpMethod.Post, $"tokens/{id}/revoke");

        await tab.NavigationLink("Keys").ClickAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to the Meridian portal" })).ToBeVisibleAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("no longer valid");
        Assert.Null(await tab.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('meridian.portal.admin-token')"));
    }
}
