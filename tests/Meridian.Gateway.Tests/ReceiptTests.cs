using System.Net;
using System.Text.Json;

namespace Meridian.Gateway.Tests;

/// <summary>
/// Data-flow receipts: every request (served or refused) gets one, readable by its own tenant only, recording
/// where it came in, where it ran and where its record rests, and never the prompt or the answer.
/// </summary>
public sealed class ReceiptTests(WiderWorldGatewayFixture gateway) : IClassFixture<WiderWorldGatewayFixture>, IDisposable
{
    private const string Model = GatewayFixture.DeploymentName;

    private readonly HttpClient _client = gateway.CreateHttpClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_message_has_a_receipt_with_its_tenant_deployment_regions_and_usage()
    {
        const string prompt = "Receipt me, please";
        var (requestId, usage) = await SendMessageAsync(prompt);

        using var receipt = await GetReceiptAsync(requestId);
        var r = receipt.RootElement;

        Assert.Equal(requestId, r.GetProperty("request_id").GetString());
        Assert.Equal(GatewayFixture.TenantId, r.GetProperty("tenant_id").GetString());
        Assert.Equal(Model, r.GetProperty("deployment_name").GetString());
        Assert.Equal("claude-sonnet-5", r.GetProperty("model").GetString());
        Assert.Equal("platform", r.GetProperty("hosting_option").GetString());
        Assert.Equal("datazone", r.GetProperty("deployment_type").GetString());
        Assert.Equal("eastus", r.GetProperty("ingress_region").GetString());
        Assert.Contains(r.GetProperty("processing_region").GetString(), new[] { "eastus", "westus" });
        Assert.Equal("us", r.GetProperty("storage_geography").GetString());
        Assert.Equal(200, r.GetProperty("status").GetInt32());
        Assert.False(r.GetProperty("streamed").GetBoolean());
        Assert.Equal("end_turn", r.GetProperty("stop_reason").GetString());
        Assert.Equal(usage.GetProperty("input_tokens").GetInt64(), r.GetProperty("input_tokens").GetInt64());
        Assert.Equal(usage.GetProperty("output_tokens").GetInt64(), r.GetProperty("output_tokens").GetInt64());
        Assert.DoesNotContain(prompt, r.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_message_has_a_receipt_with_the_streamed_usage()
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", $$"""
            {"model":"{{Model}}","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Stream, then receipt"}]}
            """);
        using var response = await _client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = ApiAssert.RequestId(response);
        var body = await response.Content.ReadAsStringAsync(Ct);
        var data = body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[6..]).RootElement).ToList();
        var inputTokens = data.Single(d => d.GetProperty("type").GetString() == "message_start").GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64();
        var outputTokens = data.Single(d => d.GetProperty("type").GetString() == "message_delta").GetProperty("usage").GetProperty("output_tokens").GetInt64();

        using var receipt = await GetReceiptAsync(requestId);

        Assert.True(receipt.RootElement.GetProperty("streamed").GetBoolean(), "the receipt should record that the answer was streamed");
        Assert.Equal(200, receipt.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(inputTokens, receipt.RootElement.GetProperty("input_tokens").GetInt64());
        Assert.Equal(outputTokens, receipt.RootElement.GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task A_refused_request_has_a_receipt_with_its_status_and_error_type()
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", """{"model":"no-such-model-9","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""");
        using var response = await _client.SendAsync(request, Ct);
        await ApiAssert.ErrorAsync(response, HttpStatusCode.NotFound, "not_found_error");
        var requestId = ApiAssert.RequestId(response);

        using var receipt = await GetReceiptAsync(requestId);

        var r = receipt.RootElement;
        Assert.Equal(404, r.GetProperty("status").GetInt32());
        Assert.Equal("not_found_error", r.GetProperty("error_type").GetString());
        Assert.Equal(GatewayFixture.TenantId, r.GetProperty("tenant_id").GetString());
        Assert.Equal("eastus", r.GetProperty("ingress_region").GetString());
        Assert.Equal(0, r.GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task An_invalid_request_has_a_receipt_with_status_400()
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", $$"""{"model":"{{Model}}","max_tokens":16,"temperature":5,"messages":[{"role":"user","content":"hi"}]}""");
        using var response = await _client.SendAsync(request, Ct);
        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");

        using var receipt = await GetReceiptAsync(ApiAssert.RequestId(response));

        Assert.Equal(400, receipt.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("invalid_request_error", receipt.RootElement.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task A_receipt_is_also_served_on_the_Foundry_path()
    {
        var (requestId, _) = await SendMessageAsync("Foundry receipt");

        using var receipt = await GetReceiptAsync(requestId, "/anthropic/v1/receipts/");

        Assert.Equal(requestId, receipt.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Another_tenant_cannot_see_a_receipt_and_is_told_it_does_not_exist()
    {
        var (requestId, _) = await SendMessageAsync("Private to ten_demo");

        // The other tenant's key is live (it can list its own, empty, models) ...
        using (var models = new HttpRequestMessage(HttpMethod.Get, "v1/models"))
        {
            models.Headers.Add("x-api-key", WiderWorldGatewayFixture.OtherTenantKey);
            using var modelsResponse = await _client.SendAsync(models, Ct);
            Assert.Equal(HttpStatusCode.OK, modelsResponse.StatusCode);
        }

        // ... but gets exactly what a made-up id gets.
        using var theirs = await GetAsync($"v1/receipts/{requestId}", WiderWorldGatewayFixture.OtherTenantKey);
        var theirMessage = await ApiAssert.ErrorAsync(theirs, HttpStatusCode.NotFound, "not_found_error");
        using var madeUp = await GetAsync("v1/receipts/req_000000000000000000000000", GatewayFixture.DemoKey);
        await ApiAssert.ErrorAsync(madeUp, HttpStatusCode.NotFound, "not_found_error");
        Assert.DoesNotContain(GatewayFixture.TenantId, theirMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receipts_need_a_key()
    {
        var (requestId, _) = await SendMessageAsync("Needs a key");

        using var response = await GetAsync($"v1/receipts/{requestId}", key: null);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task No_prompt_text_reaches_the_disk_but_every_receipt_does()
    {
        const string canary = "CANARY-7f3a9c-meridian-never-store-me";
        var own = new GatewayFixture();
        try
        {
            await own.InitializeAsync();
            var ids = new List<string>();
            using (var client = own.CreateHttpClient())
            {
                string[] bodies =
                [
                    $$"""{"model":"{{Model}}","max_tokens":1024,"system":"System {{canary}}","messages":[{"role":"user","content":"Echo {{canary}} back"}]}""",
                    $$"""{"model":"{{Model}}","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Stream {{canary}} back"}]}""",
                    $$"""{"model":"no-such-model","max_tokens":1024,"messages":[{"role":"user","content":"Refused {{canary}}"}]}""",
                    $$"""{"model":"{{Model}}","max_tokens":1024,"temperature":9,"messages":[{"role":"user","content":"Invalid {{canary}}"}]}""",
                ];
                foreach (var body in bodies)
                {
                    using var request = GatewayFixture.JsonPost("/v1/messages", body);
                    using var response = await client.SendAsync(request, Ct);
                    await response.Content.ReadAsStringAsync(Ct);
                    ids.Add(ApiAssert.RequestId(response));
                }

                using var count = GatewayFixture.JsonPost("/v1/messages/count_tokens", $$"""{"model":"{{Model}}","messages":[{"role":"user","content":"Count {{canary}}"}]}""");
                using var countResponse = await client.SendAsync(count, Ct);
                Assert.Equal(HttpStatusCode.OK, countResponse.StatusCode);
                ids.Add(ApiAssert.RequestId(countResponse));
            }

            await own.StopAsync();

            // The scan sees what was written (a request id is there) and never the prompt text.
            var files = await TestStores.PersistedFilesAsync(own.DataDirectory);
            Assert.NotNull(await TestStores.FileContainingAsync(files, ids[0]));
            Assert.Null(await TestStores.FileContainingAsync(files, canary));

            using var stores = TestStores.Geographies(own.DataDirectory, "us", "eu");
            var stored = new Dictionary<string, int?>();
            foreach (var id in ids)
            {
                stored[id] = (await stores.For("us").FindAsync(id, Ct))?.Status;
            }

            Assert.All(ids, id => Assert.True(stored[id] is not null, $"no receipt row for {id} in the us store after shutdown"));
            Assert.Equal(200, stored[ids[0]]);
            Assert.Equal(200, stored[ids[1]]);
            Assert.Equal(404, stored[ids[2]]);
            Assert.Equal(400, stored[ids[3]]);
            Assert.Equal(200, stored[ids[4]]);
            foreach (var id in ids)
            {
                Assert.Null(await stores.For("eu").FindAsync(id, Ct));
            }

        }
        finally
        {
            await own.DisposeAsync();
        }
    }

    private async Task<(string RequestId, JsonElement Usage)> SendMessageAsync(string prompt)
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", $$"""{"model":"{{Model}}","max_tokens":1024,"messages":[{"role":"user","content":"{{prompt}}"}]}""");
        using var response = await _client.SendAsync(request, Ct);
        using var message = await ApiAssert.MessageAsync(response);
        return (ApiAssert.RequestId(response), message.RootElement.GetProperty("usage").Clone());
    }

    private async Task<JsonDocument> GetReceiptAsync(string requestId, string prefix = "/v1/receipts/")
    {
        using var response = await GetAsync(prefix.TrimStart('/') + requestId, GatewayFixture.DemoKey);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET receipt {requestId}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        return await _client.SendAsync(request, Ct);
    }
}
