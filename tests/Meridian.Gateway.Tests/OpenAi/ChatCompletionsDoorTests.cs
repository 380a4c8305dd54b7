using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.Gateway.Tests.Admin;
using Meridian.Gateway.Tests.Metering;
using OpenAI.Chat;

namespace Meridian.Gateway.Tests.OpenAi;

/// <summary>
/// The chat completions door over plain HTTP: every refusal the Messages path makes comes out in OpenAI's error shape
/// with OpenAI's status, requests that cannot be translated faithfully are refused naming the field, and refused
/// requests are receipted like any other.
/// </summary>
public sealed class ChatCompletionsDoorTests(WiderWorldGatewayFixture gateway) : IClassFixture<WiderWorldGatewayFixture>, IDisposable
{
    private readonly HttpClient _client = gateway.CreateHttpClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    private Task<HttpResponseMessage> PostAsync(string json, string? key = GatewayFixture.DemoKey, string path = "v1/chat/completions")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return _client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task A_request_that_cannot_be_translated_faithfully_is_a_400_naming_the_field_and_is_receipted()
    {
        using var response = await PostAsync("""{"model":"claude-sonnet-5","n":2,"messages":[{"role":"user","content":"Two answers, please"}]}""");

        var error = await OpenAiClients.AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", code: null, param: "n");
        Assert.Contains("n = 1", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var receipt = await ReceiptAsync(ApiAssert.RequestId(response));
        Assert.Equal("chat_completions", receipt.GetProperty("endpoint").GetString());
        Assert.Equal(400, receipt.GetProperty("status").GetInt32());
        Assert.Equal("invalid_request_error", receipt.GetProperty("error_type").GetString());
    }

    [Theory]
    [InlineData("\"temperature\":1.5", "temperature")]
    [InlineData("\"logprobs\":true", "logprobs")]
    [InlineData("\"functions\":[{\"name\":\"f\",\"parameters\":{}}]", "functions")]
    [InlineData("\"frobnicate\":true", "frobnicate")]
    public async Task Fields_without_a_Messages_equivalent_are_refused_not_dropped(string field, string param)
    {
        using var response = await PostAsync($$"""{"model":"claude-sonnet-5",{{field}},"messages":[{"role":"user","content":"hi"}]}""");

        await OpenAiClients.AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", code: null, param: param);
    }

    [Fact]
    public async Task The_translated_request_is_validated_like_a_Messages_request()
    {
        // Valid for OpenAI's schema, but past the deployment's output limit: the Messages path's own check answers.
        using var response = await PostAsync("""{"model":"claude-sonnet-5","max_completion_tokens":100000000,"messages":[{"role":"user","content":"hi"}]}""");

        var error = await OpenAiClients.AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", code: null);
        Assert.Contains("max_tokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_key_and_a_wrong_key_are_401_invalid_api_key()
    {
        using var none = await PostAsync("""{"model":"claude-sonnet-5","messages":[{"role":"user","content":"hi"}]}""", key: null);
        using var wrong = await PostAsync("""{"model":"claude-sonnet-5","messages":[{"role":"user","content":"hi"}]}""", key: "mk-nope");

        await OpenAiClients.AssertErrorAsync(none, HttpStatusCode.Unauthorized, "invalid_request_error", "invalid_api_key");
        await OpenAiClients.AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, "invalid_request_error", "invalid_api_key");
    }

    [Fact]
    public async Task A_deployment_of_another_resource_is_a_403_permission_error()
    {
        using var response = await PostAsync($$"""{"model":"{{WiderWorldGatewayFixture.OtherResourceDeployment}}","messages":[{"role":"user","content":"hi"}]}""");

        await OpenAiClients.AssertErrorAsync(response, HttpStatusCode.Forbidden, "permission_error", code: null);
    }

    [Fact]
    public async Task An_unknown_path_under_openai_v1_is_an_OpenAI_shaped_404()
    {
        using var response = await _client.GetAsync("openai/v1/embeddings-of-nothing", Ct);

        await OpenAiClients.AssertErrorAsync(response, HttpStatusCode.NotFound, "invalid_request_error", "unknown_url");
    }

    [Fact]
    public async Task Models_under_openai_v1_are_an_OpenAI_list_of_the_callers_deployments_only()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "openai/v1/models");
        request.Headers.Add("api-key", GatewayFixture.DemoKey);
        using var response = await _client.SendAsync(request, Ct);
        var list = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", list.GetProperty("object").GetString());
        var model = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(["id", "object", "created", "owned_by"], model.EnumerateObject().Select(p => p.Name));
        Assert.Equal(GatewayFixture.DeploymentName, model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
    }

    [Fact]
    public async Task A_streamed_answer_is_data_only_chunks_ending_in_DONE_with_the_usage_chunk_when_asked()
    {
        using var response = await PostAsync(
            """{"model":"claude-sonnet-5","max_tokens":40,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Stream it"}]}""");
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("event:", text, StringComparison.Ordinal);
        var frames = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(frames, f => Assert.StartsWith("data: ", f, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", frames[^1]);
        using var usageChunk = JsonDocument.Parse(frames[^2]["data: ".Length..]);
        Assert.Empty(usageChunk.RootElement.GetProperty("choices").EnumerateArray());
        Assert.Equal(40, usageChunk.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        using var finish = JsonDocument.Parse(frames[^3]["data: ".Length..]);
        Assert.Equal("length", finish.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        var receipt = await ReceiptAsync(ApiAssert.RequestId(response));
        Assert.True(receipt.GetProperty("streamed").GetBoolean());
        Assert.Equal("chat_completions", receipt.GetProperty("endpoint").GetString());
        Assert.Equal(40, receipt.GetProperty("output_tokens").GetInt32());
    }

    private async Task<JsonElement> ReceiptAsync(string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        using var response = await _client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET receipt {requestId}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }
}

/// <summary>Quotas through the OpenAI door: a 429 the OpenAI SDKs recognise, with OpenAI's code and a retry-after.</summary>
public sealed class ChatCompletionsQuotaTests(AdminServer server) : IClassFixture<AdminServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Past_the_deployments_requests_per_minute_the_SDK_gets_a_429_rate_limit_exceeded_with_retry_after()
    {
        var world = await MeteringWorld.CreateAsync(server, rpm: 1);
        var client = OpenAiClients.Chat(server.Http.BaseAddress!.GetLeftPart(UriPartial.Authority), world.Key, world.DeploymentName, "/openai/v1");

        var admitted = await client.CompleteChatAsync([new UserChatMessage("The one request this minute")], new ChatCompletionOptions { MaxOutputTokenCount = 16 }, Ct);
        Assert.Equal("1", OpenAiClients.Header(admitted.GetRawResponse(), "x-ratelimit-limit-requests"));
        Assert.Equal("0", OpenAiClients.Header(admitted.GetRawResponse(), "x-ratelimit-remaining-requests"));
        Assert.Matches("^([0-9]+m)?[0-9]+s$", OpenAiClients.Header(admitted.GetRawResponse(), "x-ratelimit-reset-requests"));
        var refused = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("One too many")], new ChatCompletionOptions { MaxOutputTokenCount = 16 }, Ct));

        var error = OpenAiClients.AssertError(refused, 429, "rate_limit_error", "rate_limit_exceeded");
        Assert.Contains("requests per minute", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var retryAfter = int.Parse(OpenAiClients.Header(refused.GetRawResponse()!, "retry-after"), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("0", OpenAiClients.Header(refused.GetRawResponse()!, "x-ratelimit-remaining-requests"));
    }
}

/// <summary>Boundary routing fails closed through the OpenAI door too: nothing reachable inside the boundary is a 503.</summary>
public sealed class ChatCompletionsFailClosedTests : IAsyncLifetime
{
    private const string Key = "mk-test0004-Fc3wR8tLq2XmZ6bN4vKd9sHe";

    private readonly TestDataDirectory _data = new("openai-tests");
    private GatewayNode? _node;
    private string _baseUrl = string.Empty;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // The only backend is an upstream nobody listens on (port 1): every attempt inside the boundary fails to connect.
        var options = GatewayNode.Options(_data.Path, Key);
        options.UpstreamUrl = new Uri("http://127.0.0.1:1/");
        _node = await GatewayNode.StartAsync(options, cancellationToken: Ct);
        _baseUrl = _node.BaseUrl;
    }

    public async ValueTask DisposeAsync()
    {
        if (_node is { } node)
        {
            await node.DisposeAsync();
        }

        _data.Dispose();
    }

    [Fact]
    public async Task An_unreachable_boundary_is_a_503_the_SDK_may_retry_never_an_answer_from_elsewhere()
    {
        var client = OpenAiClients.Chat(_baseUrl, Key);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));

        OpenAiClients.AssertError(refused, 503, "service_unavailable_error", code: null);
        Assert.Equal("1", OpenAiClients.Header(refused.GetRawResponse()!, "retry-after"));
    }
}
