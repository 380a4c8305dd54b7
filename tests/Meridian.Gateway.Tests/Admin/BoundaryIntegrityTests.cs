using System.Net;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>Ordinary admin actions never move a caller to another boundary, nor lift a tenant past the operator's capacity.</summary>
public sealed class BoundaryIntegrityTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task A_model_id_keeps_reaching_its_deployment_when_another_of_the_same_model_is_added_and_is_refused_when_its_deployment_goes()
    {
        var offer = await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server));
        var offerId = offer.GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offerId);
        var resource = await Marketplace.ResourceAsync(server, tenant);
        var (tenantAdminId, tenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: tenant);
        Assert.NotEmpty(tenantAdminId);
        var regional = await server.CreateAsync($"/admin/v1/resources/{resource}/deployments",
            Marketplace.PlatformDeployment(offerId, type: "regional"), tenantAdmin);
        var (_, key) = await Marketplace.KeyAsync(server, resource);

        using (var first = await server.MessagesAsync(key, "test-model-1"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("swedencentral", first.Headers.GetValues("meridian-processing-region").Single());
        }

        // A tenant admin adds a publisher-hosted deployment of the same model: the unchanged call stays where it was.
        var publisherHosted = await server.CreateAsync($"/admin/v1/resources/{resource}/deployments", new
        {
            name = Marketplace.Unique("pub"), offer_id = offerId, model_id = "test-model-1", hosting_option = "publisher",
            capacity = new { rpm = 60, tpm = 100_000 }, safeguard_policy = "default", acknowledge_data_may_leave_geography = true,
        }, tenantAdmin);
        using (var second = await server.MessagesAsync(key, "test-model-1"))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal("swedencentral", second.Headers.GetValues("meridian-processing-region").Single());
        }

        var defaults = await server.GetAsync($"/admin/v1/resources/{resource}/model-defaults", tenantAdmin);
        Assert.Equal(regional.GetProperty("id").GetString(), Assert.Single(defaults.Json.GetProperty("data").EnumerateArray()).GetProperty("deployment_id").GetString());

        // Its deployment deleted, the model id is refused with the choice left, rather than sent to the publisher.
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Delete, $"/admin/v1/deployments/{regional.GetProperty("id").GetString()}", tenantAdmin)).Status);
        using (var third = await server.MessagesAsync(key, "test-model-1"))
        {
            var message = await ApiAssert.ErrorAsync(third, HttpStatusCode.BadRequest, "invalid_request_error", "none is its default");
            Assert.Contains(publisherHosted.GetProperty("name").GetString()!, message, StringComparison.Ordinal);
            Assert.Contains("publisher", message, StringComparison.Ordinal);
        }

        // Choosing is explicit and audited.
        var set = await server.SendAsync(HttpMethod.Put, $"/admin/v1/resources/{resource}/model-defaults/test-model-1", tenantAdmin,
            new { deployment_id = publisherHosted.GetProperty("id").GetString() });
        Assert.Equal(HttpStatusCode.OK, set.Status);
        var audit = await server.GetAsync($"/admin/v1/audit?object_type=model_default&object_id={resource}/test-model-1");
        Assert.Contains(audit.Json.GetProperty("data").EnumerateArray(), a => a.GetProperty("action").GetString() == "model_default.set"
            && a.GetProperty("actor").GetString()!.Contains(tenantAdminId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deployment_may_not_take_the_name_its_neighbours_callers_send()
    {
        var offer = await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server));
        var offerId = offer.GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offerId);
        var resource = await Marketplace.ResourceAsync(server, tenant);
        await Marketplace.DeploymentAsync(server, resource, offerId);

        var captured = await server.PostAsync($"/admin/v1/resources/{resource}/deployments", Marketplace.PlatformDeployment(offerId, name: "test-model-1", type: "global"));
        Assert.Equal(HttpStatusCode.Conflict, captured.Status);
        Assert.Contains("would take their traffic", captured.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_admin_cannot_raise_limits_past_the_capacity_the_operator_provides()
    {
        var offer = await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server));
        var offerId = offer.GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offerId);
        var resource = await Marketplace.ResourceAsync(server, tenant);
        var deployment = (await Marketplace.DeploymentAsync(server, resource, offerId)).GetProperty("id").GetString()!;
        var (keyId, _) = await Marketplace.KeyAsync(server, resource);
        var (_, tenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: tenant);

        var over = await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{deployment}/limits", tenantAdmin, new { rpm = 5_000 });
        Assert.Equal(HttpStatusCode.BadRequest, over.Status);
        Assert.Contains("5000 exceeds the capacity of 60", over.Text, StringComparison.Ordinal);
        var overKey = await server.SendAsync(HttpMethod.Put, $"/admin/v1/keys/{keyId}/limits", tenantAdmin, new { output_tpm = 1_000_000 });
        Assert.Equal(HttpStatusCode.BadRequest, overKey.Status);

        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{deployment}/limits", tenantAdmin, new { rpm = 30 })).Status);
        // The operator provides capacity: it may set more.
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{deployment}/limits", AdminServer.OperatorToken, new { rpm = 5_000 })).Status);
    }

    [Fact]
    public async Task A_request_entering_outside_a_regional_boundary_is_refused_unless_the_operator_allows_that_ingress_and_then_it_is_receipted()
    {
        var offer = await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server));
        var offerId = offer.GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offerId);
        var resource = await Marketplace.ResourceAsync(server, tenant, "swedencentral");
        var deployment = (await server.CreateAsync($"/admin/v1/resources/{resource}/deployments",
            Marketplace.PlatformDeployment(offerId, type: "regional"), AdminServer.OperatorToken)).GetProperty("id").GetString()!;
        var (_, key) = await Marketplace.KeyAsync(server, resource);
        var (_, tenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: tenant);
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        var inSweden = await server.StartNodeAsync(ingressRegion: "swedencentral");
        var inVirginia = await server.StartNodeAsync(ingressRegion: "eastus");

        using (var inside = await server.MessagesAsync(key, "test-model-1", inSweden))
        {
            Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        }

        using (var outside = await server.MessagesAsync(key, "test-model-1", inVirginia))
        {
            var message = await ApiAssert.ErrorAsync(outside, HttpStatusCode.Forbidden, "permission_error", "before its content was screened");
            Assert.Contains("Call a Meridian node in swedencentral", message, StringComparison.Ordinal);
        }

        // Allowing ingress widens where a tenant's content may enter: the operator's decision, not the tenant's.
        var byTenant = await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{deployment}/ingress", tenantAdmin, new { allowed_regions = new[] { "eastus" } });
        Assert.Equal(HttpStatusCode.Forbidden, byTenant.Status);
        var insideAlready = await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{deployment}/ingress", AdminServer.OperatorToken, new { allowed_regions = new[] { "swedencentral" } });
        Assert.Equal(HttpStatusCode.BadRequest, insideAlready.Status);
        var allowed = await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{deployment}/ingress", AdminServer.OperatorToken, new { allowed_regions = new[] { "eastus" } });
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Equal(["eastus"], allowed.Json.GetProperty("allowed_ingress").EnumerateArray().Select(r => r.GetString()));
        var audit = await server.GetAsync($"/admin/v1/audit?object_type=deployment&object_id={deployment}");
        Assert.Contains(audit.Json.GetProperty("data").EnumerateArray(), a => a.GetProperty("action").GetString() == "deployment.ingress");

        string requestId;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var served = await server.MessagesAsync(key, "test-model-1", inVirginia);
            if (served.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
                Assert.Equal("swedencentral", served.Headers.GetValues("meridian-processing-region").Single());
                requestId = ApiAssert.RequestId(served);
                break;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        using var receiptRequest = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        receiptRequest.Headers.Add("x-api-key", key);
        using var receiptResponse = await inVirginia.Http.SendAsync(receiptRequest, TestContext.Current.CancellationToken);
        using var receipt = JsonDocument.Parse(await receiptResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("eastus", receipt.RootElement.GetProperty("ingress_region").GetString());
        Assert.Equal("us", receipt.RootElement.GetProperty("ingress_data_zone").GetString());
        Assert.True(receipt.RootElement.GetProperty("ingress_outside_boundary").GetBoolean());

        var report = await server.GetAsync($"/admin/v1/tenants/{tenant}/boundary-report?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}");
        Assert.Equal(HttpStatusCode.OK, report.Status);
        var row = Assert.Single(report.Json.GetProperty("deployments").EnumerateArray());
        Assert.Equal(0, row.GetProperty("violations").GetInt64());
        Assert.Equal(1, row.GetProperty("ingress_allowed_outside").GetInt64());
        var requests = row.GetProperty("requests").GetInt64();
        Assert.True(requests >= 3, report.Text);
        Assert.Equal(requests, row.GetProperty("processed").GetInt64() + row.GetProperty("refused_before_routing").GetInt64()
            + row.GetProperty("failed_closed").GetInt64() + row.GetProperty("blocked_by_safeguard").GetInt64());
        Assert.True(row.GetProperty("refused_before_routing").GetInt64() >= 1, "the request refused at ingress is accounted for");
    }

    [Fact]
    public async Task A_world_change_that_widens_a_deployments_boundary_is_refused_unless_confirmed_and_then_the_tenant_is_told()
    {
        var zone = "z" + Guid.NewGuid().ToString("N")[..8];
        var first = $"{zone}-north";
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Put, $"/admin/v1/world/regions/{first}", AdminServer.OperatorToken,
            new { geography = "eu", data_zone = zone, display_name = "North" })).Status);
        var offer = await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server));
        var offerId = offer.GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offerId);
        var resource = await Marketplace.ResourceAsync(server, tenant, first);
        var deployment = (await Marketplace.DeploymentAsync(server, resource, offerId)).GetProperty("id").GetString()!;
        var (_, key) = await Marketplace.KeyAsync(server, resource);
        var (_, tenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: tenant);
        var node = await server.StartNodeAsync(ingressRegion: first);
        var before = await WorldVersionOnReceiptAsync(node, key);

        var second = $"{zone}-south";
        var refused = await server.SendAsync(HttpMethod.Put, $"/admin/v1/world/regions/{second}", AdminServer.OperatorToken,
            new { geography = "eu", data_zone = zone, display_name = "South" });
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Contains(deployment, refused.Text, StringComparison.Ordinal);
        Assert.Contains("confirm_widening", refused.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.GetAsync($"/admin/v1/world/regions/{second}")).Status);
        Assert.Empty((await server.GetAsync($"/admin/v1/tenants/{tenant}/notices", tenantAdmin)).Json.GetProperty("data").EnumerateArray());

        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Put, $"/admin/v1/world/regions/{second}", AdminServer.OperatorToken,
            new { geography = "eu", data_zone = zone, display_name = "South", confirm_widening = true })).Status);

        var notice = Assert.Single((await server.GetAsync($"/admin/v1/tenants/{tenant}/notices", tenantAdmin)).Json.GetProperty("data").EnumerateArray());
        Assert.Equal("boundary.widened", notice.GetProperty("action").GetString());
        Assert.Equal(second, notice.GetProperty("after").GetProperty("region").GetString());
        Assert.Equal([deployment], notice.GetProperty("after").GetProperty("deployments").EnumerateArray().Select(d => d.GetString()));

        // Receipts name the world their boundary was computed from: a later one names a later world.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        long after;
        while ((after = await WorldVersionOnReceiptAsync(node, key)) == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.True(after > before, $"world version {before} → {after}");
    }

    [Fact]
    public async Task A_key_reads_the_receipts_of_its_own_resource_only()
    {
        var offer = await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server));
        var offerId = offer.GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offerId);
        var resourceA = await Marketplace.ResourceAsync(server, tenant);
        var resourceB = await Marketplace.ResourceAsync(server, tenant);
        await Marketplace.DeploymentAsync(server, resourceA, offerId);
        var (_, keyA) = await Marketplace.KeyAsync(server, resourceA);
        var (_, keyB) = await Marketplace.KeyAsync(server, resourceB);

        using var answer = await server.MessagesAsync(keyA, "test-model-1");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var requestId = ApiAssert.RequestId(answer);

        Assert.Equal(HttpStatusCode.OK, (await ReceiptAsync(keyA, $"v1/receipts/{requestId}")).Status);
        var other = await ReceiptAsync(keyB, $"v1/receipts/{requestId}");
        Assert.Equal(HttpStatusCode.NotFound, other.Status);
        var listedToA = await ReceiptAsync(keyA, "v1/receipts");
        Assert.Contains(listedToA.Json.GetProperty("data").EnumerateArray(), r => r.GetProperty("request_id").GetString() == requestId);
        Assert.Equal(resourceA, listedToA.Json.GetProperty("data").EnumerateArray().Single(r => r.GetProperty("request_id").GetString() == requestId)
            .GetProperty("resource_id").GetString());
        var listedToB = await ReceiptAsync(keyB, "v1/receipts");
        Assert.DoesNotContain(listedToB.Json.GetProperty("data").EnumerateArray(), r => r.GetProperty("request_id").GetString() == requestId);
    }

    /// <summary>A receipt read with an API key (a queued receipt is served as well as a stored one).</summary>
    private async Task<(HttpStatusCode Status, JsonElement Json)> ReceiptAsync(string key, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-api-key", key);
        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (response.StatusCode, json.RootElement.Clone());
    }

    private async Task<long> WorldVersionOnReceiptAsync(AdminServer.Node node, string key)
    {
        using var answer = await server.MessagesAsync(key, "test-model-1", node);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var requestId = ApiAssert.RequestId(answer);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
            request.Headers.Add("x-api-key", key);
            using var response = await node.Http.SendAsync(request, TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
            {
                using var receipt = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                return receipt.RootElement.GetProperty("world_version").GetInt64();
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
