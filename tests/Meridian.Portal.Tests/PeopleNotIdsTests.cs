using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// Who did what, by name: every "by" the API answers carries the actor's display name beside its id, and the portal
/// shows the name with the id on hover. A key shows when it was last used, and a tenant's people read and list its
/// receipts as they are signed in, without an API key (another tenant's are answered as missing).
/// </summary>
public sealed class PeopleNotIdsTests(PortalFixture portal)
{
    [Fact]
    public async Task A_key_shows_who_created_it_by_name_and_when_it_was_last_used()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("LastUse Co", "lastuse-dep");
        var tara = await portal.CreateTokenAsync("tenant-admin", tenantId: tenant);
        var taraId = (await portal.AdminAsync(HttpMethod.Get, "whoami", token: tara)).GetProperty("token_id").GetString()!;
        var created = await portal.AdminAsync(HttpMethod.Post, $"resources/{resource}/keys", new { name = "service" }, tara);
        var key = created.GetProperty("key").GetString()!;
        var keyId = created.GetProperty("id").GetString()!;
        Assert.Equal("Tara (tenant admin)", created.GetProperty("created_by_name").GetString());
        Assert.Equal(JsonValueKind.Null, (await portal.AdminAsync(HttpMethod.Get, $"keys/{keyId}")).GetProperty("last_used_at").ValueKind);

        await using var tab = await portal.NewPageAsync(tara);
        await tab.OpenAsync("/portal/tenant/keys");
        var row = tab.Page.Locator($"section[data-resource='{resource}'] tr[data-key='{created.GetProperty("prefix").GetString()}']");
        await Expect(row.Locator("[data-field='last-used']")).ToHaveTextAsync("never");
        await Expect(row.GetByTitle($"token:{taraId}")).ToHaveTextAsync($"Tara (tenant admin) (token:{taraId})");

        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using (var response = await portal.MessagesAsync(key, "Hello"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var lastUsed = await LastUsedAsync(keyId);
        Assert.InRange(lastUsed, before, DateTimeOffset.UtcNow.AddSeconds(1));

        await tab.OpenAsync("/portal/tenant/keys");
        await Expect(row.Locator("[data-field='last-used']")).Not.ToHaveTextAsync("never");
        // A later request moves it on; the list answers the same as the key itself.
        using (var response = await portal.MessagesAsync(key, "Hello again"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var later = await LastUsedAsync(keyId, after: lastUsed);
        var listed = (await portal.AdminAsync(HttpMethod.Get, $"resources/{resource}/keys")).GetProperty("data").EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == keyId);
        Assert.Equal(later, listed.GetProperty("last_used_at").GetDateTimeOffset());
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task Acceptances_and_developer_tokens_name_who_accepted_and_who_issued()
    {
        var tenant = await portal.CreateTenantAsync("Names Co " + Guid.NewGuid().ToString("N")[..6]);
        var tara = await portal.CreateTokenAsync("tenant-admin", tenantId: tenant);
        var offer = await portal.AdminAsync(HttpMethod.Get, "offers/off_claude");
        var subscription = await portal.AdminAsync(HttpMethod.Post, $"tenants/{tenant}/subscriptions",
            new { offer_id = "off_claude", accept_terms_version = offer.GetProperty("terms").GetProperty("version").GetInt32() }, tara);
        Assert.Equal("Tara (tenant admin)", subscription.GetProperty("accepted_by_name").GetString());
        var acceptance = (await portal.AdminAsync(HttpMethod.Get, "offers/off_claude/acceptances?limit=200")).GetProperty("data").EnumerateArray()
            .Single(a => a.GetProperty("tenant_id").GetString() == tenant);
        Assert.Equal("Tara (tenant admin)", acceptance.GetProperty("accepted_by_name").GetString());

        var developer = await portal.AdminAsync(HttpMethod.Post, "tokens", new { role = "tenant-developer", name = "Dana (developer)" }, tara);
        Assert.Equal("Tara (tenant admin)", developer.GetProperty("created_by_name").GetString());
        await using var tab = await portal.NewPageAsync(tara);
        await tab.OpenAsync("/portal/tenant/tokens");
        await Expect(tab.Page.Locator($"table.developer-tokens tr[data-token='{developer.GetProperty("id").GetString()}']"))
            .ToContainTextAsync("by Tara (tenant admin)");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_tenants_people_read_its_receipts_by_their_role_and_never_another_tenants()
    {
        var (tenantA, resourceA, _) = await portal.TenantWithDeploymentAsync("Receipts A", "receipts-a");
        var (tenantB, resourceB, _) = await portal.TenantWithDeploymentAsync("Receipts B", "receipts-b");
        var requestA = await CallAsync(resourceA, "receipts-a");
        var requestB = await CallAsync(resourceB, "receipts-b");
        var developerA = await portal.CreateTokenAsync("tenant-developer", tenantId: tenantA);
        var adminA = await portal.CreateTokenAsync("tenant-admin", tenantId: tenantA);
        var publisher = await portal.CreateTokenAsync("publisher-admin", publisherId: "pub_anthropic");

        var own = await GetAsync($"tenants/{tenantA}/receipts/{requestA}", developerA);
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Equal(requestA, own.Body.GetProperty("request_id").GetString());
        Assert.True(own.Body.TryGetProperty("log", out _));

        // Another tenant's receipt through one's own tenant, and another tenant's path: both as if missing.
        var theirs = await GetAsync($"tenants/{tenantA}/receipts/{requestB}", adminA);
        Assert.Equal(HttpStatusCode.NotFound, theirs.Status);
        Assert.Equal($"No receipt with id '{requestB}'.", theirs.Body.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"tenants/{tenantB}/receipts/{requestB}", adminA)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync($"tenants/{tenantA}/receipts/{requestA}", publisher)).Status);

        // In the portal: the request id alone, no API key.
        await using var tab = await portal.NewPageAsync(developerA);
        await tab.OpenAsync("/portal/tenant/usage");
        var form = tab.Page.GetByRole(AriaRole.Form, new() { Name = "Find receipts" });
        await form.GetByLabel("Request id").FillAsync(requestA);
        await form.GetByRole(AriaRole.Button, new() { Name = "Show receipt" }).ClickAsync();
        await Expect(tab.Page.Locator($"article[data-receipt='{requestA}']")).ToBeVisibleAsync();
        await form.GetByLabel("Request id").FillAsync(requestB);
        await form.GetByRole(AriaRole.Button, new() { Name = "Show receipt" }).ClickAsync();
        await Expect(tab.Page.Locator("section.receipts").GetByRole(AriaRole.Alert)).ToContainTextAsync($"No receipt with id '{requestB}'.");
    }

    [Fact]
    public async Task A_tenants_people_list_its_receipts_by_their_role_with_proofs_and_never_another_tenants()
    {
        var (tenantA, resourceA, _) = await portal.TenantWithDeploymentAsync("Listed A", "listed-a");
        var (tenantB, resourceB, _) = await portal.TenantWithDeploymentAsync("Listed B", "listed-b");
        var first = await CallAsync(resourceA, "listed-a");
        var second = await CallAsync(resourceA, "listed-a");
        var theirs = await CallAsync(resourceB, "listed-b");
        var developerA = await portal.CreateTokenAsync("tenant-developer", tenantId: tenantA);
        var adminA = await portal.CreateTokenAsync("tenant-admin", tenantId: tenantA);
        var publisher = await portal.CreateTokenAsync("publisher-admin", publisherId: "pub_anthropic");

        // The data plane's page, one receipt a page here, each with its leaf and proof once written; the cursor goes on.
        var page = await CommittedPageAsync($"tenants/{tenantA}/receipts?limit=1", developerA);
        var listed = Assert.Single(page.GetProperty("data").EnumerateArray());
        Assert.True(listed.GetProperty("log").TryGetProperty("leaf_index", out _));
        Assert.True(page.GetProperty("has_more").GetBoolean());
        var cursor = page.GetProperty("next_cursor").GetString()!;
        var rest = await GetAsync($"tenants/{tenantA}/receipts?limit=1&cursor={Uri.EscapeDataString(cursor)}", adminA);
        var next = Assert.Single(rest.Body.GetProperty("data").EnumerateArray());
        Assert.Equal(
            new[] { first, second }.Order(StringComparer.Ordinal),
            new[] { listed.GetProperty("request_id").GetString()!, next.GetProperty("request_id").GetString()! }.Order(StringComparer.Ordinal));
        Assert.False(rest.Body.GetProperty("has_more").GetBoolean());
        Assert.Equal(JsonValueKind.Null, rest.Body.GetProperty("next_cursor").ValueKind);

        // The operator reads any tenant's; another tenant is answered as missing, a publisher is refused.
        var asOperator = await portal.AdminAsync(HttpMethod.Get, $"tenants/{tenantB}/receipts");
        Assert.Equal(theirs, Assert.Single(asOperator.GetProperty("data").EnumerateArray()).GetProperty("request_id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"tenants/{tenantB}/receipts", adminA)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync($"tenants/{tenantA}/receipts", publisher)).Status);

        // Bad paging is the admin API's problem, naming the field.
        var bad = await GetAsync($"tenants/{tenantA}/receipts?limit=0", adminA);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.True(bad.Body.GetProperty("errors").TryGetProperty("limit", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync($"tenants/{tenantA}/receipts?cursor=not-a-cursor", adminA)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync($"tenants/{tenantA}/receipts?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", adminA)).Status);

        // In the portal: the period's receipts with no API key; another tenant's are not among them.
        await using var tab = await portal.NewPageAsync(developerA);
        await tab.OpenAsync("/portal/tenant/usage");
        var form = tab.Page.GetByRole(AriaRole.Form, new() { Name = "Find receipts" });
        await Expect(form.GetByLabel("API key", new() { Exact = false })).ToHaveCountAsync(0);
        await form.GetByRole(AriaRole.Button, new() { Name = "List receipts" }).ClickAsync();
        await Expect(tab.Page.Locator("table.receipt-list tbody tr")).ToHaveCountAsync(2);
        await Expect(tab.Page.Locator($"table.receipt-list tr[data-request='{second}']")).ToContainTextAsync("listed-a");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = $"Show receipt {first}" }).ClickAsync();
        await Expect(tab.Page.Locator($"article[data-receipt='{first}']")).ToBeVisibleAsync();
        tab.AssertNoErrors();
    }

    private async Task<string> CallAsync(string resource, string deployment)
    {
        var key = (await portal.AdminAsync(HttpMethod.Post, $"resources/{resource}/keys", new { name = "caller" })).GetProperty("key").GetString()!;
        using var response = await portal.MessagesAsync(key, "Hello", model: deployment);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("request-id").Single();
        // The receipt is written in the background: wait until the data plane serves it.
        for (var i = 0; i < 200; i++)
        {
            using var lookup = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
            lookup.Headers.Add("x-api-key", key);
            using var found = await portal.Http.SendAsync(lookup, TestContext.Current.CancellationToken);
            if (found.IsSuccessStatusCode)
            {
                return requestId;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"The receipt of {requestId} was never served.");
    }

    /// <summary>A list page once every receipt on it is committed (a queued one is listed with "log": null).</summary>
    private async Task<JsonElement> CommittedPageAsync(string path, string token)
    {
        for (var i = 0; i < 200; i++)
        {
            var (status, body) = await GetAsync(path, token);
            Assert.Equal(HttpStatusCode.OK, status);
            if (body.GetProperty("data").EnumerateArray().All(r => r.GetProperty("log").ValueKind == JsonValueKind.Object))
            {
                return body;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"GET {path} never listed only committed receipts.");
    }

    /// <summary>The key's last use once the record writer has written the request (it writes in the background).</summary>
    private async Task<DateTimeOffset> LastUsedAsync(string keyId, DateTimeOffset? after = null)
    {
        for (var i = 0; i < 200; i++)
        {
            var value = (await portal.AdminAsync(HttpMethod.Get, $"keys/{keyId}")).GetProperty("last_used_at");
            if (value.ValueKind == JsonValueKind.String && value.GetDateTimeOffset() is var at && (after is null || at > after))
            {
                return at;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"Key {keyId} never showed a last use{(after is null ? string.Empty : " after " + after.Value.ToString("O"))}.");
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/v1/" + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await portal.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return (response.StatusCode, document.RootElement.Clone());
    }
}
