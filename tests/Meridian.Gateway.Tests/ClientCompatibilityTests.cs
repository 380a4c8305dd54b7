using System.Net;
using System.Text;
using System.Text.Json;

namespace Meridian.Gateway.Tests;

/// <summary>
/// Over real HTTP against the simulator: what real clients send is served (mid-conversation system messages), what
/// Anthropic refuses is refused before any backend, and models carry the facts clients size requests by.
/// </summary>
public sealed class ClientCompatibilityTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string json)
    {
        using var client = gateway.CreateHttpClient();
        var response = await client.SendAsync(GatewayFixture.JsonPost("/v1/messages", json), Ct);
        return (response, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_conversation_with_a_mid_conversation_system_message_is_answered()
    {
        var (response, body) = await PostAsync("""
            {"model":"claude-sonnet-5","max_tokens":256,"messages":[{"role":"user","content":"say hello"},
             {"role":"system","content":[{"type":"text","text":"Available agent types: general-purpose."}]}]}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("A system message in the conversation begins", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_longer_than_the_context_window_is_refused_and_reaches_no_backend()
    {
        var words = new StringBuilder();
        for (var i = 0; i < 205_000; i++)
        {
            words.Append(i % 2 == 0 ? "harbor " : "lantern ");
        }

        var (response, _) = await PostAsync($$$"""
            {"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"{{{words}}}"}]}
            """);

        var message = await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "prompt is too long");
        Assert.EndsWith("> 200000 maximum", message, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains(Meridian.Gateway.DataPlane.MessagesEndpoint.ProcessingRegionHeader));
    }

    [Fact]
    public async Task A_url_image_the_simulator_cannot_fetch_is_refused_naming_the_field()
    {
        var (response, _) = await PostAsync("""
            {"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":[
              {"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}},{"type":"text","text":"what is it?"}]}]}
            """);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "messages.0.content.0.source: URL sources are not supported");
    }

    [Fact]
    public async Task A_url_pointing_at_the_gateways_own_loopback_is_refused_for_every_backend()
    {
        var (response, _) = await PostAsync($$$"""
            {"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":[
              {"type":"image","source":{"type":"url","url":"{{{gateway.BaseUrl}}}/v1/models"}}]}]}
            """);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "messages.0.content.0.source.url");
    }

    [Fact]
    public async Task A_field_the_gateway_does_not_know_is_refused_by_the_simulator_rather_than_dropped()
    {
        var (response, _) = await PostAsync("""
            {"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"mcp_servers":[{"type":"url","url":"https://mcp.example.com","name":"x"}]}
            """);

        await ApiAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "mcp_servers: 'mcp_servers' is not supported");
    }

    [Fact]
    public async Task A_model_entry_carries_its_context_window_output_limit_and_capabilities()
    {
        using var client = gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models/claude-sonnet-5");
        request.Headers.Add("x-api-key", GatewayFixture.DemoKey);
        using var response = await client.SendAsync(request, Ct);
        using var model = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        var root = model.RootElement;
        Assert.Equal(200_000, root.GetProperty("max_input_tokens").GetInt32());
        Assert.Equal(64_000, root.GetProperty("max_tokens").GetInt32());
        var capabilities = root.GetProperty("capabilities");
        Assert.True(capabilities.GetProperty("structured_outputs").GetProperty("supported").GetBoolean());
        Assert.True(capabilities.GetProperty("image_input").GetProperty("supported").GetBoolean());
        Assert.False(capabilities.GetProperty("batch").GetProperty("supported").GetBoolean());
        Assert.False(capabilities.GetProperty("thinking").GetProperty("types").GetProperty("adaptive").GetProperty("supported").GetBoolean());
    }
}
