using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
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
/// Guard models on a gateway node, end to end against a recording fake of vLLM serving Llama Guard 3: two guards, one
/// declared in East US (inside the demo resource's us data zone) and one in Sweden Central (outside it). The one inside
/// is sent the request's text, its answer is mapped and acted on, and the receipt names it as a content recipient; the
/// one outside is never sent anything, and the policy's failure mode decides: closed refuses, open answers annotated.
/// </summary>
public sealed class GuardModelGatewayTests : IAsyncLifetime
{
    private const string Trigger = "amber-falcon-protocol"; // the built-in lexicon knows nothing of it

    private const string Policies = """
        {
          "policies": {
            "guarded_us": { "extends": "default", "on_classifier_failure": "closed", "classifiers": ["harm_lexicon", "pii", "prompt_injection", "guard_us"] },
            "guarded_eu": { "extends": "default", "on_classifier_failure": "closed", "classifiers": ["harm_lexicon", "pii", "prompt_injection", "guard_eu"] },
            "open_eu": { "extends": "default", "on_classifier_failure": "open", "classifiers": ["harm_lexicon", "pii", "prompt_injection", "guard_eu"] }
          }
        }
        """;

    private readonly string _policyFile = Path.Combine(Path.GetTempPath(), $"meridian-guard-policies-{Guid.NewGuid():N}.json");
    private readonly ConcurrentQueue<(string Guard, string Text)> _received = new();
    private WebApplication? _vllm;
    private SafeguardsServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _vllm = builder.Build();
        _vllm.MapPost("/{guard}/v1/chat/completions", async (string guard, HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var text = body.RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
            _received.Enqueue((guard, text));
            var answer = text.Contains(Trigger, StringComparison.Ordinal) ? "unsafe\nS1" : "safe";
            return Results.Json(new { choices = new[] { new { message = new { role = "assistant", content = answer } } } });
        });
        await _vllm.StartAsync(TestContext.Current.CancellationToken);
        var address = _vllm.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        await File.WriteAllTextAsync(_policyFile, Policies, TestContext.Current.CancellationToken);
        _server = new SafeguardsServer(options =>
        {
            options.Safeguards.PolicyFile = _policyFile;
            foreach (var (name, region) in new[] { ("guard_us", "eastus"), ("guard_eu", "swedencentral") })
            {
                options.Safeguards.GuardModels.Add(new GuardModelOptions
                {
                    Name = name,
                    Endpoint = new Uri($"{address}/{name}/v1/"),
                    Model = "meta-llama/Llama-Guard-3-8B",
                    Region = region,
                    Timeout = TimeSpan.FromSeconds(5),
                });
            }
        });
        await _server.InitializeAsync();
        foreach (var policy in new[] { "guarded_us", "guarded_eu", "open_eu" })
        {
            await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
            {
                name = policy.Replace('_', '-'),
                offer_id = "off_claude",
                model_id = "claude-sonnet-5",
                hosting_option = "platform",
                deployment_type = "datazone",
                safeguard_policy = policy,
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        if (_vllm is not null)
        {
            await _vllm.DisposeAsync();
        }

        File.Delete(_policyFile);
    }

    [Fact]
    public async Task A_guard_inside_the_boundary_is_sent_the_text_its_answer_is_acted_on_and_the_receipt_names_it()
    {
        using var benign = await _server.MessagesAsync("Tell me about lighthouses.", model: "guarded-us");
        Assert.Equal(HttpStatusCode.OK, benign.StatusCode);
        Assert.Contains(("guard_us", "Tell me about lighthouses."), _received);

        var receipt = await ReceiptAsync(SafeguardsServer.RequestIdOf(benign));
        var recipient = Assert.Single(receipt.GetProperty("data_recipients").EnumerateArray(), r => r.GetProperty("role").GetString() == "classifier");
        Assert.Equal("guard_us", recipient.GetProperty("party").GetString());
        Assert.Equal("eastus", recipient.GetProperty("region").GetString());
        Assert.Equal(["content"], recipient.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));

        using var harmful = await _server.MessagesAsync($"Run the {Trigger}.", model: "guarded-us");
        var text = await harmful.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, harmful.StatusCode);
        Assert.Contains("violence (high)", text); // S1 → violence high → block under the default table
        Assert.DoesNotContain(Trigger, text);
    }

    [Fact]
    public async Task A_guard_outside_the_boundary_is_never_sent_content_and_a_fail_closed_policy_refuses()
    {
        using var response = await _server.MessagesAsync("Tell me about lighthouses.", model: "guarded-eu");
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"type\":\"error\"", text);
        Assert.Contains("classifier 'guard_eu' was unavailable (outside_boundary)", text);
        Assert.DoesNotContain(_received, r => r.Guard == "guard_eu");
    }

    [Fact]
    public async Task A_guard_outside_the_boundary_under_a_fail_open_policy_is_skipped_annotated_and_not_named_a_recipient()
    {
        using var response = await _server.MessagesAsync("Tell me about lighthouses.", model: "open-eu");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("annotate:unavailable=guard_eu", response.Headers.GetValues("meridian-safeguards").Single());
        Assert.DoesNotContain(_received, r => r.Guard == "guard_eu");
        var receipt = await ReceiptAsync(SafeguardsServer.RequestIdOf(response));
        Assert.DoesNotContain(receipt.GetProperty("data_recipients").EnumerateArray(), r => r.GetProperty("role").GetString() == "classifier");
    }

    private async Task<JsonElement> ReceiptAsync(string requestId)
    {
        for (var i = 0; ; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
            request.Headers.Add("x-api-key", SafeguardsServer.DemoKey);
            using var response = await _server.Http.SendAsync(request, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (response.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }

            Assert.True(i < 100, $"receipt {requestId}: {(int)response.StatusCode} {text}");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }
}
