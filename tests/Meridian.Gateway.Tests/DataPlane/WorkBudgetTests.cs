using System.Net;
using System.Text.Json;
using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.Tests.DataPlane;

/// <summary>A node whose work budget is one unit per byte: any request with text to count runs out of it.</summary>
public sealed class TinyWorkBudgetGatewayFixture : GatewayFixture
{
    protected override void Configure(GatewayOptions options)
    {
        options.WorkUnitsPerByte = 1;
        options.MinWorkUnits = 1;
    }
}

/// <summary>
/// Issue 15: a request that needs more work to count and screen than its budget allows is refused whole, as 413
/// <c>request_too_large</c> with a request id, before any backend sees it, and its receipt says so (docs/messages-api.md,
/// "Work budget").
/// </summary>
public sealed class WorkBudgetTests(TinyWorkBudgetGatewayFixture gateway) : IClassFixture<TinyWorkBudgetGatewayFixture>, IDisposable
{
    private readonly HttpClient _client = gateway.CreateHttpClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData("/v1/messages")]
    [InlineData("/v1/messages/count_tokens")]
    public async Task A_request_over_its_work_budget_is_refused_413_before_any_backend_and_receipted(string path)
    {
        var text = string.Concat(Enumerable.Repeat("Ordinary words that still cost more than a unit per byte to count. ", 40));
        using var request = GatewayFixture.JsonPost(path, $$"""
            {"model":"{{GatewayFixture.DeploymentName}}","max_tokens":16,"messages":[{"role":"user","content":"{{text}}"}]}
            """);

        using var response = await _client.SendAsync(request, Ct);

        var message = await ApiAssert.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large", mentions: "work");
        Assert.Contains("not sent to any model", message, StringComparison.Ordinal);
        using var receipt = await GetReceiptAsync(ApiAssert.RequestId(response));
        var r = receipt.RootElement;
        Assert.Equal(413, r.GetProperty("status").GetInt32());
        Assert.Equal("request_too_large", r.GetProperty("error_type").GetString());
        Assert.True(!r.TryGetProperty("processing_region", out var region) || region.ValueKind == JsonValueKind.Null, r.GetRawText());
        Assert.Equal(0, r.GetProperty("output_tokens").GetInt64());
    }

    private async Task<JsonDocument> GetReceiptAsync(string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        using var response = await _client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET receipt {requestId}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }
}
