using System.Net;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>Monthly budgets: checked on admission from the running total the ledger writer keeps, alerts in the log.</summary>
public sealed class BudgetTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task A_used_up_tenant_budget_refuses_the_next_request_and_alerts_once()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var set = await server.SendAsync(HttpMethod.Put, $"/admin/v1/tenants/{world.TenantId}/limits", body: new { monthly_budget_usd = "0.0001" });
        Assert.True(set.IsSuccess, set.Text);

        // One answer costs more than 0.0001 USD (≥ 10 input tokens at 3.125 and some output at 15 per million).
        var first = await world.SendAsync("Spend my whole budget, please, with a reasonably long answer.", maxTokens: 64);
        Assert.True(first.Ok, first.Body);
        Assert.True(MeteringWorld.ExpectedCost([first], 3.125m, 15m) >= 0.0001m);

        var second = await world.SendAsync("And a little more.");
        var message = await ApiAssert.ErrorAsync(second.Response, HttpStatusCode.BadRequest, "invalid_request_error", "usage limits");
        Assert.Contains($"tenant '{world.TenantId}'", message, StringComparison.Ordinal);
        Assert.Contains("regain access on", message, StringComparison.Ordinal);

        var limits = (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/limits")).Json;
        Assert.Equal("0.0001", limits.GetProperty("monthly_budget_usd").GetString());
        // Exact, as the budget is: rounded to cents it would read 0.00 on a budget already used up.
        Assert.Equal(MeteringWorld.ExpectedCost([first], 3.125m, 15m), MeteringWorld.Dec(limits.GetProperty("spent_this_month_usd")));

        var alerts = server.Log.Where(l => l.Contains("Budget alert", StringComparison.Ordinal) && l.Contains(world.TenantId, StringComparison.Ordinal)).ToList();
        Assert.Equal(3, alerts.Count);
        Assert.Contains(alerts, a => a.Contains("crossed 100%", StringComparison.Ordinal));
        Assert.DoesNotContain(alerts, a => a.Contains(world.Key, StringComparison.Ordinal));

        // Raising the budget lets requests through again, at once on this node.
        var raised = await server.SendAsync(HttpMethod.Put, $"/admin/v1/tenants/{world.TenantId}/limits", body: new { monthly_budget_usd = "100" });
        Assert.True(raised.IsSuccess, raised.Text);
        Assert.True((await world.SendAsync("Back in business.")).Ok);
    }

    [Fact]
    public async Task A_deployment_budget_stops_that_deployment_only()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var other = await world.AnotherTenantAsync();
        Assert.True((await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{world.DeploymentId}/limits", body: new { monthly_budget_usd = "0.00001" })).IsSuccess);

        Assert.True((await world.SendAsync("First one.")).Ok);
        var refused = await world.SendAsync("Second one.");
        await ApiAssert.ErrorAsync(refused.Response, HttpStatusCode.BadRequest, "invalid_request_error", $"deployment '{world.DeploymentName}'");
        Assert.True((await other.SendAsync("Other tenant, same offer.")).Ok);
    }
}
