using System.Net;
using System.Text.Json;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests.Classifiers;

/// <summary>
/// A recording fake of an OpenAI-compatible server (vLLM) serving a guard model: Llama Guard 3 on
/// <c>/v1/chat/completions</c>, ShieldGemma on <c>/v1/completions</c>. It answers from trigger words and keeps every
/// request it was sent, so tests can see exactly what left the gateway.
/// </summary>
public sealed class GuardServer : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; } = new();

    /// <summary>Every request: path, body and Authorization header.</summary>
    public List<(string Path, JsonElement Body, string? Authorization)> Received { get; } = [];

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost("/{prefix}/v1/chat/completions", async (string prefix, HttpRequest request, CancellationToken ct) =>
        {
            var body = await Record(request);
            var last = body.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
            if (prefix == "slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ct);
            }

            if (prefix == "down")
            {
                return Results.StatusCode(503);
            }

            var answer = last switch
            {
                _ when last.Contains("sarin", StringComparison.Ordinal) => "unsafe\nS9",
                _ when last.Contains("neighbour", StringComparison.Ordinal) => "unsafe\nS1,S10",
                _ when last.Contains("senator", StringComparison.Ordinal) => "unsafe\nS5",
                _ when last.Contains("gibberish", StringComparison.Ordinal) => "perhaps",
                _ => "safe",
            };
            return Results.Json(new { choices = new[] { new { message = new { role = "assistant", content = "\n\n" + answer } } } });
        });
        _app.MapPost("/{prefix}/v1/completions", async (HttpRequest request) =>
        {
            var body = await Record(request);
            var prompt = body.GetProperty("prompt").GetString()!;
            var violates = prompt.Contains("* \"No Hate Speech\"", StringComparison.Ordinal) && prompt.Contains("vermin", StringComparison.Ordinal);
            var top = violates ? new Dictionary<string, double> { ["Yes"] = -0.05, ["No"] = -3.0 } : new Dictionary<string, double> { ["Yes"] = -4.0, ["No"] = -0.02 };
            return Results.Json(new { choices = new[] { new { text = violates ? "Yes" : "No", logprobs = new { top_logprobs = new[] { top } } } } });
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
    }

    private async Task<JsonElement> Record(HttpRequest request)
    {
        using var document = await JsonDocument.ParseAsync(request.Body);
        var body = document.RootElement.Clone();
        lock (Received)
        {
            Received.Add((request.Path.Value!, body, request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null));
        }

        return body;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    public GuardModelClassifier Classifier(string prefix, GuardTaxonomy taxonomy = GuardTaxonomy.LlamaGuard3, TimeSpan? timeout = null, TimeProvider? time = null, string? token = null) =>
        new(Client, new GuardModelOptions
        {
            Name = "llama_guard",
            Endpoint = new Uri(BaseAddress, $"/{prefix}/v1/"),
            Model = taxonomy == GuardTaxonomy.LlamaGuard3 ? "meta-llama/Llama-Guard-3-8B" : "google/shieldgemma-9b",
            Taxonomy = taxonomy,
            Region = "eu-west",
            Timeout = timeout ?? TimeSpan.FromSeconds(5),
            BearerToken = token,
        }, time);

    public List<(string Path, JsonElement Body, string? Authorization)> ReceivedUnder(string prefix)
    {
        lock (Received)
        {
            return [.. Received.Where(r => r.Path.StartsWith($"/{prefix}/", StringComparison.Ordinal))];
        }
    }
}

public sealed class GuardModelClassifierTests(GuardServer server) : IClassFixture<GuardServer>
{
    [Fact]
    public async Task Llama_guard_is_sent_the_text_as_the_users_turn_with_the_model_name_and_the_token()
    {
        await Classify(server.Classifier("lg-sent", token: "t0ken"), "hello there");

        var (path, body, authorization) = Assert.Single(server.ReceivedUnder("lg-sent"));
        Assert.Equal("/lg-sent/v1/chat/completions", path);
        Assert.Equal("meta-llama/Llama-Guard-3-8B", body.GetProperty("model").GetString());
        var message = Assert.Single(body.GetProperty("messages").EnumerateArray());
        Assert.Equal(("user", "hello there"), (message.GetProperty("role").GetString(), message.GetProperty("content").GetString()));
        Assert.Equal("Bearer t0ken", authorization);
    }

    [Fact]
    public async Task Model_output_is_classified_as_the_agents_turn_and_the_users_request_is_not_sent_with_it()
    {
        await Classify(server.Classifier("lg-output"), "an answer", TextSource.Output);

        var (_, body, _) = Assert.Single(server.ReceivedUnder("lg-output"));
        var messages = body.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal([("user", "(not shown)"), ("assistant", "an answer")], messages);
    }

    [Theory]
    [InlineData("how do I make sarin", SafetyCategory.Cbrn, Severity.High)] // S9 indiscriminate weapons
    [InlineData("I will hurt my neighbour", SafetyCategory.Violence, Severity.High)] // S1 (and S10 → hate high)
    public async Task Llama_guard_codes_map_to_meridian_categories_and_severities(string text, SafetyCategory category, Severity severity)
    {
        var findings = await Classify(server.Classifier("lg-map"), text);

        Assert.Contains(new Finding(category, HarmKinds.External, severity, 0, text.Length), findings);
    }

    [Fact]
    public async Task Two_codes_give_two_findings()
    {
        var findings = await Classify(server.Classifier("lg-two"), "I will hurt my neighbour");

        Assert.Equal([SafetyCategory.Violence, SafetyCategory.Hate], findings.Select(f => f.Category));
    }

    [Fact]
    public async Task A_code_meridian_does_not_police_is_dropped()
    {
        Assert.Empty(await Classify(server.Classifier("lg-s5"), "the senator took bribes")); // S5 defamation
    }

    [Theory]
    [InlineData("down", "http_503")]
    [InlineData("odd", "invalid_response")]
    public async Task A_failing_or_unreadable_guard_is_unavailable_never_safe(string prefix, string reason)
    {
        var text = prefix == "odd" ? "gibberish" : "hello";
        var result = await server.Classifier(prefix).ClassifyAsync(new ScreeningText(text, TextSource.User), Ct);

        Assert.Equal(reason, result.UnavailableReason);
    }

    [Fact]
    public async Task The_timeout_is_measured_on_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        var pending = server.Classifier("slow", timeout: TimeSpan.FromSeconds(2), time: time).ClassifyAsync(new ScreeningText("hello", TextSource.User), Ct).AsTask();
        await Task.Delay(100, Ct);
        Assert.False(pending.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("timeout", (await pending).UnavailableReason);
    }

    [Fact]
    public async Task A_fail_closed_policy_blocks_when_the_guard_is_down_and_a_fail_open_one_annotates()
    {
        var screener = new Screener([.. Screener.BuiltInClassifiers(), server.Classifier("down")]);
        var strict = SafeguardPolicy.Default.WithName("strict").WithFailureMode(ClassifierFailureMode.Closed);

        Assert.Equal("block:unavailable=llama_guard", (await screener.ScreenTextAsync("hello", TextSource.User, strict, Ct)).Verdict.Compact);
        Assert.Equal("annotate:unavailable=llama_guard", (await screener.ScreenTextAsync("hello", TextSource.User, SafeguardPolicy.Default, Ct)).Verdict.Compact);
    }

    [Fact]
    public async Task Shieldgemma_is_asked_once_per_policy_and_its_probability_sets_the_severity()
    {
        var findings = await Classify(server.Classifier("sg", GuardTaxonomy.ShieldGemma), "they are vermin");

        var prompts = server.ReceivedUnder("sg").Select(r => r.Body.GetProperty("prompt").GetString()!).ToList();
        Assert.Equal(4, prompts.Count);
        Assert.All(GuardTaxonomyMap.ShieldGemmaPolicies, p => Assert.Single(prompts, q => q.Contains(p.Principle, StringComparison.Ordinal)));
        Assert.All(prompts, p => Assert.Contains("Human Question: they are vermin", p, StringComparison.Ordinal));
        var finding = Assert.Single(findings); // p(Yes) = e^-0.05 / (e^-0.05 + e^-3) ≈ 0.95
        Assert.Equal((SafetyCategory.Hate, Severity.High), (finding.Category, finding.Severity));
    }

    [Theory]
    [InlineData(0.95, Severity.High)]
    [InlineData(0.6, Severity.Medium)]
    [InlineData(0.35, Severity.Low)]
    [InlineData(0.1, null)]
    public void Shieldgemma_probabilities_map_to_severities(double probability, Severity? expected)
    {
        Assert.Equal(expected, GuardTaxonomyMap.ShieldGemmaSeverity(probability));
    }

    [Fact]
    public async Task The_documented_llama_guard_mapping_is_the_one_in_the_code()
    {
        var doc = await File.ReadAllTextAsync(RepositoryPaths.SafeguardsDoc, Ct);

        Assert.Contains(GuardTaxonomyMap.LlamaGuardTable(), doc, StringComparison.Ordinal);
    }
}
