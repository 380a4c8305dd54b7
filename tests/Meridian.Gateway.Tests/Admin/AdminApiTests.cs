using System.Net;
using System.Text.Json;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>The admin API end to end, over real HTTP against a real gateway and real SQLite files.</summary>
public sealed class AdminApiTests(AdminServer server) : IClassFixture<AdminServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_marketplace_serves_a_tenant_from_its_eu_data_zone()
    {
        var publisher = await Marketplace.PublisherAsync(server);
        var offer = await Marketplace.OfferAsync(server, publisher);
        var offerId = offer.GetProperty("id").GetString()!;
        Assert.Equal("2.50", offer.GetProperty("prices").GetProperty("input").GetString());
        Assert.Equal("3.125", offer.GetProperty("prices").GetProperty("cache_write").GetString());
        Assert.Equal(1, offer.GetProperty("terms").GetProperty("version").GetInt32());

        var tenant = await Marketplace.TenantAsync(server);
        var subscription = await Marketplace.SubscribeAsync(server, tenant, offerId);
        Assert.Equal(1, subscription.GetProperty("terms_version").GetInt32());
        Assert.StartsWith("token:", subscription.GetProperty("accepted_by").GetString(), StringComparison.Ordinal);

        var resource = await server.CreateAsync($"/admin/v1/tenants/{tenant}/resources", new { name = "eu-app", region = "swedencentral" });
        Assert.Equal("eu", resource.GetProperty("data_zone").GetString());
        Assert.Equal("eu", resource.GetProperty("geography").GetString());
        var resourceId = resource.GetProperty("id").GetString()!;

        var deployment = await Marketplace.DeploymentAsync(server, resourceId, offerId, name: "eu-model");
        Assert.Equal("platform", deployment.GetProperty("hosting_option").GetString());
        Assert.Equal("datazone", deployment.GetProperty("deployment_type").GetString());
        Assert.Equal(JsonValueKind.Null, deployment.GetProperty("data_may_leave_geography_acknowledgment").ValueKind);

        // Publisher-hosted: refused without the acknowledgment, naming the field; accepted and recorded with it.
        var publisherHosted = new Dictionary<string, object?>
        {
            ["name"] = "at-publisher",
            ["offer_id"] = offerId,
            ["model_id"] = "test-model-1",
            ["hosting_option"] = "publisher",
            ["deployment_type"] = null,
        };
        (await server.PostAsync($"/admin/v1/resources/{resourceId}/deployments", publisherHosted))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "acknowledge_data_may_leave_geography");
        publisherHosted["acknowledge_data_may_leave_geography"] = true;
        var acknowledged = await server.CreateAsync($"/admin/v1/resources/{resourceId}/deployments", publisherHosted);
        Assert.Equal("publisher", acknowledged.GetProperty("hosting_option").GetString());
        Assert.Equal(JsonValueKind.Null, acknowledged.GetProperty("deployment_type").ValueKind);
        var acknowledgment = acknowledged.GetProperty("data_may_leave_geography_acknowledgment");
        Assert.StartsWith("token:", acknowledgment.GetProperty("acknowledged_by").GetString(), StringComparison.Ordinal);
        Assert.True(acknowledgment.GetProperty("acknowledged_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));

        var (_, key) = await Marketplace.KeyAsync(server, resourceId);
        using var answer = await server.MessagesAsync(key, "eu-model");
        var answerText = await answer.Content.ReadAsStringAsync(Ct);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, answerText + server.LogText);
        var requestId = answer.Headers.GetValues("request-id").Single();

        using var receiptRequest = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        receiptRequest.Headers.Add("x-api-key", key);
        using var receiptResponse = await server.Http.SendAsync(receiptRequest, Ct);
        using var receipt = JsonDocument.Parse(await receiptResponse.Content.ReadAsStringAsync(Ct));
        var processingRegion = receipt.RootElement.GetProperty("processing_region").GetString()!;
        Assert.Equal("eu", receipt.RootElement.GetProperty("storage_geography").GetString());

        var world = (await server.GetAsync("/admin/v1/world")).Json;
        var euRegions = world.GetProperty("geographies").EnumerateArray()
            .SelectMany(g => g.GetProperty("data_zones").EnumerateArray())
            .Where(z => z.GetProperty("name").GetString() == "eu")
            .SelectMany(z => z.GetProperty("regions").EnumerateArray())
            .Select(r => r.GetProperty("name").GetString())
            .ToList();
        Assert.Contains(processingRegion, euRegions);
    }

    [Fact]
    public async Task A_new_terms_version_refuses_new_deployments_until_it_is_accepted()
    {
        var (offerId, resourceId, tenant) = await SubscribedResourceAsync();
        await Marketplace.DeploymentAsync(server, resourceId, offerId);

        var published = await server.CreateAsync($"/admin/v1/offers/{offerId}/terms", new { text = "Terms of use, version 2: stricter." });
        Assert.Equal(2, published.GetProperty("terms").GetProperty("version").GetInt32());

        (await server.PostAsync($"/admin/v1/resources/{resourceId}/deployments", Marketplace.PlatformDeployment(offerId)))
            .AssertProblem(HttpStatusCode.Conflict, "terms_not_accepted");

        // Accepting an outdated version is not accepting.
        (await server.PostAsync($"/admin/v1/tenants/{tenant}/subscriptions", new { offer_id = offerId, accept_terms_version = 1 }))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "accept_terms_version");

        var accepted = await server.PostAsync($"/admin/v1/tenants/{tenant}/subscriptions", new { offer_id = offerId, accept_terms_version = 2 });
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal(2, accepted.Json.GetProperty("terms_version").GetInt32());
        Assert.Equal(2, accepted.Json.GetProperty("version").GetInt64());

        await Marketplace.DeploymentAsync(server, resourceId, offerId);

        var terms = (await server.GetAsync($"/admin/v1/offers/{offerId}/terms")).Json.GetProperty("data");
        Assert.Equal([2, 1], terms.EnumerateArray().Select(t => t.GetProperty("version").GetInt32()));
        Assert.Equal("Terms of use, version 2: stricter.", terms[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Duplicate_names_are_conflicts_naming_the_field()
    {
        var (offerId, resourceId, tenant) = await SubscribedResourceAsync();
        var publisherName = Marketplace.Unique("Dup Publisher");
        await server.CreateAsync("/admin/v1/publishers", new { name = publisherName, contact_email = "a@b.example" });
        (await server.PostAsync("/admin/v1/publishers", new { name = publisherName, contact_email = "c@d.example" }))
            .AssertProblem(HttpStatusCode.Conflict, "conflict", "name");

        var tenantBody = new { name = Marketplace.Unique("Dup Tenant"), billing_contact = new { name = "X", email = "x@y.example" } };
        await server.CreateAsync("/admin/v1/tenants", tenantBody);
        (await server.PostAsync("/admin/v1/tenants", tenantBody)).AssertProblem(HttpStatusCode.Conflict, "conflict", "name");

        var offer = (await server.GetAsync($"/admin/v1/offers/{offerId}")).Json;
        (await server.PostAsync("/admin/v1/offers", Marketplace.OfferBody(offer.GetProperty("publisher_id").GetString()!, offer.GetProperty("name").GetString())))
            .AssertProblem(HttpStatusCode.Conflict, "conflict", "name");

        await server.CreateAsync($"/admin/v1/tenants/{tenant}/resources", new { name = "twin", region = "eastus" });
        (await server.PostAsync($"/admin/v1/tenants/{tenant}/resources", new { name = "twin", region = "westus" }))
            .AssertProblem(HttpStatusCode.Conflict, "conflict", "name");

        await Marketplace.DeploymentAsync(server, resourceId, offerId, name: "twin");
        (await server.PostAsync($"/admin/v1/resources/{resourceId}/deployments", Marketplace.PlatformDeployment(offerId, "twin", type: "regional")))
            .AssertProblem(HttpStatusCode.Conflict, "conflict", "name");

        // Nothing half-created: one "twin" deployment, one "twin" resource.
        var deployments = (await server.GetAsync($"/admin/v1/resources/{resourceId}/deployments")).Json.GetProperty("data");
        Assert.Single(deployments.EnumerateArray(), d => d.GetProperty("name").GetString() == "twin");
        var resources = (await server.GetAsync($"/admin/v1/tenants/{tenant}/resources")).Json.GetProperty("data");
        Assert.Single(resources.EnumerateArray(), r => r.GetProperty("name").GetString() == "twin");
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field()
    {
        var (offerId, resourceId, tenant) = await SubscribedResourceAsync();
        (await server.PostAsync($"/admin/v1/tenants/{tenant}/resources", new { name = "nowhere", region = "atlantis" }))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "region");

        var restricted = await server.CreateAsync("/admin/v1/offers", new
        {
            publisher_id = (await server.GetAsync($"/admin/v1/offers/{offerId}")).Json.GetProperty("publisher_id").GetString(),
            name = Marketplace.Unique("regional-only"),
            hosting_options = new[] { "platform" },
            deployment_types = new[] { "regional" },
            prices = new { input = "1", output = "2", cache_write = "0", cache_read = "0" },
            models = new[] { new { model_id = "m", display_name = "M", context_window = 1000, max_output_tokens = 100 } },
            terms_text = "t",
        });
        var restrictedId = restricted.GetProperty("id").GetString()!;
        await Marketplace.SubscribeAsync(server, tenant, restrictedId);
        (await server.PostAsync($"/admin/v1/resources/{resourceId}/deployments", Marketplace.PlatformDeployment(restrictedId, type: "global", model: "m")))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "deployment_type");
        (await server.PostAsync($"/admin/v1/resources/{resourceId}/deployments", new
        {
            name = "pub", offer_id = restrictedId, model_id = "m", hosting_option = "publisher", acknowledge_data_may_leave_geography = true,
        })).AssertProblem(HttpStatusCode.BadRequest, "validation", "hosting_option");
        (await server.PostAsync($"/admin/v1/resources/{resourceId}/deployments", Marketplace.PlatformDeployment(offerId, model: "no-such-model")))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "model_id");
        (await server.PostAsync($"/admin/v1/resources/{resourceId}/deployments", new
        {
            name = "cap", offer_id = offerId, model_id = "test-model-1", hosting_option = "platform", deployment_type = "global", capacity = new { rpm = 0, tpm = -5 },
        })).AssertProblem(HttpStatusCode.BadRequest, "validation", "capacity.rpm").AssertProblem(HttpStatusCode.BadRequest, "validation", "capacity.tpm");
        (await server.PostAsync("/admin/v1/offers", new { name = "x", prices = new { input = "1e3" } }))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "prices.input");
    }

    [Fact]
    public async Task A_datazone_deployment_needs_a_region_with_a_zone()
    {
        var region = Marketplace.Unique("edge").ToLowerInvariant();
        var created = await server.SendAsync(HttpMethod.Put, $"/admin/v1/world/regions/{region}", body: new { geography = "eu", data_zone = (string?)null, display_name = "Edge (no zone)" });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("\"1\"", created.ETag);
        var world = (await server.GetAsync("/admin/v1/world")).Json;
        var eu = world.GetProperty("geographies").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "eu");
        Assert.Contains(eu.GetProperty("regions_without_zone").EnumerateArray(), r => r.GetProperty("name").GetString() == region);

        var (offerId, _, tenant) = await SubscribedResourceAsync();
        var resource = await Marketplace.ResourceAsync(server, tenant, region);
        (await server.PostAsync($"/admin/v1/resources/{resource}/deployments", Marketplace.PlatformDeployment(offerId, type: "datazone")))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "deployment_type");
        await server.CreateAsync($"/admin/v1/resources/{resource}/deployments", Marketplace.PlatformDeployment(offerId, type: "regional"));

        // Resources use the region now: its zone and geography are fixed; its display name is not.
        (await server.SendAsync(HttpMethod.Put, $"/admin/v1/world/regions/{region}", body: new { geography = "eu", data_zone = "eu", display_name = "Edge" }))
            .AssertProblem(HttpStatusCode.Conflict, "conflict", "data_zone");
        var renamed = await server.SendAsync(HttpMethod.Put, $"/admin/v1/world/regions/{region}", body: new { geography = "eu", data_zone = (string?)null, display_name = "Edge North" },
            headers: h => h.IfMatch.ParseAdd("\"1\""));
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("\"2\"", renamed.ETag);
        (await server.SendAsync(HttpMethod.Put, $"/admin/v1/world/regions/{region}", body: new { geography = "eu", data_zone = (string?)null, display_name = "Edge South" },
            headers: h => h.IfMatch.ParseAdd("\"1\""))).AssertProblem(HttpStatusCode.PreconditionFailed, "precondition_failed");
    }

    [Fact]
    public async Task Offer_edits_honour_if_match_and_are_audited_with_before_and_after()
    {
        var publisher = await Marketplace.PublisherAsync(server);
        var offerId = (await Marketplace.OfferAsync(server, publisher)).GetProperty("id").GetString()!;
        var read = await server.GetAsync($"/admin/v1/offers/{offerId}");
        Assert.Equal("\"1\"", read.ETag);

        var patched = await server.SendAsync(HttpMethod.Patch, $"/admin/v1/offers/{offerId}", body: new { prices = new { input = "2.75" } },
            headers: h => h.IfMatch.ParseAdd(read.ETag!));
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("\"2\"", patched.ETag);
        Assert.Equal("2.75", patched.Json.GetProperty("prices").GetProperty("input").GetString());
        Assert.Equal("10.00", patched.Json.GetProperty("prices").GetProperty("output").GetString());

        // A second editor still holding version 1 does not overwrite silently.
        (await server.SendAsync(HttpMethod.Patch, $"/admin/v1/offers/{offerId}", body: new { prices = new { input = "1.00" } },
            headers: h => h.IfMatch.ParseAdd("\"1\""))).AssertProblem(HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal("2.75", (await server.GetAsync($"/admin/v1/offers/{offerId}")).Json.GetProperty("prices").GetProperty("input").GetString());

        var audit = (await server.GetAsync($"/admin/v1/audit?object_type=offer&object_id={offerId}")).Json.GetProperty("data");
        var update = Assert.Single(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "offer.update_prices");
        Assert.StartsWith("token:", update.GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal(2.50m, update.GetProperty("before").GetProperty("prices").GetProperty("input").GetDecimal());
        Assert.Equal(2.75m, update.GetProperty("after").GetProperty("prices").GetProperty("input").GetDecimal());
        var creation = Assert.Single(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "offer.create");
        Assert.Equal(JsonValueKind.Null, creation.GetProperty("before").ValueKind);
        Assert.Equal(offerId, creation.GetProperty("after").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_every_node_within_a_second()
    {
        var (offerId, resourceId, _) = await SubscribedResourceAsync();
        var deployment = await Marketplace.DeploymentAsync(server, resourceId, offerId);
        var model = deployment.GetProperty("name").GetString()!;
        var (keyId, key) = await Marketplace.KeyAsync(server, resourceId);
        var other = await server.StartNodeAsync(ingressRegion: "francecentral");

        using (var before = await server.MessagesAsync(key, model, other))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var revoked = await server.PostAsync($"/admin/v1/keys/{keyId}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        Assert.Equal("revoked", revoked.Json.GetProperty("status").GetString());
        var revokedAt = DateTimeOffset.UtcNow;

        using (var here = await server.MessagesAsync(key, model))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, here.StatusCode);
        }

        // The other node learns of it by polling the control store's generation (every 500 ms).
        while (true)
        {
            using var there = await server.MessagesAsync(key, model, other);
            if (there.StatusCode == HttpStatusCode.Unauthorized)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.OK, there.StatusCode);
            Assert.True(DateTimeOffset.UtcNow - revokedAt < TimeSpan.FromSeconds(1), "the other node still accepted the revoked key after 1 s");
            await Task.Delay(50, Ct);
        }

        Assert.True(DateTimeOffset.UtcNow - revokedAt < TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task A_rotated_key_and_its_successor_both_work_during_the_overlap()
    {
        var (offerId, resourceId, _) = await SubscribedResourceAsync();
        var model = (await Marketplace.DeploymentAsync(server, resourceId, offerId)).GetProperty("name").GetString()!;
        var (keyId, oldKey) = await Marketplace.KeyAsync(server, resourceId);

        var rotated = await server.CreateAsync($"/admin/v1/keys/{keyId}/rotate", new { overlap_seconds = 2 });
        var newKey = rotated.GetProperty("key").GetString()!;
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(keyId, rotated.GetProperty("replaces").GetProperty("id").GetString());
        Assert.False(rotated.GetProperty("replaces").TryGetProperty("key", out _));

        foreach (var key in new[] { oldKey, newKey })
        {
            using var answer = await server.MessagesAsync(key, model);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.2), Ct);
        using (var expired = await server.MessagesAsync(oldKey, model))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        }

        using (var successor = await server.MessagesAsync(newKey, model))
        {
            Assert.Equal(HttpStatusCode.OK, successor.StatusCode);
        }

        Assert.Equal("expired", (await server.GetAsync($"/admin/v1/keys/{keyId}")).Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_deleted_deployment_stops_answering_and_frees_its_name()
    {
        var (offerId, resourceId, _) = await SubscribedResourceAsync();
        var deployment = await Marketplace.DeploymentAsync(server, resourceId, offerId, name: "short-lived");
        var (_, key) = await Marketplace.KeyAsync(server, resourceId);
        var deleted = await server.SendAsync(HttpMethod.Delete, $"/admin/v1/deployments/{deployment.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        (await server.GetAsync($"/admin/v1/deployments/{deployment.GetProperty("id").GetString()}")).AssertProblem(HttpStatusCode.NotFound, "not_found");

        using (var gone = await server.MessagesAsync(key, "short-lived"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // Changing the type is delete + create under the same name.
        await server.CreateAsync($"/admin/v1/resources/{resourceId}/deployments", Marketplace.PlatformDeployment(offerId, "short-lived", type: "regional"));
        using var back = await server.MessagesAsync(key, "short-lived");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task Malformed_bodies_are_problems_never_server_errors()
    {
        var (_, resourceId, tenant) = await SubscribedResourceAsync();
        string[] paths = ["/admin/v1/tenants", "/admin/v1/publishers", "/admin/v1/offers", $"/admin/v1/tenants/{tenant}/resources",
            $"/admin/v1/tenants/{tenant}/subscriptions", $"/admin/v1/resources/{resourceId}/deployments", $"/admin/v1/resources/{resourceId}/keys", "/admin/v1/tokens"];
        string[] bodies = ["{", "[]", "\"text\"", "42", "null", "{\"name\":", "{\"name\":1e999}", "{\"capacity\":{\"rpm\":\"many\"}}", "{\"unknown_field\":true}",
            "{\"name\":\"a\",\"name\":\"b\"}", "{\"name\":\"\\ud800\"}", new string('[', 5000)];
        foreach (var path in paths)
        {
            foreach (var body in bodies)
            {
                var response = await server.PostAsync(path, new RawJson(body));
                Assert.True(response.Status == HttpStatusCode.BadRequest, $"POST {path} {body[..Math.Min(body.Length, 40)]} → {(int)response.Status}: {response.Text}");
                response.AssertProblem(HttpStatusCode.BadRequest, "validation");
            }
        }

        // Expect: 100-continue lets the client hear the refusal before it sends the body the server will not read.
        var huge = await server.SendAsync(HttpMethod.Post, "/admin/v1/tenants", body: new RawJson("{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"),
            headers: h => h.ExpectContinue = true);
        huge.AssertProblem(HttpStatusCode.RequestEntityTooLarge, "too_large");
        (await server.PostAsync("/admin/v1/tenants", new RawJson("{\"name\":\"x\",\"typo\":1}"))).AssertProblem(HttpStatusCode.BadRequest, "validation", "typo");
        (await server.GetAsync("/admin/v1/tenants?limit=0")).AssertProblem(HttpStatusCode.BadRequest, "validation", "limit");
        (await server.GetAsync("/admin/v1/tenants?cursor=!!")).AssertProblem(HttpStatusCode.BadRequest, "validation", "cursor");
        (await server.GetAsync("/admin/v1/no-such-thing")).AssertProblem(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Lists_page_with_an_opaque_cursor()
    {
        var publisher = await Marketplace.PublisherAsync(server);
        for (var i = 0; i < 5; i++)
        {
            await Marketplace.OfferAsync(server, publisher);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await server.GetAsync($"/admin/v1/offers?publisher_id={publisher}&limit=2" + (cursor is null ? string.Empty : "&cursor=" + cursor))).Json;
            var data = page.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()!).ToList();
            Assert.InRange(data.Count, 1, 2);
            seen.AddRange(data);
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(5, seen.Distinct().Count());
    }

    [Fact]
    public async Task An_answer_carrying_a_new_key_may_not_be_cached_nor_may_a_refusal()
    {
        var (_, resourceId, _) = await SubscribedResourceAsync();
        using var create = new HttpRequestMessage(HttpMethod.Post, $"admin/v1/resources/{resourceId}/keys")
        {
            Content = new StringContent("""{"name":"cache test"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        create.Headers.Authorization = new("Bearer", AdminServer.OperatorToken);
        using var created = await server.Http.SendAsync(create, TestContext.Current.CancellationToken);
        using var unauthenticated = await server.Http.GetAsync("admin/v1/tenants", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(created.Headers.CacheControl?.NoStore, "a key is shown once: no cache may keep it");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.True(unauthenticated.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Secrets_are_shown_once_and_stored_only_hashed()
    {
        var (_, resourceId, tenant) = await SubscribedResourceAsync();
        var (keyId, key) = await Marketplace.KeyAsync(server, resourceId);
        var (tokenId, token) = await Marketplace.TokenAsync(server, "tenant-developer", tenant);
        Assert.StartsWith("mk-", key, StringComparison.Ordinal);
        Assert.StartsWith("mat-", token, StringComparison.Ordinal);

        var later = new[]
        {
            await server.GetAsync($"/admin/v1/keys/{keyId}"),
            await server.GetAsync($"/admin/v1/resources/{resourceId}/keys"),
            await server.GetAsync($"/admin/v1/tokens/{tokenId}"),
            await server.GetAsync("/admin/v1/tokens"),
            await server.GetAsync("/admin/v1/audit?limit=200"),
            await server.PostAsync($"/admin/v1/keys/{keyId}/revoke", null),
        };
        foreach (var response in later)
        {
            Assert.True(response.IsSuccess, response.Text);
            Assert.DoesNotContain(key, response.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(token, response.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(AdminServer.OperatorToken, response.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"key\":", response.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"token\":", response.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("hash", response.Text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(key[..11], (await server.GetAsync($"/admin/v1/keys/{keyId}")).Json.GetProperty("prefix").GetString());

        // The store's files (database and write-ahead log) hold the key's id but no plaintext secret.
        var files = await TestStores.PersistedFilesAsync(server.DataDirectory);
        Assert.NotNull(await TestStores.FileContainingAsync(files, keyId));
        foreach (var secret in new[] { key, token, AdminServer.OperatorToken, AdminServer.DemoKey })
        {
            Assert.Null(await TestStores.FileContainingAsync(files, secret));
        }
    }

    [Fact]
    public async Task The_openapi_document_describes_the_admin_api()
    {
        using var response = await server.Http.GetAsync("openapi/v1.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[]
        {
            "/admin/v1/offers", "/admin/v1/resources/{resource}/deployments", "/admin/v1/keys/{id}/rotate", "/admin/v1/world", "/admin/v1/backends",
            "/admin/v1/tenants/{tenant}/usage/daily",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }

        var schema = paths.GetProperty("/admin/v1/resources/{resource}/deployments").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.True(schema.GetRawText().Contains("acknowledge_data_may_leave_geography", StringComparison.Ordinal), schema.GetRawText());

        // The answers are typed too: a client generator sees the backend list's counters.
        var backends = paths.GetProperty("/admin/v1/backends").GetProperty("get").GetProperty("responses").GetProperty("200").GetRawText();
        Assert.Contains("BackendListView", backends, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_start_creates_an_operator_token_shown_once()
    {
        using var data = new TestDataDirectory("admin-tests");
        var directory = data.Path;
        var options = GatewayNode.Options(directory, demoKey: null).OnTestStore();
        var (first, firstReport) = Hosting.GatewayHost.Build(options);
        await first.DisposeAsync();
        var token = firstReport.NewAdminToken;
        Assert.NotNull(token);
        Assert.StartsWith("mat-", token, StringComparison.Ordinal);

        var (second, secondReport) = Hosting.GatewayHost.Build(options);
        await second.DisposeAsync();
        Assert.Null(secondReport.NewAdminToken);

        using var control = TestStores.Control(directory);
        var tokens = new AdminTokenStore(control);
        var hasher = new Core.Keys.ApiKeyHasher(new Configuration.DataDirectory(directory).LoadOrCreateKeyHashSecret());
        var stored = tokens.FindLive(hasher.Hash(token));
        Assert.NotNull(stored);
        Assert.Equal(Core.Access.AdminRole.OperatorAdmin, stored.Role);
    }

    /// <summary>A new offer, a new tenant subscribed to it, and a resource of that tenant in swedencentral.</summary>
    private async Task<(string OfferId, string ResourceId, string TenantId)> SubscribedResourceAsync()
    {
        var publisher = await Marketplace.PublisherAsync(server);
        var offerId = (await Marketplace.OfferAsync(server, publisher)).GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offerId);
        return (offerId, await Marketplace.ResourceAsync(server, tenant), tenant);
    }
}
