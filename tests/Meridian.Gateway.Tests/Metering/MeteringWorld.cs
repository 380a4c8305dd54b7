using System.Net;
using System.Text;
using System.Text.Json;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>What one data-plane call returned, as a client records it: status, request id, usage and the text it saw.</summary>
internal sealed record Call(string Key, HttpStatusCode Status, string? RequestId, long InputTokens, long OutputTokens, string Body, HttpResponseMessage Response)
{
    public bool Ok => Status == HttpStatusCode.OK;

    public string? Header(string name) => Response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}

/// <summary>
/// A publisher with one offer at known prices, a tenant subscribed to it with a resource, a deployment and a key —
/// all made through the admin API — and a client that calls the deployment and reads the usage each answer reports.
/// </summary>
internal sealed class MeteringWorld
{
    public const string InputPrice = "3.125";
    public const string OutputPrice = "15.00";
    public const string CacheWritePrice = "3.75";
    public const string CacheReadPrice = "0.30";

    private MeteringWorld(AdminServer server)
    {
        Server = server;
    }

    public AdminServer Server { get; }

    public string PublisherId { get; private set; } = null!;
    public string OfferId { get; private set; } = null!;
    public string TenantId { get; private set; } = null!;
    public string ResourceId { get; private set; } = null!;
    public string DeploymentId { get; private set; } = null!;
    public string DeploymentName { get; private set; } = null!;
    public string KeyId { get; private set; } = null!;
    public string Key { get; private set; } = null!;
    public string BillingEmail { get; private set; } = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="publisherId">Another offer of an existing publisher, or null for a new publisher.</param>
    public static async Task<MeteringWorld> CreateAsync(AdminServer server, int rpm = 600, int tpm = 1_000_000, string? publisherId = null, string region = "swedencentral")
    {
        var world = new MeteringWorld(server);
        world.PublisherId = publisherId ?? await Marketplace.PublisherAsync(server);
        var offer = await server.CreateAsync("/admin/v1/offers", new
        {
            publisher_id = world.PublisherId,
            name = Marketplace.Unique("metered"),
            hosting_options = new[] { "platform" },
            deployment_types = new[] { "global", "datazone", "regional" },
            prices = new { input = InputPrice, output = OutputPrice, cache_write = CacheWritePrice, cache_read = CacheReadPrice },
            models = new[] { new { model_id = "metered-model-1", display_name = "Metered Model 1", context_window = 200_000, max_output_tokens = 8_192 } },
            terms_text = "Metered terms, version 1.",
        });
        world.OfferId = offer.GetProperty("id").GetString()!;
        world.BillingEmail = $"billing-{Guid.NewGuid():N}@tenant.example";
        world.TenantId = (await server.CreateAsync("/admin/v1/tenants", new
        {
            name = Marketplace.Unique("Metered Tenant"),
            billing_contact = new { name = "Bea Billing", email = world.BillingEmail },
        })).GetProperty("id").GetString()!;
        await Marketplace.SubscribeAsync(server, world.TenantId, world.OfferId);
        world.ResourceId = await Marketplace.ResourceAsync(server, world.TenantId, region);
        world.DeploymentName = Marketplace.Unique("metered");
        var deployment = await server.CreateAsync($"/admin/v1/resources/{world.ResourceId}/deployments", new
        {
            name = world.DeploymentName,
            offer_id = world.OfferId,
            model_id = "metered-model-1",
            hosting_option = "platform",
            deployment_type = "regional",
            capacity = new { rpm, tpm },
        });
        world.DeploymentId = deployment.GetProperty("id").GetString()!;
        (world.KeyId, world.Key) = await Marketplace.KeyAsync(server, world.ResourceId);
        return world;
    }

    /// <summary>
    /// The tenant accepts the offer's terms as they stand (POSTs its subscription again): announced price and retention
    /// changes bind it from now instead of when their notice ends.
    /// </summary>
    public Task<JsonElement> AcceptTermsAsync(int termsVersion = 1) => Marketplace.SubscribeAsync(Server, TenantId, OfferId, termsVersion);

    /// <summary>A second tenant of the same offer (its own resource, deployment and key).</summary>
    public Task<MeteringWorld> AnotherTenantAsync() => CreateForOfferAsync(Server, PublisherId, OfferId);

    private static async Task<MeteringWorld> CreateForOfferAsync(AdminServer server, string publisherId, string offerId)
    {
        var world = new MeteringWorld(server) { PublisherId = publisherId, OfferId = offerId };
        world.BillingEmail = $"billing-{Guid.NewGuid():N}@tenant.example";
        world.TenantId = (await server.CreateAsync("/admin/v1/tenants", new
        {
            name = Marketplace.Unique("Metered Tenant"),
            billing_contact = new { name = "Bo Billing", email = world.BillingEmail },
        })).GetProperty("id").GetString()!;
        await Marketplace.SubscribeAsync(server, world.TenantId, offerId);
        world.ResourceId = await Marketplace.ResourceAsync(server, world.TenantId, AdminServer.DefaultIngressRegion);
        world.DeploymentName = Marketplace.Unique("metered");
        world.DeploymentId = (await server.CreateAsync($"/admin/v1/resources/{world.ResourceId}/deployments", new
        {
            name = world.DeploymentName,
            offer_id = offerId,
            model_id = "metered-model-1",
            hosting_option = "platform",
            deployment_type = "datazone",
            capacity = new { rpm = 600, tpm = 1_000_000 },
        })).GetProperty("id").GetString()!;
        (world.KeyId, world.Key) = await Marketplace.KeyAsync(server, world.ResourceId);
        return world;
    }

    /// <summary>Calls the deployment with <paramref name="prompt"/> and reads the usage the answer reports.</summary>
    public Task<Call> SendAsync(string prompt, bool stream = false, int maxTokens = 64, string? system = null, string? toolEnum = null) =>
        SendAsync(Server.Http, Key, DeploymentName, prompt, stream, maxTokens, system, toolEnum);

    public static async Task<Call> SendAsync(HttpClient http, string key, string model, string prompt, bool stream = false, int maxTokens = 64, string? system = null, string? toolEnum = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = model,
            ["max_tokens"] = maxTokens,
            ["stream"] = stream,
            ["messages"] = new[] { new { role = "user", content = prompt } },
        };
        if (system is not null)
        {
            body["system"] = system;
        }

        if (toolEnum is not null)
        {
            body["tools"] = new[]
            {
                new
                {
                    name = "record_choice",
                    description = "Records a choice.",
                    input_schema = new { type = "object", properties = new { choice = new { type = "string", @enum = new[] { toolEnum } } }, required = new[] { "choice" } },
                },
            };
            body["tool_choice"] = new { type = "tool", name = "record_choice" };
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var requestId = response.Headers.TryGetValues("request-id", out var ids) ? ids.Single() : null;
        long input = 0, output = 0;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            if (stream)
            {
                foreach (var line in text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)))
                {
                    using var json = JsonDocument.Parse(line[6..]);
                    var root = json.RootElement;
                    switch (root.GetProperty("type").GetString())
                    {
                        case "message_start":
                            input = root.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64();
                            break;
                        case "message_delta":
                            output = root.GetProperty("usage").GetProperty("output_tokens").GetInt64();
                            break;
                    }
                }
            }
            else
            {
                using var json = JsonDocument.Parse(text);
                var usage = json.RootElement.GetProperty("usage");
                input = usage.GetProperty("input_tokens").GetInt64();
                output = usage.GetProperty("output_tokens").GetInt64();
            }
        }

        return new Call(key, response.StatusCode, requestId, input, output, text, response);
    }

    /// <summary>Σ tokens × price per million, exactly: what an invoice for these calls must total.</summary>
    public static decimal ExpectedCost(IEnumerable<Call> calls, decimal inputPrice, decimal outputPrice) =>
        calls.Sum(c => c.InputTokens) * inputPrice / 1_000_000m + calls.Sum(c => c.OutputTokens) * outputPrice / 1_000_000m;

    public static decimal Dec(JsonElement element) => decimal.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}
