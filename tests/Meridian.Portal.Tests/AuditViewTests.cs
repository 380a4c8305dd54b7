using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>The operator's audit view answers "who changed what": people by name, filters by actor and action, changes field by field.</summary>
public sealed class AuditViewTests(PortalFixture portal)
{
    [Fact]
    public async Task Filtering_by_a_token_name_shows_its_changes_under_that_name_with_the_id_on_hover()
    {
        // A tenant admin (not another operator: the last operator token must stay the last for FailureVisibilityTests).
        var tenantId = await portal.CreateTenantAsync("Named Actor Ltd");
        var name = "Tara Tenant " + Guid.NewGuid().ToString("N")[..6];
        var created = await portal.AdminAsync(HttpMethod.Post, "tokens", new { role = "tenant-admin", name, tenant_id = tenantId });
        var tokenId = created.GetProperty("id").GetString()!;
        var resource = await portal.AdminAsync(HttpMethod.Post, $"tenants/{tenantId}/resources", new { name = "named", region = "eastus" }, created.GetProperty("token").GetString()!);

        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/operator/audit");
        await tab.Page.GetByLabel("Actor").FillAsync(name);
        await tab.Page.GetByLabel("Action").FillAsync("resource");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        var rows = tab.Page.Locator("table.audit > tbody > tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToHaveAttributeAsync("data-action", "resource.create");
        var actor = rows.Locator(".actor");
        await Expect(actor).ToHaveTextAsync(name);
        await Expect(actor).ToHaveAttributeAsync("title", $"token:{tokenId}");
        await Expect(rows).ToContainTextAsync(resource.GetProperty("id").GetString()!);
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task An_expanded_audit_change_shows_the_changed_fields_inside_the_desktop_layout()
    {
        var tenant = await portal.CreateTenantAsync("Audit Diff Ltd");
        await portal.AdminAsync(HttpMethod.Put, $"tenants/{tenant}/limits", new { monthly_budget_usd = "125.50" });
        await portal.AdminAsync(HttpMethod.Put, $"tenants/{tenant}/limits", new { monthly_budget_usd = "300" });
        var records = await portal.AdminAsync(HttpMethod.Get, $"audit?object_id={tenant}&limit=50");
        var change = records.GetProperty("data").EnumerateArray().First(r => r.GetProperty("action").GetString() == "limits.set"
            && r.GetProperty("before").ValueKind == JsonValueKind.Object);
        var was = change.GetProperty("before").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        var now = change.GetProperty("after").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        string[] differing = [.. was.Keys.Union(now.Keys).Where(k => was.GetValueOrDefault(k) != now.GetValueOrDefault(k)).Order(StringComparer.Ordinal)];
        Assert.Contains("version", differing);

        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/operator/audit");
        await tab.Page.GetByLabel("Object id").FillAsync(tenant);
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var row = tab.Page.Locator($"tr[data-action='limits.set']:has(summary)").First;
        await row.GetByText("what changed").ClickAsync();

        // Exactly the fields that differ are listed, each with its old value struck through and its new one inserted.
        var listed = await row.Locator(".diff tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.field)");
        Assert.Equal(differing, listed.Order(StringComparer.Ordinal));
        var version = row.Locator("tr[data-field='version']");
        await Expect(version.Locator("del")).ToHaveTextAsync(was["version"]);
        await Expect(version.Locator("ins")).ToHaveTextAsync(now["version"]);
        await Expect(row.Locator(".diff .hint")).ToContainTextAsync($"{was.Keys.Union(now.Keys).Count() - differing.Length}");

        var layout = await tab.Page.EvaluateAsync<JsonElement>(PhoneLayoutTests.Overflow);
        Assert.True(layout.GetProperty("scrollWidth").GetInt32() <= layout.GetProperty("width").GetInt32(), layout.ToString());
        tab.AssertNoErrors();
    }
}
