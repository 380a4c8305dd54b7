using System.Net;
using System.Text.Json;

namespace Meridian.Gateway.Tests;

/// <summary>Assertions on the gateway's HTTP answers that every test shares.</summary>
internal static class ApiAssert
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every response carries a <c>request-id</c> header shaped <c>req_…</c>; returns it.</summary>
    public static string RequestId(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("request-id", out var values), "the response has no request-id header");
        var id = Assert.Single(values);
        Assert.StartsWith("req_", id, StringComparison.Ordinal);
        return id;
    }

    /// <summary>No 5xx, no stack trace: what a client error must never turn into.</summary>
    public static void NotAServerFailure(HttpResponseMessage response, string body)
    {
        Assert.True((int)response.StatusCode < 500, $"expected a client error, got {(int)response.StatusCode}: {body}");
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    /// <summary>
    /// Asserts an Anthropic-shaped error: status, <c>error.type</c>, a non-empty message (naming
    /// <paramref name="mentions"/> when given, case-insensitively), <c>request_id</c> equal to the header. Returns the message.
    /// </summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorType, string? mentions = null)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        NotAServerFailure(response, body);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var requestId = RequestId(response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        var error = root.GetProperty("error");
        Assert.Equal(errorType, error.GetProperty("type").GetString());
        var message = error.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message), "error.message is empty");
        Assert.Equal(requestId, root.GetProperty("request_id").GetString());
        if (mentions is not null)
        {
            Assert.Contains(mentions, message, StringComparison.OrdinalIgnoreCase);
        }

        return message!;
    }

    /// <summary>Asserts a 200 JSON message answer and returns its parsed body.</summary>
    public static async Task<JsonDocument> MessageAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        RequestId(response);
        var json = JsonDocument.Parse(body);
        Assert.Equal("message", json.RootElement.GetProperty("type").GetString());
        return json;
    }
}
