using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Tests.Admin;
using Meridian.Simulator;

namespace Meridian.Gateway.Tests.Backends;

/// <summary>
/// A publisher registered through the admin API, with an endpoint it declares, serves its publisher-hosted
/// deployments at once — no restart — and only from that endpoint.
/// </summary>
public sealed class PublisherEndpointTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task A_publisher_hosted_deployment_is_served_by_the_endpoint_the_publisher_declared_without_a_restart()
    {
        await using var upstream = SimulatorServer.Build(new SimulatorServerOptions { Port = 0 });
        await upstream.StartAsync(TestContext.Current.CancellationToken);
        var key = await PublisherDeploymentKeyAsync(SimulatorServer.GetBaseAddress(upstream).AbsoluteUri, "France");

        using var response = await server.MessagesAsync(key.Key, key.Deployment);
        var receipt = await ReceiptAsync(response, key.Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("publisher", receipt.GetProperty("hosting_option").GetString());
        Assert.Equal("France", receipt.GetProperty("processing_region").GetString());
        Assert.StartsWith(key.PublisherId + "-endpoint-1 (anthropic)", receipt.GetProperty("backend").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_publishers_endpoint_is_down_the_request_fails_closed_and_is_not_answered_elsewhere()
    {
        var unusedPort = GatewayProcess.FreePort();
        var key = await PublisherDeploymentKeyAsync($"http://127.0.0.1:{unusedPort}/", null);

        using var response = await server.MessagesAsync(key.Key, key.Deployment);
        var receipt = await ReceiptAsync(response, key.Key);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("api_error", receipt.GetProperty("error_type").GetString());
        // Nothing processed it: no processing region; the one attempt, on the publisher's own endpoint, is on the receipt.
        Assert.Equal(JsonValueKind.Null, receipt.GetProperty("processing_region").ValueKind);
        var attempt = Assert.Single(receipt.GetProperty("attempts").EnumerateArray());
        Assert.Equal(("undeclared", key.PublisherId, "connect_error"),
            (attempt.GetProperty("region").GetString(), attempt.GetProperty("operator").GetString(), attempt.GetProperty("outcome").GetString()));
        Assert.Equal(0, receipt.GetProperty("output_tokens").GetInt64());
    }

    private async Task<(string PublisherId, string Deployment, string Key)> PublisherDeploymentKeyAsync(string endpointUrl, string? declaredLocation)
    {
        var publisherId = (await server.CreateAsync("/admin/v1/publishers", new
        {
            name = Marketplace.Unique("Publisher"),
            contact_email = "ops@publisher.example",
            endpoints = new[] { new { url = endpointUrl, declared_location = declaredLocation } },
        })).GetProperty("id").GetString()!;
        Environment.SetEnvironmentVariable(BackendCatalog.PublisherKeyEnv(publisherId), "publisher-secret");
        var offerId = (await Marketplace.OfferAsync(server, publisherId)).GetProperty("id").GetString()!;
        var tenantId = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenantId, offerId);
        var resourceId = await Marketplace.ResourceAsync(server, tenantId);
        var deployment = Marketplace.Unique("pub");
        await server.CreateAsync($"/admin/v1/resources/{resourceId}/deployments", new
        {
            name = deployment,
            offer_id = offerId,
            model_id = "test-model-1",
            hosting_option = "publisher",
            deployment_type = (string?)null,
            acknowledge_data_may_leave_geography = true,
        });
        var (_, key) = await Marketplace.KeyAsync(server, resourceId);
        return (publisherId, deployment, key);
    }

    private async Task<JsonElement> ReceiptAsync(HttpResponseMessage response, string key)
    {
        var requestId = response.Headers.GetValues("request-id").Single();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", key);
        using var receipt = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, receipt.StatusCode);
        return await receipt.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

}
