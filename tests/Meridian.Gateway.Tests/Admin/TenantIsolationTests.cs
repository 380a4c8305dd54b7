using System.Net;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>A tenant can never see or touch another tenant's objects, through the admin API or the data plane.</summary>
public sealed class TenantIsolationTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task Tenant_B_can_neither_see_nor_touch_tenant_A()
    {
        var publisher = await Marketplace.PublisherAsync(server);
        var offer = (await Marketplace.OfferAsync(server, publisher)).GetProperty("id").GetString()!;
        var tenantA = await Marketplace.TenantAsync(server);
        var tenantB = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenantA, offer);
        await Marketplace.SubscribeAsync(server, tenantB, offer);
        var resourceA = await Marketplace.ResourceAsync(server, tenantA);
        var deploymentA = (await Marketplace.DeploymentAsync(server, resourceA, offer)).GetProperty("id").GetString()!;
        var (keyA, _) = await Marketplace.KeyAsync(server, resourceA);
        var (_, adminB) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: tenantB);
        var (_, developerB) = await Marketplace.TokenAsync(server, "tenant-developer", tenantId: tenantB);

        foreach (var token in new[] { adminB, developerB })
        {
            var attempts = new (HttpMethod Method, string Path, object? Body)[]
            {
                (HttpMethod.Get, $"/admin/v1/tenants/{tenantA}", null),
                (HttpMethod.Get, $"/admin/v1/tenants/{tenantA}/subscriptions", null),
                (HttpMethod.Post, $"/admin/v1/tenants/{tenantA}/subscriptions", new { offer_id = offer, accept_terms_version = 1 }),
                (HttpMethod.Get, $"/admin/v1/tenants/{tenantA}/resources", null),
                (HttpMethod.Post, $"/admin/v1/tenants/{tenantA}/resources", new { name = "intruder", region = "eastus" }),
                (HttpMethod.Get, $"/admin/v1/resources/{resourceA}", null),
                (HttpMethod.Get, $"/admin/v1/resources/{resourceA}/deployments", null),
                (HttpMethod.Post, $"/admin/v1/resources/{resourceA}/deployments", Marketplace.PlatformDeployment(offer)),
                (HttpMethod.Get, $"/admin/v1/deployments/{deploymentA}", null),
                (HttpMethod.Delete, $"/admin/v1/deployments/{deploymentA}", null),
                (HttpMethod.Get, $"/admin/v1/resources/{resourceA}/keys", null),
                (HttpMethod.Post, $"/admin/v1/resources/{resourceA}/keys", new { name = "intruder" }),
                (HttpMethod.Get, $"/admin/v1/keys/{keyA}", null),
                (HttpMethod.Post, $"/admin/v1/keys/{keyA}/rotate", null),
                (HttpMethod.Post, $"/admin/v1/keys/{keyA}/revoke", null),
            };
            foreach (var (method, path, body) in attempts)
            {
                var response = await server.SendAsync(method, path, token, body);
                Assert.False(response.IsSuccess, $"{method} {path} succeeded for tenant B: {response.Text}");
                Assert.True(response.Status == HttpStatusCode.NotFound, $"{method} {path}: expected 404, got {(int)response.Status}: {response.Text}");

                // Indistinguishable from a missing object: same status and the same detail shape.
                var missing = await server.SendAsync(method, path.Replace(tenantA, "ten_missing").Replace(resourceA, "res_missing")
                    .Replace(deploymentA, "dep_missing").Replace(keyA, "key_missing"), token, body);
                Assert.Equal(response.Status, missing.Status);
            }

            var tenants = (await server.GetAsync("/admin/v1/tenants", token)).Json.GetProperty("data");
            Assert.Equal([tenantB], tenants.EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        }

        // Nothing of A changed.
        Assert.Equal("active", (await server.GetAsync($"/admin/v1/keys/{keyA}")).Json.GetProperty("status").GetString());
        Assert.True((await server.GetAsync($"/admin/v1/deployments/{deploymentA}")).IsSuccess);
        var resources = (await server.GetAsync($"/admin/v1/tenants/{tenantA}/resources")).Json.GetProperty("data");
        Assert.Single(resources.EnumerateArray());
    }

    [Fact]
    public async Task A_key_of_tenant_A_cannot_call_a_deployment_of_tenant_B()
    {
        var publisher = await Marketplace.PublisherAsync(server);
        var offer = (await Marketplace.OfferAsync(server, publisher)).GetProperty("id").GetString()!;
        var tenantA = await Marketplace.TenantAsync(server);
        var tenantB = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenantA, offer);
        await Marketplace.SubscribeAsync(server, tenantB, offer);
        var resourceA = await Marketplace.ResourceAsync(server, tenantA);
        var resourceB = await Marketplace.ResourceAsync(server, tenantB);
        var nameB = Marketplace.Unique("only-b");
        var deploymentB = (await Marketplace.DeploymentAsync(server, resourceB, offer, name: nameB)).GetProperty("id").GetString()!;
        var (_, keyA) = await Marketplace.KeyAsync(server, resourceA);
        var (_, keyB) = await Marketplace.KeyAsync(server, resourceB);

        using (var own = await server.MessagesAsync(keyB, nameB))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        foreach (var model in new[] { nameB, deploymentB })
        {
            using var foreign = await server.MessagesAsync(keyA, model);
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }
    }
}
