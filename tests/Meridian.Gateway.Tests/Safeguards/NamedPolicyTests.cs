using System.Net;
using System.Text.Json;
using Meridian.Gateway.Hosting;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Named policies from the gateway's policy file (<c>Safeguards.PolicyFile</c>): a deployment selects one by name, its
/// requests are screened with it, and a name the gateway does not know is refused at creation.
/// </summary>
public sealed class NamedPolicyTests : IAsyncLifetime
{
    /// <summary>Violence at medium is flagged by <c>default</c>; <c>strict</c> blocks it.</summary>
    private const string Policies = """
        {
          "policies": {
            "strict": { "extends": "default", "input": { "violence": { "medium": "block" } } }
          }
        }
        """;

    private static readonly string PolicyFile = Path.Combine(Path.GetTempPath(), $"meridian-policies-{Guid.NewGuid():N}.json");

    private readonly SafeguardsServer _server = new(options => options.Safeguards.PolicyFile = PolicyFile);

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(PolicyFile, Policies, TestContext.Current.CancellationToken);
        await _server.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        File.Delete(PolicyFile);
    }

    [Fact]
    public async Task A_deployment_selects_a_policy_of_the_policy_file_by_name()
    {
        var created = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = "strict-sonnet",
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "platform",
            deployment_type = "datazone",
            safeguard_policy = "strict",
        });
        Assert.Equal("strict", created.GetProperty("safeguard_policy").GetString());

        using var strict = await _server.MessagesAsync("Someone should shoot that politician.", model: "strict-sonnet");
        var text = await strict.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Contains("policy 'strict'", text);

        using var lenient = await _server.MessagesAsync("Someone should shoot that politician.");
        Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
    }

    [Fact]
    public async Task A_policy_name_the_gateway_does_not_know_is_a_400_listing_the_known_ones()
    {
        var (response, text) = await _server.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = "lenient-sonnet",
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "platform",
            deployment_type = "datazone",
            safeguard_policy = "lenient",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(text);
        var message = problem.RootElement.GetProperty("errors").GetProperty("safeguard_policy")[0].GetString();
        Assert.Contains("default, strict", message);
    }

    [Theory]
    [InlineData("""{"policies":{"strict":{"input":{"violence":{"medium":"obliterate"}}}}}""", "policies.strict.input.violence.medium")]
    [InlineData("""{"policies":{"strict":{"classifiers":["llama_guard"]}}}""", "llama_guard")]
    public void An_invalid_policy_file_stops_the_start_with_a_message_naming_the_setting(string json, string named)
    {
        var file = Path.Combine(Path.GetTempPath(), $"meridian-bad-policies-{Guid.NewGuid():N}.json");
        using var data = new TestDataDirectory("safeguards-tests");
        File.WriteAllText(file, json);
        try
        {
            var options = GatewayNode.Options(data.Path, demoKey: null).OnTestStore();
            options.AdminToken = SafeguardsServer.OperatorToken;
            options.Safeguards.PolicyFile = file;

            var error = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(options));

            Assert.Contains("Safeguards.PolicyFile", error.Message);
            Assert.Contains(named, error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
