using System.Net;
using System.Text.Json;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>
/// Boundary routing end to end over real HTTP: simulator upstreams on their own loopback ports act as the eastus,
/// westus and swedencentral backends; killing them shows failover inside the us zone, fail-closed when the zone is
/// empty, and an eu backend that never receives a request it may not process.
/// </summary>
public sealed class FailoverOverHttpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killing_the_eastus_upstream_mid_run_fails_over_within_the_us_zone_and_never_touches_eu()
    {
        await using var lab = await RoutingLab.StartAsync();

        // Healthy: the resource's own region serves (nearest tier first).
        for (var i = 0; i < 4; i++)
        {
            using var response = await lab.SendAsync(stream: i % 2 == 1);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("eastus", response.Headers.GetValues("meridian-processing-region").Single());
        }

        await lab.East.KillAsync();

        var receipts = new List<JsonElement>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await lab.SendAsync(stream: i % 2 == 1);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("westus", response.Headers.GetValues("meridian-processing-region").Single());
            await response.Content.ReadAsStringAsync(Ct);
            receipts.Add(await lab.ReceiptAsync(response));
        }

        // The first requests after the kill tried eastus first and failed over; once ejected, eastus is skipped.
        var first = receipts[0];
        Assert.Equal("westus", first.GetProperty("processing_region").GetString());
        Assert.Equal("us", first.GetProperty("processing_data_zone").GetString());
        Assert.Equal("platform", first.GetProperty("processing_operator").GetString());
        Assert.StartsWith("west-1 (anthropic)", first.GetProperty("backend").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            ["east-1:connect_error", "west-1:ok"],
            first.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("backend").GetString() + ":" + a.GetProperty("outcome").GetString()));
        var last = receipts[^1];
        Assert.Equal(["west-1:ok"], last.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("backend").GetString() + ":" + a.GetProperty("outcome").GetString()));
        Assert.All(receipts, r => Assert.Equal("westus", r.GetProperty("processing_region").GetString()));

        await lab.West.KillAsync();

        // westus is tried and cannot be reached: its own error (503), with the failover path and the rejected candidates.
        using (var closed = await lab.SendAsync())
        {
            var body = await closed.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, closed.StatusCode);
            using var error = JsonDocument.Parse(body);
            Assert.Equal("api_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
            var message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
            Assert.Contains("data zone us", message, StringComparison.Ordinal);
            Assert.Contains("east-1: unhealthy (ejected after failures)", message, StringComparison.Ordinal);
            Assert.Contains("west-1: failed (connect_error)", message, StringComparison.Ordinal);
            Assert.DoesNotContain("eu-1", message, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", message, StringComparison.Ordinal);
            Assert.DoesNotContain("upstream-secret", message, StringComparison.Ordinal);
            Assert.False(closed.Headers.Contains("meridian-processing-region"));

            var receipt = await lab.ReceiptAsync(closed);
            Assert.Equal(503, receipt.GetProperty("status").GetInt32());
            Assert.Equal(JsonValueKind.Null, receipt.GetProperty("processing_region").ValueKind);
            Assert.Contains("west-1", receipt.GetProperty("routing_failure").GetString(), StringComparison.Ordinal);
        }

        using (var second = await lab.SendAsync())
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        }

        // Both ejected now: nothing is even tried, 529 overloaded_error, and still nothing goes to eu.
        using (var again = await lab.SendAsync(stream: true))
        {
            var body = await again.Content.ReadAsStringAsync(Ct);
            Assert.Equal((HttpStatusCode)529, again.StatusCode);
            Assert.Contains("overloaded_error", body, StringComparison.Ordinal);
            Assert.Contains("west-1: unhealthy (ejected after failures)", body, StringComparison.Ordinal);
            var receipt = await lab.ReceiptAsync(again);
            Assert.Equal(JsonValueKind.Null, receipt.GetProperty("attempts").ValueKind);
        }

        Assert.Equal(0, lab.Eu.Messages);
    }

    [Fact]
    public async Task A_regional_deployment_never_leaves_its_region()
    {
        await using var lab = await RoutingLab.StartAsync();
        var (status, created) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = "sonnet-eastus-only",
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "platform",
            deployment_type = "regional",
        });
        Assert.True(status == 201, created.ToString());

        using (var served = await lab.SendAsync("sonnet-eastus-only"))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("eastus", served.Headers.GetValues("meridian-processing-region").Single());
        }

        await lab.East.KillAsync();
        var westBefore = lab.West.Messages;
        for (var i = 0; i < 4; i++)
        {
            // Tried in eastus and failed (503) until ejected, then not tried at all (529): never westus.
            using var response = await lab.SendAsync("sonnet-eastus-only", stream: i % 2 == 0);
            Assert.Equal(i < 2 ? HttpStatusCode.ServiceUnavailable : (HttpStatusCode)529, response.StatusCode);
            var receipt = await lab.ReceiptAsync(response);
            Assert.All(receipt.GetProperty("attempts") is { ValueKind: JsonValueKind.Array } attempts ? attempts.EnumerateArray() : [],
                a => Assert.Equal("eastus", a.GetProperty("region").GetString()));
        }

        Assert.Equal(westBefore, lab.West.Messages);

        // The data zone deployment of the same resource may use westus, and does.
        using var dataZone = await lab.SendAsync();
        Assert.Equal("westus", dataZone.Headers.GetValues("meridian-processing-region").Single());
        Assert.Equal(0, lab.Eu.Messages);
    }

    [Fact]
    public async Task A_deployment_whose_boundary_holds_no_backend_fails_closed_with_503_naming_no_backend_outside_it()
    {
        await using var lab = await RoutingLab.StartAsync();

        using var response = await lab.SendAsync("france-only", key: RoutingLab.FranceKey);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var error = JsonDocument.Parse(body);
        Assert.Equal("api_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        var message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("region francecentral", message, StringComparison.Ordinal);
        Assert.DoesNotContain("east-1", message, StringComparison.Ordinal);
        Assert.DoesNotContain("eu-1", message, StringComparison.Ordinal);
        Assert.Equal(0, lab.East.Messages + lab.West.Messages + lab.Eu.Messages);
        var receipt = await lab.ReceiptAsync(response, RoutingLab.FranceKey);
        Assert.Equal(503, receipt.GetProperty("status").GetInt32());
        Assert.Contains("not sent anywhere else", receipt.GetProperty("routing_failure").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_that_fails_its_health_probe_is_avoided_before_any_request_fails()
    {
        await using var lab = await RoutingLab.StartAsync(new RoutingOptions { ProbeFailureThreshold = 1, ProbeInterval = TimeSpan.Zero });
        var probes = lab.App.Services.GetRequiredService<BackendProbes>();
        await probes.ProbeAllAsync(Ct);
        using (var before = await lab.SendAsync())
        {
            Assert.Equal("eastus", before.Headers.GetValues("meridian-processing-region").Single());
        }

        await lab.East.KillAsync();
        await probes.ProbeAllAsync(Ct);

        using var response = await lab.SendAsync(stream: true);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("westus", response.Headers.GetValues("meridian-processing-region").Single());
        var receipt = await lab.ReceiptAsync(response);
        Assert.Equal(["west-1"], receipt.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("backend").GetString()));

        // The dry run shows it, too.
        var (_, plan) = await lab.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments?dry_run=true", new
        {
            name = "probe-check", offer_id = "off_claude", model_id = "claude-sonnet-5", hosting_option = "platform", deployment_type = "datazone",
        });
        var east = plan.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("id").GetString() == "east-1");
        Assert.True(east.GetProperty("eligible").GetBoolean());
        Assert.False(east.GetProperty("usable_now").GetBoolean());
        Assert.Contains("unhealthy", east.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
    }
}
