using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// What a tenant admin does alone in the portal: rotate a key with an overlap (both keys work until it ends, so callers
/// move without downtime) or at once, give a key an expiry date, and issue and revoke its developers' admin tokens.
/// </summary>
public sealed class SelfServiceTests(PortalFixture portal)
{
    [Fact]
    public async Task A_tenant_admin_rotates_a_key_with_an_overlap_then_without_and_callers_see_exactly_that()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("Rotate Co", "rotate-dep");
        var created = await portal.AdminAsync(HttpMethod.Post, $"resources/{resource}/keys", new { name = "service" });
        var original = created.GetProperty("key").GetString()!;
        var originalPrefix = created.GetProperty("prefix").GetString()!;

        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: tenant));
        await tab.OpenAsync("/portal/tenant/keys");
        var keys = tab.Page.Locator($"section[data-resource='{resource}']");
        await keys.GetByRole(AriaRole.Button, new() { Name = $"Rotate {originalPrefix}…" }).ClickAsync();
        var form = keys.GetByRole(AriaRole.Form, new() { Name = $"Rotate key {originalPrefix}" });
        await form.GetByLabel($"After rotation, the old key {originalPrefix}").SelectOptionAsync("86400");
        await form.GetByRole(AriaRole.Button, new() { Name = $"Rotate {originalPrefix}" }).ClickAsync();

        var successor = await keys.GetByLabel("New API key for rotate-dep-res", new() { Exact = true }).InputValueAsync();
        await Expect(keys.GetByRole(AriaRole.Status).Filter(new() { HasText = "keeps working until" })).ToContainTextAsync($"Key {originalPrefix} keeps working until");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(original));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(successor));

        // Rotating the successor at once: it stops on its next request, and its own successor works.
        var successorPrefix = (await portal.AdminAsync(HttpMethod.Get, $"resources/{resource}/keys")).GetProperty("data").EnumerateArray()
            .Select(k => k.GetProperty("prefix").GetString()!).Single(p => p != originalPrefix);
        Assert.StartsWith(successorPrefix, successor, StringComparison.Ordinal);
        await keys.GetByRole(AriaRole.Button, new() { Name = $"Rotate {successorPrefix}…" }).ClickAsync();
        var again = keys.GetByRole(AriaRole.Form, new() { Name = $"Rotate key {successorPrefix}" });
        await again.GetByLabel($"After rotation, the old key {successorPrefix}").SelectOptionAsync("0");
        await again.GetByRole(AriaRole.Button, new() { Name = $"Rotate {successorPrefix}" }).ClickAsync();
        await Expect(keys.GetByRole(AriaRole.Status).Filter(new() { HasText = "stopped working now" })).ToBeVisibleAsync();
        var third = await keys.GetByLabel("New API key for rotate-dep-res", new() { Exact = true }).InputValueAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(successor));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(third));
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_key_created_with_an_expiry_date_carries_it()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("Expiry Co", "expiry-dep");
        var expires = DateTime.UtcNow.Date.AddDays(60);
        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: tenant));
        await tab.OpenAsync("/portal/tenant/keys");
        var keys = tab.Page.Locator($"section[data-resource='{resource}']");
        var create = keys.GetByRole(AriaRole.Form, new() { Name = "Create a key for expiry-dep-res" });
        await create.GetByLabel("Key name (optional)").FillAsync("temporary");
        await create.GetByLabel("Expires on (optional, UTC)").FillAsync(expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await create.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(keys.GetByLabel("New API key for expiry-dep-res", new() { Exact = true })).ToBeVisibleAsync();

        var listed = await portal.AdminAsync(HttpMethod.Get, $"resources/{resource}/keys");
        var key = Assert.Single(listed.GetProperty("data").EnumerateArray(), k => k.GetProperty("name").GetString() == "temporary");
        Assert.Equal(new DateTimeOffset(expires, TimeSpan.Zero), key.GetProperty("expires_at").GetDateTimeOffset());
        await Expect(keys.Locator($"tr[data-key='{key.GetProperty("prefix").GetString()}']")).ToContainTextAsync(expires.ToString("yyyy", CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_tenant_admin_issues_a_developer_token_that_signs_in_and_revokes_it_and_a_developer_cannot_issue_any()
    {
        var (tenant, _, _) = await portal.TenantWithDeploymentAsync("Tokens Co", "tokens-dep");
        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: tenant));
        await tab.OpenAsync("/portal/tenant/tokens");
        var form = tab.Page.GetByRole(AriaRole.Form, new() { Name = "New developer token" });
        await form.GetByLabel("Developer's name").FillAsync("Dana (developer)");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create developer token" }).ClickAsync();
        var token = await tab.Page.GetByRole(AriaRole.Textbox, new() { Name = "New developer token", Exact = true }).InputValueAsync();
        Assert.StartsWith("mat-", token, StringComparison.Ordinal);
        await Expect(tab.Page.Locator("table.developer-tokens")).ToContainTextAsync("Dana (developer)");

        var me = await portal.AdminAsync(HttpMethod.Get, "whoami", token: token);
        Assert.Equal(("tenant-developer", tenant), (me.GetProperty("role").GetString(), me.GetProperty("tenant_id").GetString()));

        // The developer's own portal has no token page, not even by URL.
        await using (var developer = await portal.NewPageAsync(token))
        {
            await developer.OpenAsync("/portal/tenant/keys");
            Assert.DoesNotContain("Developer tokens", await developer.NavigationLinksAsync());
            await developer.OpenAsync("/portal/tenant/tokens");
            await Expect(developer.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Not available");
        }

        var row = tab.Page.Locator($"table.developer-tokens tr[data-token='{me.GetProperty("token_id").GetString()}']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke Dana (developer)" }).ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke Dana (developer) now" }).ClickAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is revoked" })).ToBeVisibleAsync();
        await Expect(row).ToContainTextAsync("revoked");

        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/v1/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var revoked = await portal.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        tab.AssertNoErrors();
    }

    private async Task<HttpStatusCode> StatusAsync(string key)
    {
        using var response = await portal.MessagesAsync(key, "Hello from a rotating caller", "rotate-dep");
        return response.StatusCode;
    }
}
