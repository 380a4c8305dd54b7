using System.Net;
using System.Text.Json;
using Meridian.Core.Billing;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>
/// <c>GET /admin/v1/tenants/{t}/usage/daily</c>, the data of the portal's usage charts: per UTC day and deployment,
/// requests, tokens and cost at the prices of the time — adding up exactly to the invoice.
/// </summary>
public sealed class DailyUsageTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task Each_day_and_deployment_is_priced_and_the_days_add_up_to_the_invoice()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var second = await server.CreateAsync($"/admin/v1/resources/{world.ResourceId}/deployments", new
        {
            name = Marketplace.Unique("second"),
            offer_id = world.OfferId,
            model_id = "metered-model-1",
            hosting_option = "platform",
            deployment_type = "datazone",
        });
        var (secondId, secondName) = (second.GetProperty("id").GetString()!, second.GetProperty("name").GetString()!);
        var period = BillingPeriod.Of(BillingPeriod.Of(DateTimeOffset.UtcNow).Start.AddDays(-1));
        var day3 = period.Start.AddDays(2);
        var day17 = period.Start.AddDays(16);

        // Last month, written into the tenant's geography store as the ledger writer would have; the hour edges of a day
        // (00:00 and 23:59) belong to that day.
        using var geographies = TestStores.Geographies(server.DataDirectory, "eu");
        geographies.For("eu").InsertUsage(
        [
            Usage(world, world.DeploymentId, world.DeploymentName, "a1", day3.AddHours(10.25), new TokenCounts(1000, 200, 0, 0)),
            Usage(world, secondId, secondName, "b1", day3.AddHours(23).AddMinutes(59), new TokenCounts(500, 100, 40, 60)),
            Usage(world, world.DeploymentId, world.DeploymentName, "a2", day17, new TokenCounts(2000, 0, 0, 0)),
            Usage(world, world.DeploymentId, world.DeploymentName, "a3", day17.AddHours(12), new TokenCounts(0, 300, 0, 0)),
        ]);

        var daily = (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/usage/daily?period={period}")).Json;
        Assert.Equal(world.TenantId, daily.GetProperty("tenant_id").GetString());
        Assert.Equal("USD", daily.GetProperty("currency").GetString());
        var days = daily.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal([$"{period}-03", $"{period}-17"], days.Select(d => d.GetProperty("day").GetString()));

        var third = days[0].GetProperty("deployments").EnumerateArray().ToDictionary(d => d.GetProperty("deployment_id").GetString()!);
        Assert.Equal(Cost(1000, 200, 0, 0), MeteringWorld.Dec(third[world.DeploymentId].GetProperty("cost")));
        Assert.Equal(1, third[world.DeploymentId].GetProperty("requests").GetInt64());
        Assert.Equal(Cost(500, 100, 40, 60), MeteringWorld.Dec(third[secondId].GetProperty("cost")));
        Assert.Equal((500, 100, 40, 60), Tokens(third[secondId]));
        Assert.Equal(Cost(1000, 200, 0, 0) + Cost(500, 100, 40, 60), MeteringWorld.Dec(days[0].GetProperty("cost")));
        Assert.Equal((1500, 300, 40, 60), Tokens(days[0]));

        var seventeenth = Assert.Single(days[1].GetProperty("deployments").EnumerateArray());
        Assert.Equal(world.DeploymentId, seventeenth.GetProperty("deployment_id").GetString());
        Assert.Equal(world.DeploymentName, seventeenth.GetProperty("deployment_name").GetString());
        Assert.Equal(2, seventeenth.GetProperty("requests").GetInt64());
        Assert.Equal(Cost(2000, 300, 0, 0), MeteringWorld.Dec(seventeenth.GetProperty("cost")));

        var invoice = (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/invoices?period={period}")).Json;
        Assert.Equal(MeteringWorld.Dec(invoice.GetProperty("total")), MeteringWorld.Dec(daily.GetProperty("total")));
        Assert.Equal(days.Sum(d => MeteringWorld.Dec(d.GetProperty("cost"))), MeteringWorld.Dec(daily.GetProperty("total")));
    }

    [Fact]
    public async Task A_price_change_during_the_day_prices_each_part_at_its_own_price()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var period = BillingPeriod.Of(DateTimeOffset.UtcNow);
        var today = DateTimeOffset.UtcNow.UtcDateTime.Date;
        var before = await world.SendAsync("Before the price change.", maxTokens: 40);
        Assert.True(before.Ok, before.Body);
        var patched = await server.SendAsync(HttpMethod.Patch, $"/admin/v1/offers/{world.OfferId}", body: new { prices = new { input = "1.00", output = "2.00" } });
        Assert.True(patched.IsSuccess, patched.Text);
        await world.AcceptTermsAsync();
        var after = await world.SendAsync("After the price change.", maxTokens: 40);
        Assert.True(after.Ok, after.Body);
        if (BillingPeriod.Of(DateTimeOffset.UtcNow) != period || DateTimeOffset.UtcNow.UtcDateTime.Date != today)
        {
            Assert.Skip("The day changed during the test; its usage is split across two days.");
        }

        var daily = (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/usage/daily?period={period}")).Json;
        var day = Assert.Single(daily.GetProperty("days").EnumerateArray());
        var expected = MeteringWorld.ExpectedCost([before], 3.125m, 15.00m) + MeteringWorld.ExpectedCost([after], 1.00m, 2.00m);
        Assert.Equal(expected, MeteringWorld.Dec(day.GetProperty("cost")));
        Assert.Equal(2, day.GetProperty("requests").GetInt64());
        var invoice = (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/invoices?period={period}")).Json;
        Assert.Equal(MeteringWorld.Dec(invoice.GetProperty("total")), MeteringWorld.Dec(daily.GetProperty("total")));
    }

    [Fact]
    public async Task A_period_without_usage_has_no_days_and_a_bad_period_is_refused()
    {
        var world = await MeteringWorld.CreateAsync(server);

        var empty = (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/usage/daily?period=2020-01")).Json;
        Assert.Empty(empty.GetProperty("days").EnumerateArray());
        Assert.Equal("0.00", empty.GetProperty("total").GetString());

        var missing = await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/usage/daily");
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("period", missing.Text, StringComparison.Ordinal);
    }

    private static decimal Cost(long input, long output, long cacheWrite, long cacheRead) =>
        ((input * 3.125m) + (output * 15.00m) + (cacheWrite * 3.75m) + (cacheRead * 0.30m)) / 1_000_000m;

    private static (long, long, long, long) Tokens(JsonElement e) => (
        e.GetProperty("input_tokens").GetInt64(), e.GetProperty("output_tokens").GetInt64(),
        e.GetProperty("cache_creation_input_tokens").GetInt64(), e.GetProperty("cache_read_input_tokens").GetInt64());

    private static UsageRecord Usage(MeteringWorld world, string deploymentId, string deploymentName, string id, DateTimeOffset at, TokenCounts tokens) => new()
    {
        RequestId = $"req_daily_{id}_{Guid.NewGuid():N}",
        At = at,
        TenantId = world.TenantId,
        KeyId = world.KeyId,
        ResourceId = world.ResourceId,
        DeploymentId = deploymentId,
        DeploymentName = deploymentName,
        OfferId = world.OfferId,
        PublisherId = world.PublisherId,
        Model = "metered-model-1",
        StorageGeography = "eu",
        Tokens = tokens,
        Source = UsageSource.Backend,
    };
}
