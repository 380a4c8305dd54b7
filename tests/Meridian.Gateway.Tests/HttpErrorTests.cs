using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Meridian.Gateway.Tests;

/// <summary>
/// The data plane's answers to bad requests over raw HTTP: the right status and <c>error.type</c>, a message that
/// names the offending field, a request id, and never a 500 or a stack trace.
/// </summary>
public sealed class HttpErrorTests(WiderWorldGatewayFixture gateway) : IClassFixture<WiderWorldGatewayFixture>, IDisposable
{
    private const string Model = GatewayFixture.DeploymentName;
    private const string ValidBody = $$"""{"model":"{{Model}}","max_tokens":1024,"messages":[{"role":"user","content":"Hello gateway"}]}""";

    private readonly HttpClient _client = gateway.CreateHttpClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task A_request_without_any_key_is_401_authentication_error()
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", ValidBody, key: null);
        using var response = await _client.SendAsync(request, Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Theory]
    [InlineData("x-api-key")]
    [InlineData("api-key")]
    [InlineData("Authorization")]
    public async Task A_wrong_key_is_401_on_every_accepted_header(string header)
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", ValidBody, key: null);
        AddKey(request, header, GatewayFixture.DemoKey + "x");
        using var response = await _client.SendAsync(request, Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Theory]
    [InlineData("x-api-key")]
    [InlineData("api-key")]
    [InlineData("Authorization")]
    public async Task The_valid_key_works_on_every_accepted_header(string header)
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", ValidBody, key: null);
        AddKey(request, header, GatewayFixture.DemoKey);
        using var response = await _client.SendAsync(request, Ct);

        using var message = await ApiAssert.MessageAsync(response);
        Assert.Equal("end_turn", message.RootElement.GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData("x-api-key", "Authorization")]
    [InlineData("Authorization", "x-api-key")]
    [InlineData("api-key", "x-api-key")]
    public async Task Two_headers_with_different_keys_are_401_whichever_is_valid(string validHeader, string otherHeader)
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", ValidBody, key: null);
        AddKey(request, validHeader, GatewayFixture.DemoKey);
        AddKey(request, otherHeader, "mk-00000000-SomeoneElsesKeyThatIsNotValid0");
        using var response = await _client.SendAsync(request, Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error", "different credentials");
    }

    [Fact]
    public async Task The_same_key_in_two_headers_is_one_caller()
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", ValidBody, key: null);
        AddKey(request, "x-api-key", GatewayFixture.DemoKey);
        AddKey(request, "Authorization", GatewayFixture.DemoKey);
        using var response = await _client.SendAsync(request, Ct);

        using var message = await ApiAssert.MessageAsync(response);
        Assert.Equal("end_turn", message.RootElement.GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData("2023-06-01")]
    [InlineData("2026-10-21")]
    [InlineData(null)]
    public async Task Any_anthropic_version_or_none_is_accepted(string? version)
    {
        using var request = GatewayFixture.JsonPost("/v1/messages", ValidBody);
        if (version is not null)
        {
            request.Headers.Add("anthropic-version", version);
        }

        using var response = await _client.SendAsync(request, Ct);

        using var message = await ApiAssert.MessageAsync(response);
    }

    [Fact]
    public async Task Unknown_top_level_fields_are_not_dropped_a_backend_that_cannot_express_them_refuses_naming_the_field()
    {
        // An Anthropic upstream gets them as sent (Backends/AnthropicHttpBackendTests); the simulator cannot judge them.
        const string body = $$"""
            {"model":"{{Model}}","max_tokens":1024,"messages":[{"role":"user","content":"Hello with extras"}],
             "service_tier":"auto","inference_geo":"us","some_future_field":{"x":1} }
            """;
        using var request = GatewayFixture.JsonPost("/v1/messages", body);
        using var response = await _client.SendAsync(request, Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "inference_geo: 'inference_geo' is not supported");
    }

    [Fact]
    public async Task Malformed_JSON_is_400()
    {
        using var response = await PostAsync("""{"model":"claude-sonnet-5","max_tokens":32,"messages":[""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "JSON");
    }

    [Fact]
    public async Task Invalid_UTF8_is_400()
    {
        var prefix = Encoding.UTF8.GetBytes($$"""{"model":"{{Model}}","max_tokens":32,"messages":[{"role":"user","content":"bad """);
        var suffix = Encoding.UTF8.GetBytes("\"}]}");
        byte[] body = [.. prefix, 0xC3, 0x28, 0xFF, 0xFE, .. suffix];
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);

        using var response = await _client.SendAsync(request, Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "UTF-8");
    }

    [Fact]
    public async Task Duplicate_properties_are_400()
    {
        using var response = await PostAsync($$"""{"model":"{{Model}}","model":"other","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "duplicate");
    }

    [Fact]
    public async Task A_body_nested_100_levels_deep_is_400()
    {
        var nested = string.Concat(Enumerable.Repeat("""{"a":""", 100)) + "1" + new string('}', 100);
        using var response = await PostAsync($$"""{"model":"{{Model}}","max_tokens":32,"messages":[{"role":"user","content":"hi"}],"metadata":{{nested}}}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "nest");
    }

    [Fact]
    public async Task Stream_given_as_a_string_is_400_naming_stream()
    {
        using var response = await PostAsync($$"""{"model":"{{Model}}","max_tokens":32,"stream":"true","messages":[{"role":"user","content":"hi"}]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "stream");
    }

    [Fact]
    public async Task Temperature_outside_0_to_1_is_400_naming_temperature()
    {
        using var response = await PostAsync($$"""{"model":"{{Model}}","max_tokens":32,"temperature":5,"messages":[{"role":"user","content":"hi"}]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "temperature");
    }

    [Fact]
    public async Task Messages_that_do_not_alternate_are_400_naming_messages()
    {
        using var response = await PostAsync($$"""
            {"model":"{{Model}}","max_tokens":32,"messages":[{"role":"user","content":"one"},{"role":"user","content":"two"}]}
            """);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "messages");
    }

    [Fact]
    public async Task Empty_messages_are_400_naming_messages()
    {
        using var response = await PostAsync($$"""{"model":"{{Model}}","max_tokens":32,"messages":[]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "messages");
    }

    [Fact]
    public async Task Max_tokens_zero_is_400_naming_max_tokens()
    {
        using var response = await PostAsync($$"""{"model":"{{Model}}","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "max_tokens");
    }

    [Fact]
    public async Task Max_tokens_above_the_deployment_limit_is_400_naming_max_tokens()
    {
        using var response = await PostAsync($$"""{"model":"{{Model}}","max_tokens":100000,"messages":[{"role":"user","content":"hi"}]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "max_tokens");
    }

    [Fact]
    public async Task A_missing_model_is_400_naming_model()
    {
        using var response = await PostAsync("""{"max_tokens":32,"messages":[{"role":"user","content":"hi"}]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "model");
    }

    [Fact]
    public async Task A_body_that_is_not_declared_as_JSON_is_400_naming_the_content_type()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(ValidBody, Encoding.UTF8, new MediaTypeHeaderValue("text/plain")),
        };
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);

        using var response = await _client.SendAsync(request, Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "Content-Type");
    }

    /// <summary>
    /// A plain upload with a Content-Length, as every SDK sends it. The client must get the 413, not a reset
    /// connection in the middle of its upload (which SDKs report as an I/O error and retry).
    /// </summary>
    [Fact]
    public async Task A_body_over_32_MiB_is_413_request_too_large()
    {
        var body = BigBody(33 * 1024 * 1024);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);

        using var response = await _client.SendAsync(request, timeout.Token);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task A_body_over_32_MiB_announced_with_expect_100_continue_is_413_before_it_is_sent()
    {
        var body = BigBody(33 * 1024 * 1024);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.ExpectContinue = true;
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);

        using var response = await _client.SendAsync(request, timeout.Token);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task A_body_over_32_MiB_sent_chunked_without_a_length_is_413_request_too_large()
    {
        var body = BigBody(33 * 1024 * 1024);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StreamContent(new MemoryStream(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);

        using var response = await _client.SendAsync(request, timeout.Token);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task A_malformed_chunked_body_is_answered_400_and_receipted_as_400()
    {
        var address = _client.BaseAddress!;
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(address.Host, address.Port, Ct);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/messages HTTP/1.1\r\nHost: {address.Authority}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
            + $"x-api-key: {GatewayFixture.DemoKey}\r\nConnection: close\r\n\r\nzz\r\nnot a chunk size\r\n0\r\n\r\n"), Ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync(Ct);

        Assert.StartsWith("HTTP/1.1 400 ", answer, StringComparison.Ordinal);
        var requestId = System.Text.RegularExpressions.Regex.Match(answer, @"(?im)^request-id: (\S+)").Groups[1].Value;
        Assert.StartsWith("req_", requestId, StringComparison.Ordinal);
        var receipt = await ReceiptOfAsync(requestId);
        Assert.Equal(400, receipt.GetProperty("status").GetInt32());
        Assert.Equal("invalid_request_error", receipt.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task An_unknown_model_is_404_not_found_error_naming_it()
    {
        using var response = await PostAsync("""{"model":"no-such-model-7","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}""");

        await ApiAssert.ErrorAsync(response, HttpStatusCode.NotFound, "not_found_error", mentions: "no-such-model-7");
    }

    [Theory]
    [InlineData("GET", "v1/nothing-here")]
    [InlineData("POST", "v2/messages")]
    [InlineData("GET", "v1/messages")]
    public async Task An_unknown_route_is_a_404_JSON_error(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);

        using var response = await _client.SendAsync(request, Ct);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.NotFound, "not_found_error");
    }

    [Fact]
    public async Task A_deployment_of_another_resource_of_the_same_tenant_is_403_permission_error()
    {
        using var response = await PostAsync($$"""
            {"model":"{{WiderWorldGatewayFixture.OtherResourceDeployment}}","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}
            """);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.Forbidden, "permission_error", mentions: WiderWorldGatewayFixture.OtherResourceDeployment);
    }

    [Fact]
    public async Task Count_tokens_validates_and_authenticates_like_messages()
    {
        using (var request = GatewayFixture.JsonPost("/v1/messages/count_tokens", """{"model":"claude-sonnet-5","messages":[{"role":"user","content":"hi"}]}""", key: "mk-nope"))
        using (var response = await _client.SendAsync(request, Ct))
        {
            await ApiAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
        }

        using (var response = await PostAsync("""{"model":"claude-sonnet-5","messages":[]}""", "/v1/messages/count_tokens"))
        {
            await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "messages");
        }

        using (var response = await PostAsync("""{"model":"no-such-model-8","messages":[{"role":"user","content":"hi"}]}""", "/anthropic/v1/messages/count_tokens"))
        {
            await ApiAssert.ErrorAsync(response, HttpStatusCode.NotFound, "not_found_error", mentions: "no-such-model-8");
        }
    }

    [Fact]
    public async Task Errors_on_the_Foundry_path_have_the_same_shape()
    {
        using (var request = GatewayFixture.JsonPost("/anthropic/v1/messages", ValidBody, key: null))
        using (var response = await _client.SendAsync(request, Ct))
        {
            await ApiAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
        }

        using (var response = await PostAsync($$"""{"model":"{{Model}}","max_tokens":32,"temperature":5,"messages":[{"role":"user","content":"hi"}]}""", "/anthropic/v1/messages"))
        {
            await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", mentions: "temperature");
        }
    }

    private async Task<HttpResponseMessage> PostAsync(string json, string path = "/v1/messages")
    {
        using var request = GatewayFixture.JsonPost(path, json);
        return await _client.SendAsync(request, Ct);
    }

    /// <summary>Reads a receipt with the demo key, waiting for the record writer to have stored it.</summary>
    private async Task<System.Text.Json.JsonElement> ReceiptOfAsync(string requestId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
            request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
            using var response = await _client.SendAsync(request, Ct);
            if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                return document.RootElement.Clone();
            }

            await Task.Delay(50, Ct);
        }
    }

    private static void AddKey(HttpRequestMessage request, string header, string key)
    {
        if (header == "Authorization")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        else
        {
            request.Headers.Add(header, key);
        }
    }

    /// <summary>A well-formed Messages body of exactly <paramref name="size"/> bytes.</summary>
    private static byte[] BigBody(int size)
    {
        var head = Encoding.UTF8.GetBytes($$"""{"model":"{{Model}}","max_tokens":32,"messages":[{"role":"user","content":" """);
        var tail = Encoding.UTF8.GetBytes("\"}]}");
        var body = new byte[size];
        head.CopyTo(body, 0);
        body.AsSpan(head.Length, size - head.Length - tail.Length).Fill((byte)'a');
        tail.CopyTo(body, size - tail.Length);
        return body;
    }
}
