using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Meridian.Gateway.Tests.OpenAi;

/// <summary>The official OpenAI .NET client pointed at a gateway, as a customer would point it, and OpenAI-shaped error assertions.</summary>
internal static class OpenAiClients
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="baseUrl">The gateway's root without a trailing slash.</param>
    /// <param name="prefix"><c>/v1</c> or <c>/openai/v1</c>: the two base URLs the README shows.</param>
    public static OpenAIClientOptions Options(string baseUrl, string prefix = "/v1") => new()
    {
        Endpoint = new Uri(baseUrl + prefix),

        // The SDK retries 429 and 5xx three times by default; the tests look at the first answer.
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    public static ChatClient Chat(string baseUrl, string key, string model = GatewayFixture.DeploymentName, string prefix = "/v1") =>
        new(model, new ApiKeyCredential(key), Options(baseUrl, prefix));

    public static string Header(PipelineResponse response, string name) =>
        response.Headers.TryGetValue(name, out var value) ? value! : throw new Xunit.Sdk.XunitException($"the response has no {name} header");

    /// <summary>
    /// Asserts the SDK's exception carries OpenAI's error shape with the given status, type and code, that
    /// <c>x-request-id</c> and <c>request-id</c> name the same request; returns the error object.
    /// </summary>
    public static JsonElement AssertError(ClientResultException exception, int status, string type, string? code)
    {
        Assert.Equal(status, exception.Status);
        var response = exception.GetRawResponse() ?? throw new Xunit.Sdk.XunitException("the exception carries no response");
        Assert.StartsWith("req_", Header(response, "request-id"), StringComparison.Ordinal);
        Assert.Equal(Header(response, "request-id"), Header(response, "x-request-id"));
        using var body = JsonDocument.Parse(response.Content.ToString());
        var error = body.RootElement.GetProperty("error").Clone();
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.True(error.TryGetProperty("param", out _), "error.param must be present (null when no field is at fault)");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error;
    }

    /// <summary>The same assertion over plain HTTP, for requests no SDK would send.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type, string? code, string? param = null)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var requestId = ApiAssert.RequestId(response);
        Assert.Equal(requestId, Assert.Single(response.Headers.GetValues("x-request-id")));
        using var body = JsonDocument.Parse(text);
        Assert.Equal(["error"], body.RootElement.EnumerateObject().Select(p => p.Name));
        var error = body.RootElement.GetProperty("error").Clone();
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        return error;
    }
}
