using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Meridian.Cli.Tests;

/// <summary>Calls the data plane (<c>/v1/messages</c>, <c>/v1/receipts</c>) as an application with an API key would.</summary>
internal static class DataPlane
{
    public static async Task<HttpResponseMessage> SendMessageAsync(HttpClient http, string key, string model)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                $$"""{"model":"{{model}}","max_tokens":64,"messages":[{"role":"user","content":"Hello from the walkthrough"}]}""",
                Encoding.UTF8,
                new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("x-api-key", key);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Sends a message until it is answered 200: a new key or deployment reaches the routing snapshot within the
    /// node's refresh interval, not necessarily at once. Returns the answer's <c>request-id</c>.
    /// </summary>
    public static async Task<string> SendMessageUntilOkAsync(HttpClient http, string key, string model)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            using var response = await SendMessageAsync(http, key, model);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return response.Headers.GetValues("request-id").Single();
            }

            Assert.True(DateTime.UtcNow < deadline, $"POST /v1/messages with model {model}: {(int)response.StatusCode} {body}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public static async Task<JsonElement> GetReceiptAsync(HttpClient http, string key, string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", key);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v1/receipts/{requestId}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }
}
