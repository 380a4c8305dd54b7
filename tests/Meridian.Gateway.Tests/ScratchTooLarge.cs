using System.Net.Http.Headers;

namespace Meridian.Gateway.Tests;

public sealed class ScratchTooLarge(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Theory]
    [InlineData(33 * 1024 * 1024, false, 1)]
    [InlineData(33 * 1024 * 1024, false, 2)]
    [InlineData(33 * 1024 * 1024, true, 1)]
    [InlineData(33 * 1024 * 1024, true, 2)]
    [InlineData(32 * 1024 * 1024 + 10, false, 1)]
    [InlineData(40 * 1024 * 1024, false, 1)]
    public async Task Variant(int size, bool expect, int n)
    {
        _ = n;
        using var client = gateway.CreateHttpClient();
        var body = new byte[size];
        body.AsSpan().Fill((byte)' ');
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        request.Headers.ExpectContinue = expect;
        try
        {
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Console.WriteLine($"VARIANT {size} expect={expect}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)} close={response.Headers.ConnectionClose}");
        }
        catch (HttpRequestException ex)
        {
            Console.WriteLine($"VARIANT {size} expect={expect}: EXCEPTION {ex.Message} / {ex.InnerException?.Message}");
        }
    }
}
