using System.Net;
using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.Tests.Safeguards;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// The operator dashboard counts the fleet's traffic from the geography stores (not a node's memory): served requests
/// with their tokens and cost, safeguard blocks, 429s and fail-closed refusals, which never reach the usage ledger,
/// per hour and by tenant, deployment and backend, filtered on request.
/// </summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private const string BlockedText = "I'm going to kill you and your whole family.";

    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Served_blocked_rate_limited_and_fail_closed_requests_are_counted_per_hour_and_by_tenant_deployment_and_backend()
    {
        for (var i = 0; i < 2; i++)
        {
            using var ok = await _server.MessagesAsync("Hello there.");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var blocked = await _server.MessagesAsync(BlockedText))
        {
            Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        }

        // Refusals another node wrote into another geography's store: a 429 and a fail-closed refusal, neither billed.
        var now = _server.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        _server.Stores.For("eu").InsertBatch(
        [
            Refusal("req_dash_429", now, 429, "rate_limit_error", backend: null, routingFailure: null),
            Refusal("req_dash_529", now, 529, "overloaded_error", backend: null, routingFailure: "no healthy backend inside the boundary"),
        ]);

        var dashboard = await WaitForAsync(d => d.GetProperty("totals").GetProperty("requests").GetInt64() >= 5);
        var totals = dashboard.GetProperty("totals");
        Assert.Equal((5L, 3L, 1L, 1L, 1L), (totals.GetProperty("requests").GetInt64(), totals.GetProperty("errors").GetInt64(),
            totals.GetProperty("rate_limited").GetInt64(), totals.GetProperty("blocked").GetInt64(), totals.GetProperty("fail_closed").GetInt64()));
        Assert.True(totals.GetProperty("output_tokens").GetInt64() > 0);
        Assert.True(decimal.Parse(totals.GetProperty("cost").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0m);

        var hours = dashboard.GetProperty("hours").EnumerateArray().ToList();
        Assert.Equal(24, hours.Count);
        Assert.Equal(5L, hours.Sum(h => h.GetProperty("requests").GetInt64()));

        var tenant = Assert.Single(dashboard.GetProperty("by_tenant").EnumerateArray());
        Assert.Equal(("ten_demo", 5L), (tenant.GetProperty("key").GetString(), tenant.GetProperty("requests").GetInt64()));
        Assert.NotEqual("ten_demo", tenant.GetProperty("name").GetString());
        var backends = dashboard.GetProperty("by_backend").EnumerateArray().ToDictionary(b => b.GetProperty("key").GetString()!, b => b);
        // The two refusals and the block reached no backend; the two served requests did.
        Assert.Equal(3L, backends[""].GetProperty("requests").GetInt64());
        var served = Assert.Single(backends, b => b.Key.Length > 0);
        Assert.Equal(2L, served.Value.GetProperty("requests").GetInt64());
        Assert.Equal(JsonValueKind.Null, served.Value.GetProperty("cost").ValueKind);

        var onlyBackend = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/dashboard?backend={Uri.EscapeDataString(served.Key)}");
        Assert.Equal((2L, 0L), (onlyBackend.GetProperty("totals").GetProperty("requests").GetInt64(), onlyBackend.GetProperty("totals").GetProperty("errors").GetInt64()));
        Assert.False(onlyBackend.GetProperty("cost_filtered").GetBoolean());
        var otherTenant = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/dashboard?tenant=ten_nobody");
        Assert.Equal(0L, otherTenant.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(0m, decimal.Parse(otherTenant.GetProperty("totals").GetProperty("cost").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("745")]
    [InlineData("a day")]
    public async Task A_bad_range_is_a_400_naming_hours(string hours)
    {
        var (response, text) = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/dashboard?hours={Uri.EscapeDataString(hours)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("hours", text, StringComparison.Ordinal);
    }

    private async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> ready)
    {
        for (var i = 0; i < 200; i++)
        {
            var dashboard = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/dashboard");
            if (ready(dashboard))
            {
                return dashboard;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException("The dashboard never counted the requests.");
    }

    private static Receipt Refusal(string id, DateTimeOffset at, int status, string errorType, string? backend, string? routingFailure) => new()
    {
        RequestId = id,
        CreatedAt = at,
        TenantId = "ten_demo",
        KeyId = "key_other_node",
        IngressRegion = "westeurope",
        StorageGeography = "eu",
        Endpoint = "/v1/messages",
        Status = status,
        ErrorType = errorType,
        Backend = backend,
        RoutingFailure = routingFailure,
    };
}
