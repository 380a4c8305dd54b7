using System.Text.Json;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>Builds marketplace objects through the admin API (never behind its back), with unique names.</summary>
internal static class Marketplace
{
    public static string Unique(string stem) => $"{stem}-{Guid.NewGuid().ToString("N")[..8]}";

    public static async Task<string> PublisherAsync(AdminServer server, string? token = AdminServer.OperatorToken) =>
        (await server.CreateAsync("/admin/v1/publishers", new
        {
            name = Unique("Publisher"),
            contact_email = "marketplace@publisher.example",
            endpoints = new[] { new { url = "https://inference.publisher.example/v1", declared_location = (string?)"France" } },
        }, token)).GetProperty("id").GetString()!;

    public static object OfferBody(string publisherId, string? name = null) => new
    {
        publisher_id = publisherId,
        name = name ?? Unique("offer"),
        hosting_options = new[] { "platform", "publisher" },
        deployment_types = new[] { "global", "datazone", "regional" },
        prices = new { input = "2.50", output = "10.00", cache_write = "3.125", cache_read = "0.25" },
        models = new[] { new { model_id = "test-model-1", display_name = "Test Model 1", context_window = 128_000, max_output_tokens = 8_192 } },
        terms_text = "Terms of use, version 1.",
    };

    public static async Task<JsonElement> OfferAsync(AdminServer server, string publisherId, string? token = AdminServer.OperatorToken) =>
        await server.CreateAsync("/admin/v1/offers", OfferBody(publisherId), token);

    public static async Task<string> TenantAsync(AdminServer server) =>
        (await server.CreateAsync("/admin/v1/tenants", new
        {
            name = Unique("Tenant"),
            billing_contact = new { name = "Bea Billing", email = "billing@tenant.example" },
        })).GetProperty("id").GetString()!;

    public static Task<JsonElement> SubscribeAsync(AdminServer server, string tenantId, string offerId, int termsVersion = 1, string? token = AdminServer.OperatorToken) =>
        server.CreateAsync($"/admin/v1/tenants/{tenantId}/subscriptions", new { offer_id = offerId, accept_terms_version = termsVersion }, token);

    public static async Task<string> ResourceAsync(AdminServer server, string tenantId, string region = "swedencentral", string? token = AdminServer.OperatorToken) =>
        (await server.CreateAsync($"/admin/v1/tenants/{tenantId}/resources", new { name = Unique("res"), region }, token)).GetProperty("id").GetString()!;

    public static object PlatformDeployment(string offerId, string? name = null, string type = "datazone", string model = "test-model-1") => new
    {
        name = name ?? Unique("dep"),
        offer_id = offerId,
        model_id = model,
        hosting_option = "platform",
        deployment_type = type,
        capacity = new { rpm = 60, tpm = 100_000 },
        safeguard_policy = "default",
    };

    public static Task<JsonElement> DeploymentAsync(AdminServer server, string resourceId, string offerId, string? name = null, string model = "test-model-1", string? token = AdminServer.OperatorToken) =>
        server.CreateAsync($"/admin/v1/resources/{resourceId}/deployments", PlatformDeployment(offerId, name, model: model), token);

    /// <summary>Creates a key; returns (id, key).</summary>
    public static async Task<(string Id, string Key)> KeyAsync(AdminServer server, string resourceId, string? token = AdminServer.OperatorToken)
    {
        var created = await server.CreateAsync($"/admin/v1/resources/{resourceId}/keys", new { name = "test key" }, token);
        return (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
    }

    /// <summary>Issues an admin token; returns (id, token).</summary>
    public static async Task<(string Id, string Token)> TokenAsync(
        AdminServer server, string role, string? tenantId = null, string? publisherId = null, string[]? geographies = null, string? token = AdminServer.OperatorToken)
    {
        var created = await server.CreateAsync("/admin/v1/tokens", new { role, name = Unique(role), tenant_id = tenantId, publisher_id = publisherId, geographies }, token);
        return (created.GetProperty("id").GetString()!, created.GetProperty("token").GetString()!);
    }
}
