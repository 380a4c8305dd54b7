using System.Net;
using Meridian.Safeguards.Classifiers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// An external classifier configured on the gateway (<c>Safeguards.HttpClassifiers</c>, <c>serve --classifier</c>) and named
/// by a policy: a real HTTP service screens the deployment's requests, and when it is down the policy's
/// <c>on_classifier_failure: closed</c> refuses instead of letting requests through unscreened.
/// </summary>
public sealed class ExternalClassifierTests : IAsyncLifetime
{
    /// <summary>Words the built-in lexicon does not know; only the external service calls them violent.</summary>
    private const string Trigger = "moonlit-heron-ritual";

    private const string Policies = """
        {
          "policies": {
            "guarded": {
              "extends": "default",
              "on_classifier_failure": "closed",
              "classifiers": ["harm_lexicon", "pii", "prompt_injection", "guard_service"],
              "input": { "violence": { "high": "block" } }
            }
          }
        }
        """;

    private readonly string _policyFile = Path.Combine(Path.GetTempPath(), $"meridian-policies-{Guid.NewGuid():N}.json");
    private WebApplication? _service;
    private SafeguardsServer _server = null!;
    private int _calls;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _service = builder.Build();
        _service.MapPost("/classify", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _calls);
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body.Contains(Trigger, StringComparison.Ordinal)
                ? """{"categories":[{"category":"violence","severity":"high"}]}"""
                : """{"categories":[]}""");
        });
        await _service.StartAsync(TestContext.Current.CancellationToken);
        var address = _service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await File.WriteAllTextAsync(_policyFile, Policies, TestContext.Current.CancellationToken);
        _server = new SafeguardsServer(options =>
        {
            options.Safeguards.PolicyFile = _policyFile;
            options.Safeguards.HttpClassifiers.Add(new HttpClassifierOptions
            {
                Name = "guard_service",
                Endpoint = new Uri(address.TrimEnd('/') + "/classify"),
                Timeout = TimeSpan.FromSeconds(2),
                Region = "eastus", // inside the demo resource's data zone (us); see GuardModelGatewayTests for one outside
            });
        });
        await _server.InitializeAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = "guarded-sonnet",
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "platform",
            deployment_type = "datazone",
            safeguard_policy = "guarded",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        File.Delete(_policyFile);
    }

    [Fact]
    public async Task The_service_screens_the_policys_requests_and_its_finding_blocks()
    {
        using var benign = await _server.MessagesAsync("Tell me about lighthouses.", model: "guarded-sonnet");
        Assert.Equal(HttpStatusCode.OK, benign.StatusCode);
        Assert.True(Volatile.Read(ref _calls) > 0, "the external classifier was never called");

        using var flagged = await _server.MessagesAsync($"Describe the {Trigger}.", model: "guarded-sonnet");
        var text = await flagged.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, flagged.StatusCode);
        Assert.Contains("policy 'guarded'", text);
        Assert.DoesNotContain(Trigger, text);

        // A policy without a classifiers list — the built-in default — runs every classifier the node has, this one too.
        using var elsewhere = await _server.MessagesAsync($"Describe the {Trigger}.");
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Contains("policy 'default'", await elsewhere.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task When_the_service_is_down_a_fail_closed_policy_refuses_with_a_clear_error()
    {
        await _service!.StopAsync(TestContext.Current.CancellationToken);

        using var response = await _server.MessagesAsync("Tell me about lighthouses.", model: "guarded-sonnet");
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.False(response.IsSuccessStatusCode, text);
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("\"type\":\"error\"", text);
        Assert.Contains("guard_service", text);

        // The default policy fails open: it answers, unscreened by the missing service.
        using var open = await _server.MessagesAsync("Tell me about lighthouses.");
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }
}
