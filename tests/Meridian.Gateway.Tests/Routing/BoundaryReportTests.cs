using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>
/// The compliance views over receipts: <c>GET /v1/receipts</c> (the caller's tenant, by period, paged) and
/// <c>GET /admin/v1/tenants/{tenant}/boundary-report</c> (per deployment: where processed, violations).
/// </summary>
public sealed class BoundaryReportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_boundary_report_counts_requests_by_processing_location_and_finds_no_violation()
    {
        await using var lab = await RoutingLab.StartAsync();
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        for (var i = 0; i < 3; i++)
        {
            using var response = await lab.SendAsync();
        }

        await lab.East.KillAsync();
        for (var i = 0; i < 4; i++)
        {
            using var response = await lab.SendAsync();
        }

        using (await lab.SendAsync("france-only", key: RoutingLab.FranceKey))
        {
        }

        var (status, report) = await lab.AdminAsync(HttpMethod.Get,
            $"/admin/v1/tenants/ten_demo/boundary-report?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}");

        Assert.True(status == 200, report.ToString());
        Assert.Equal(8, report.GetProperty("requests").GetInt64());
        Assert.Equal(0, report.GetProperty("violations").GetInt64());
        var deployments = report.GetProperty("deployments").EnumerateArray().ToDictionary(d => d.GetProperty("deployment_name").GetString()!);
        var dataZone = deployments["claude-sonnet-5"];
        Assert.Equal(7, dataZone.GetProperty("requests").GetInt64());
        Assert.Equal("data zone us", dataZone.GetProperty("boundary").GetString());
        var places = dataZone.GetProperty("processed_in").EnumerateArray()
            .ToDictionary(p => p.GetProperty("region").GetString()!, p => p.GetProperty("requests").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["eastus"] = 3, ["westus"] = 4 }, places);
        Assert.All(dataZone.GetProperty("processed_in").EnumerateArray(), p => Assert.Equal("us", p.GetProperty("data_zone").GetString()));
        var france = deployments["france-only"];
        Assert.Equal(1, france.GetProperty("failed_closed").GetInt64());
        Assert.Equal(0, france.GetProperty("processed").GetInt64());
    }

    [Fact]
    public async Task Receipts_are_listed_by_period_for_the_callers_tenant_page_by_page()
    {
        await using var lab = await RoutingLab.StartAsync();
        var sent = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await lab.SendAsync();
            sent.Add(response.Headers.GetValues("request-id").Single());
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            request.Headers.Add("x-api-key", RoutingLab.DemoKey);
            using var response = await lab.Client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("request_id").GetString()!));
            Assert.All(page.GetProperty("data").EnumerateArray(), r => Assert.Equal("ten_demo", r.GetProperty("tenant_id").GetString()));
            cursor = page.GetProperty("has_more").GetBoolean() ? page.GetProperty("next_cursor").GetString() : null;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(sent, seen);
        Assert.Equal(3, pages);

        using var future = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?from=2099-01-01T00:00:00Z&to=2099-02-01T00:00:00Z");
        future.Headers.Add("x-api-key", RoutingLab.DemoKey);
        using var none = await lab.Client.SendAsync(future, Ct);
        Assert.Empty((await none.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("data").EnumerateArray());

        using var bad = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?from=yesterday");
        bad.Headers.Add("x-api-key", RoutingLab.DemoKey);
        using var refused = await lab.Client.SendAsync(bad, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        using var anonymous = await lab.Client.GetAsync("v1/receipts", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
