using System.Net;
using System.Text.Json;
using Meridian.Gateway.Tests.Routing;

namespace Meridian.Gateway.Tests.Admin;

/// <summary><c>GET /admin/v1/backends</c>: the router's live health, latency and counters, as the operator's portal shows them.</summary>
public sealed class BackendHandlersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Backends_report_health_latency_traffic_and_errors_as_the_router_saw_them()
    {
        await using var lab = await RoutingLab.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            using var response = await lab.SendAsync(stream: i % 2 == 1);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync(Ct);
        }

        // East dies: the next two requests try it first (connect errors, the lab ejects after two), then west alone.
        await lab.East.KillAsync();
        for (var i = 0; i < 4; i++)
        {
            using var response = await lab.SendAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var (status, json) = await lab.AdminAsync(HttpMethod.Get, "/admin/v1/backends");
        Assert.Equal(200, status);
        Assert.Equal(60, json.GetProperty("window_seconds").GetInt32());
        var backends = json.GetProperty("data").EnumerateArray().ToDictionary(b => b.GetProperty("id").GetString()!);
        Assert.Equal(["east-1", "west-1", "eu-1"], backends.Keys);

        var east = backends["east-1"];
        Assert.Equal("ejected", east.GetProperty("condition").GetString());
        Assert.Equal("unhealthy (ejected after failures)", east.GetProperty("health").GetString());
        Assert.NotEqual(JsonValueKind.Null, east.GetProperty("ejected_until").ValueKind);
        Assert.Equal(("eastus", "us", "platform", "anthropic"), Placement(east));
        Assert.True(east.GetProperty("probed").GetBoolean());
        Assert.True(east.GetProperty("latency_ms").GetDouble() > 0);
        Assert.Equal((6, 2, 6, 2), Traffic(east));
        Assert.Equal(0.3333, east.GetProperty("traffic").GetProperty("error_rate_last_minute").GetDouble());

        var west = backends["west-1"];
        Assert.Equal("healthy", west.GetProperty("condition").GetString());
        Assert.Equal(JsonValueKind.Null, west.GetProperty("ejected_until").ValueKind);
        Assert.Equal((4, 0, 4, 0), Traffic(west));
        Assert.Equal(0, west.GetProperty("traffic").GetProperty("error_rate_last_minute").GetDouble());
        Assert.Equal(["claude-sonnet-5"], west.GetProperty("models").EnumerateArray().Select(m => m.GetString()));

        // Never asked: no latency, no rate (rather than a rate of 0 % out of nothing).
        var eu = backends["eu-1"];
        Assert.Equal(("swedencentral", "eu", "platform", "anthropic"), Placement(eu));
        Assert.Equal(JsonValueKind.Null, eu.GetProperty("latency_ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, eu.GetProperty("models").ValueKind);
        Assert.Equal((0, 0, 0, 0), Traffic(eu));
        Assert.Equal(JsonValueKind.Null, eu.GetProperty("traffic").GetProperty("error_rate_last_minute").ValueKind);

        var total = json.GetProperty("total");
        Assert.Equal(10, total.GetProperty("requests").GetInt64());
        Assert.Equal(2, total.GetProperty("errors").GetInt64());
        Assert.Equal(0.2, total.GetProperty("error_rate_last_minute").GetDouble());

        // Ids, kinds and places only: never where a backend lives or how the gateway signs in to it.
        var text = json.GetRawText();
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("upstream-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain(RoutingLab.CredentialVariable, text, StringComparison.Ordinal);
    }

    private static (string, string?, string, string) Placement(JsonElement backend) => (
        backend.GetProperty("region").GetString()!, backend.GetProperty("data_zone").GetString(),
        backend.GetProperty("operated_by").GetString()!, backend.GetProperty("kind").GetString()!);

    private static (long, long, long, long) Traffic(JsonElement backend)
    {
        var traffic = backend.GetProperty("traffic");
        return (traffic.GetProperty("requests").GetInt64(), traffic.GetProperty("errors").GetInt64(),
            traffic.GetProperty("requests_last_minute").GetInt64(), traffic.GetProperty("errors_last_minute").GetInt64());
    }
}
