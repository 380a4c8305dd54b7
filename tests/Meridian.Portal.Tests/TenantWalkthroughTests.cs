using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// docs/walkthrough.md, in the browser: a tenant admin subscribes (accepting the terms), creates a resource, deploys
/// platform-hosted (data zone) and publisher-hosted (with the acknowledgment), creates a key it sees once, calls the
/// API with it, and finds the deployments and the receipts — with their boundary — in the portal.
/// </summary>
public sealed class TenantWalkthroughTests(PortalFixture portal)
{
    [Fact]
    public async Task Tenant_admin_subscribes_deploys_publisher_hosted_with_acknowledgment_creates_a_key_and_sees_its_receipt()
    {
        var tenantId = await portal.CreateTenantAsync("Walkthrough Tenant " + Guid.NewGuid().ToString("N")[..8]);
        var token = await portal.CreateTokenAsync("tenant-admin", tenantId: tenantId);
        await using var tab = await portal.NewPageAsync();
        var page = tab.Page;

        await tab.SignInAsync(token);
        Assert.Equal(["Catalogue", "Deployments", "Keys", "Developer tokens", "Usage & receipts", "Trust & Safety"], await tab.NavigationLinksAsync());

        // Subscribe: the terms are shown, and nothing is accepted until the box is ticked.
        var offer = page.Locator("article[data-offer='off_claude']");
        await Expect(offer.Locator("[data-subscription-state]")).ToHaveTextAsync("Not subscribed");
        await Expect(offer.GetByRole(AriaRole.Table)).ToContainTextAsync("$3.00");
        await offer.GetByRole(AriaRole.Button, new() { Name = "Review terms and subscribe to claude" }).ClickAsync();
        await Expect(offer.GetByLabel("Text of terms version 1")).ToContainTextAsync("Demo terms of use");
        var accept = offer.GetByRole(AriaRole.Button, new() { Name = "Accept terms v1 and subscribe" });
        await Expect(accept).ToBeDisabledAsync();
        await offer.GetByLabel("I have read and accept the terms of claude, version 1").CheckAsync();
        await accept.ClickAsync();
        await Expect(offer.Locator("[data-subscription-state]")).ToHaveTextAsync("Subscribed · terms v1");
        await tab.ScreenshotAsync("tenant-catalogue");

        // A resource in Sweden Central: data zone eu, geography eu.
        await tab.NavigateAsync("Deployments");
        await page.GetByRole(AriaRole.Button, new() { Name = "New resource" }).ClickAsync();
        await page.GetByLabel("Resource name").FillAsync("eu-app");
        await page.GetByLabel("Region").SelectOptionAsync("swedencentral");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create resource" }).ClickAsync();
        var resource = page.Locator("section.resource", new() { HasText = "Resource eu-app" });
        await Expect(resource).ToContainTextAsync("data zone eu · geography eu");

        // Platform-hosted, confined to the eu data zone.
        await DeployAsync(page, resource, "eu-sonnet", hosting: "Platform", type: "Data zone");
        var platform = resource.Locator("article[data-deployment='eu-sonnet']");
        await Expect(platform.Locator(".processing-boundary")).ToHaveTextAsync("data zone eu");
        await Expect(platform.Locator("figure.boundary li.may")).ToHaveCountAsync(2); // the two regions of data zone eu
        await Expect(platform.Locator("figure.boundary li.may")).ToContainTextAsync(["France Central", "Sweden Central"]);

        // Publisher-hosted: refused until the acknowledgment is given, then recorded with who and when.
        await resource.GetByRole(AriaRole.Button, new() { Name = "New deployment in eu-app" }).ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "New deployment in eu-app" });
        await form.GetByLabel("Deployment name").FillAsync("eu-sonnet-publisher");
        await form.GetByLabel("Publisher-hosted", new() { Exact = false }).CheckAsync();
        var acknowledgment = form.Locator("fieldset.acknowledgment");
        await Expect(acknowledgment).ToContainTextAsync("may be processed outside geography eu");
        var create = form.GetByRole(AriaRole.Button, new() { Name = "Acknowledge and create deployment" });
        await Expect(create).ToBeDisabledAsync();
        await acknowledgment.GetByLabel("I acknowledge that data sent to this deployment may leave geography eu").CheckAsync();
        await create.ClickAsync();
        var publisherHosted = resource.Locator("article[data-deployment='eu-sonnet-publisher']");
        await Expect(publisherHosted.Locator(".processing-boundary")).ToContainTextAsync("the publisher's infrastructure");
        await Expect(publisherHosted.Locator(".ack-record")).ToContainTextAsync("acknowledged by Tara (tenant admin)");
        await Expect(publisherHosted.Locator("figure.boundary")).ToContainTextAsync("Publisher's infrastructure");
        await tab.ScreenshotAsync("tenant-deployments");

        // A key, shown once.
        await tab.NavigateAsync("Keys");
        var keys = page.Locator("section.resource", new() { HasText = "Keys of resource eu-app" });
        await keys.GetByLabel("Key name (optional)").FillAsync("walkthrough");
        await keys.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secret = keys.GetByLabel("New API key for eu-app", new() { Exact = true });
        await Expect(secret).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^mk-[0-9a-f]{8}-"));
        var key = await secret.InputValueAsync();
        await Expect(keys.Locator($"tr[data-key='{key[..11]}']")).ToContainTextAsync("active");
        await tab.ScreenshotAsync("tenant-keys");
        await keys.GetByRole(AriaRole.Button, new() { Name = "I have stored it" }).ClickAsync();
        await Expect(secret).ToHaveCountAsync(0);
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);

        // The API, called with that key from outside the browser, through a node in the eu data zone (ingress is part
        // of the boundary).
        using var inEurope = await portal.NodeInAsync("swedencentral");
        var dataZoneRequest = await CallAsync(inEurope, key, "eu-sonnet");
        var publisherRequest = await CallAsync(inEurope, key, "eu-sonnet-publisher");

        // Usage per day and per deployment, charted: today's column stacks the two deployments, the bars name them, and
        // the numbers behind the charts are there as a table. (Usage is recorded by a background writer: wait for it.)
        await WaitForUsageAsync(tenantId, deployments: 2);
        await tab.NavigateAsync("Usage & receipts");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var charts = page.Locator("section.usage .usage-charts");
        await Expect(charts).ToHaveAttributeAsync("data-metric", "cost");
        await Expect(charts.Locator($"figure.daily-chart g[data-column='{today}'] rect")).ToHaveCountAsync(2);
        await Expect(charts.Locator("figure.daily-chart figcaption")).ToContainTextAsync("Cost per day (USD)");
        await Expect(charts.Locator("figure.deployment-chart g[data-bar]")).ToHaveCountAsync(2);
        await Expect(charts.Locator("figure.deployment-chart")).ToContainTextAsync("eu-sonnet-publisher");
        await Expect(charts.Locator("ul.legend")).ToContainTextAsync("eu-sonnet");
        await Expect(charts.Locator($"details.chart-table tr[data-day='{today}'][data-deployment='eu-sonnet'] td").Nth(2)).ToHaveTextAsync("1");
        await charts.GetByRole(AriaRole.Group, new() { Name = "Show" }).GetByLabel("Tokens").CheckAsync();
        await Expect(charts).ToHaveAttributeAsync("data-metric", "tokens");
        await Expect(charts.Locator("figure.daily-chart figcaption")).ToContainTextAsync("Tokens per day");
        await charts.GetByRole(AriaRole.Group, new() { Name = "Show" }).GetByLabel("Cost").CheckAsync();

        // The invoice and the boundary report name the deployments; then the receipts, listed and one by one with
        // their boundary report.
        var usage = page.Locator("section.usage");
        await Expect(usage.Locator(".invoice, .box").First).ToBeVisibleAsync();
        if (await usage.Locator(".invoice").CountAsync() > 0)
        {
            await Expect(usage.Locator(".invoice table")).ToContainTextAsync("eu-sonnet-publisher");
        }

        var boundaryReport = page.Locator("section.boundary-report");
        await Expect(boundaryReport.Locator(".box").First).ToBeVisibleAsync();
        if (await boundaryReport.Locator("table").CountAsync() > 0)
        {
            await Expect(boundaryReport.Locator("tr[data-deployment='eu-sonnet']")).ToContainTextAsync("data zone eu");
        }

        // The period's receipts by the signed-in role: the form has no API key field.
        var finder = page.GetByRole(AriaRole.Form, new() { Name = "Find receipts" });
        await Expect(finder.GetByLabel("API key", new() { Exact = false })).ToHaveCountAsync(0);
        await finder.GetByRole(AriaRole.Button, new() { Name = "List receipts" }).ClickAsync();
        await Expect(page.Locator($"table.receipt-list tr[data-request='{dataZoneRequest}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"table.receipt-list tr[data-request='{publisherRequest}']")).ToContainTextAsync("eu-sonnet-publisher");

        var report = await LookUpReceiptAsync(page, dataZoneRequest);
        await Expect(report.Locator("[data-field='Records rest in']")).ToHaveTextAsync("geography eu");
        await Expect(report.Locator("[data-field='Processing region']")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(swedencentral|francecentral)$"));
        await Expect(report).ToContainTextAsync("inside the deployment's boundary (data zone eu)");
        // Authenticated by its leaf under a signed tree head, not by a signature of its own.
        await Expect(report.Locator("[data-field='Receipt log']")).ToHaveTextAsync(
            new System.Text.RegularExpressions.Regex(@"^leaf \d+ of rl_[0-9a-f]{16}, under its tree head of size \d+ signed Ed25519, key rk_[0-9a-f]{16}$"));
        await Expect(report.Locator("[data-field='Signature']")).ToHaveCountAsync(0);
        await tab.ScreenshotAsync("tenant-usage");

        report = await LookUpReceiptAsync(page, publisherRequest);
        await Expect(report.Locator("[data-field='Hosting']")).ToHaveTextAsync("Publisher-hosted");
        await Expect(report.Locator("[data-field='Records rest in']")).ToHaveTextAsync("geography eu");
        await Expect(report).ToContainTextAsync("Processed on the publisher's infrastructure");

        tab.AssertNoErrors();
    }

    private async Task WaitForUsageAsync(string tenantId, int deployments)
    {
        var period = DateTime.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 200; i++)
        {
            var daily = await portal.AdminAsync(HttpMethod.Get, $"tenants/{tenantId}/usage/daily?period={period}");
            if (daily.GetProperty("days").EnumerateArray().Sum(d => d.GetProperty("deployments").GetArrayLength()) >= deployments)
            {
                return;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"The usage of {deployments} deployment(s) was not recorded.");
    }

    private static async Task DeployAsync(IPage page, ILocator resource, string name, string hosting, string type)
    {
        await resource.GetByRole(AriaRole.Button, new() { Name = "New deployment in eu-app" }).ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "New deployment in eu-app" });
        await form.GetByLabel("Deployment name").FillAsync(name);
        await Expect(form.GetByLabel("Offer")).ToHaveValueAsync("off_claude");
        await form.GetByLabel("Model").SelectOptionAsync("claude-sonnet-5");
        await form.GetByRole(AriaRole.Group, new() { Name = "Hosting" }).GetByLabel(hosting, new() { Exact = false }).CheckAsync();
        await form.GetByRole(AriaRole.Group, new() { Name = "Deployment type" }).GetByLabel(type, new() { Exact = false }).CheckAsync();
        await Expect(form.Locator("figure.boundary figcaption")).ToContainTextAsync("data zone eu");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create deployment" }).ClickAsync();
        await Expect(resource.Locator($"article[data-deployment='{name}']")).ToBeVisibleAsync();
    }

    private static async Task<string> CallAsync(HttpClient node, string key, string model)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                $$"""{"model":"{{model}}","max_tokens":64,"messages":[{"role":"user","content":"Hello from the portal walkthrough"}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        using var response = await node.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/messages ({model}) → {(int)response.StatusCode}: {body}");
        Assert.Equal("message", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
        return response.Headers.GetValues("request-id").Single();
    }

    /// <summary>One receipt by its request id, read as the signed-in tenant: no API key is entered.</summary>
    private static async Task<ILocator> LookUpReceiptAsync(IPage page, string requestId)
    {
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Find receipts" });
        await form.GetByLabel("Request id").FillAsync(requestId);
        await form.GetByRole(AriaRole.Button, new() { Name = "Show receipt" }).ClickAsync();
        var report = page.Locator($"article[data-receipt='{requestId}']");
        await Expect(report).ToBeVisibleAsync();
        return report;
    }
}
