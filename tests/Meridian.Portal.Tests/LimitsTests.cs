using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>Tenants see their budget and quotas where they see their usage, and a tenant admin changes them there.</summary>
public sealed class LimitsTests(PortalFixture portal)
{
    [Fact]
    public async Task A_tenant_admin_sets_the_budget_and_a_deployment_quota_and_a_developer_only_reads_them()
    {
        var (tenant, _, deploymentId) = await portal.TenantWithDeploymentAsync("Quota Co", "quota-dep");
        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: tenant));
        await tab.OpenAsync("/portal/tenant/usage");
        var section = tab.Page.Locator("section.limits");
        await Expect(section).ToContainTextAsync("no monthly budget");

        await section.GetByLabel("Monthly budget, USD (blank: none)").FillAsync("12.50");
        await section.GetByRole(AriaRole.Button, new() { Name = "Save budget" }).ClickAsync();
        await Expect(section.GetByRole(AriaRole.Status)).ToContainTextAsync("Budget saved");
        await Expect(section).ToContainTextAsync("of a $12.50 monthly budget");
        Assert.Equal("12.50", (await portal.AdminAsync(HttpMethod.Get, $"tenants/{tenant}/limits")).GetProperty("monthly_budget_usd").ToString());

        var row = section.Locator("tr[data-deployment='quota-dep']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Change" }).ClickAsync();
        await row.GetByLabel("Requests per minute for quota-dep").FillAsync("many");
        await row.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(row.GetByRole(AriaRole.Alert)).ToContainTextAsync("not a whole number");

        await row.GetByLabel("Requests per minute for quota-dep").FillAsync("30");
        await row.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(row.Locator("[data-field='rpm']")).ToHaveTextAsync("30");
        var stored = await portal.AdminAsync(HttpMethod.Get, $"deployments/{deploymentId}/limits");
        Assert.Equal(30, stored.GetProperty("rpm").GetInt32());
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("input_tpm").ValueKind);
        tab.AssertNoErrors();

        await using var developer = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-developer", tenantId: tenant));
        await developer.OpenAsync("/portal/tenant/usage");
        var seen = developer.Page.Locator("section.limits");
        await Expect(seen).ToContainTextAsync("of a $12.50 monthly budget");
        await Expect(seen.Locator("tr[data-deployment='quota-dep'] [data-field='rpm']")).ToHaveTextAsync("30");
        await Expect(seen.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
    }
}
