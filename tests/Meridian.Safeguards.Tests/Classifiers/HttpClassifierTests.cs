using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Meridian.Protocol.Errors;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests.Classifiers;

/// <summary>A real Kestrel server on a loopback port playing a Llama-Guard-style classification service.</summary>
public sealed class ClassifierServer : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; } = new();

    /// <summary>The bodies the service received, as (text, source).</summary>
    public List<(string Text, string Source)> Received { get; } = [];

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost("/classify", async (HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var text = body.RootElement.GetProperty("text").GetString()!;
            lock (Received)
            {
                Received.Add((text, body.RootElement.GetProperty("source").GetString()!));
            }

            return text.Contains("attack", StringComparison.Ordinal)
                ? Results.Text("""{"categories":[{"category":"violence","severity":"high"},{"category":"S14_code_abuse","severity":"low"}]}""", "application/json")
                : Results.Text("""{"categories":[]}""", "application/json");
        });
        _app.MapPost("/slow", async (CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return Results.Text("""{"categories":[]}""", "application/json");
        });
        _app.MapPost("/down", () => Results.StatusCode(503));
        _app.MapPost("/garbage", () => Results.Text("<html>oops</html>", "text/html"));
        _app.MapPost("/bad-severity", () => Results.Text("""{"categories":[{"category":"hate","severity":"extreme"}]}""", "application/json"));
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    public HttpClassifier Classifier(string path, TimeSpan? timeout = null, int maxTextChars = 32_768, TimeProvider? time = null) =>
        new(Client, new HttpClassifierOptions { Name = "llama_guard", Endpoint = new Uri(BaseAddress, path), Timeout = timeout ?? TimeSpan.FromSeconds(5), MaxTextChars = maxTextChars }, time);
}

public sealed class HttpClassifierTests(ClassifierServer server) : IClassFixture<ClassifierServer>
{
    [Fact]
    public async Task Categories_from_the_service_become_findings_over_the_whole_text_and_unknown_ones_are_ignored()
    {
        const string text = "plan the attack";
        var findings = await Classify(server.Classifier("/classify"), text, TextSource.Output);

        var finding = Assert.Single(findings);
        Assert.Equal(new Finding(SafetyCategory.Violence, HarmKinds.External, Severity.High, 0, text.Length), finding);
        Assert.Contains(("plan the attack", "output"), server.Received);
    }

    [Fact]
    public async Task A_long_text_is_sent_in_pieces_and_findings_keep_their_offsets()
    {
        var findings = await Classify(server.Classifier("/classify", maxTextChars: 10), "0123456789an attack!");

        var finding = Assert.Single(findings);
        Assert.Equal((10, 10), (finding.Start, finding.Length));
    }

    [Theory]
    [InlineData("/down", "http_503")]
    [InlineData("/garbage", "invalid_response")]
    [InlineData("/bad-severity", "invalid_response")]
    public async Task A_failing_service_makes_the_classifier_unavailable_with_a_short_reason(string path, string reason)
    {
        var result = await server.Classifier(path).ClassifyAsync(new ScreeningText("hello", TextSource.User), Ct);

        Assert.Equal(reason, result.UnavailableReason);
    }

    [Fact]
    public async Task A_service_nobody_listens_on_is_unavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var classifier = new HttpClassifier(server.Client, new HttpClassifierOptions { Name = "gone", Endpoint = new Uri($"http://127.0.0.1:{port}/classify") });

        var result = await classifier.ClassifyAsync(new ScreeningText("hello", TextSource.User), Ct);

        Assert.Equal("connection_failed", result.UnavailableReason);
    }

    [Fact]
    public async Task The_timeout_is_measured_on_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        var classifier = server.Classifier("/slow", TimeSpan.FromSeconds(2), time: time);

        var pending = classifier.ClassifyAsync(new ScreeningText("hello", TextSource.User), Ct).AsTask();
        await Task.Delay(100, Ct);
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("timeout", (await pending).UnavailableReason);
    }

    [Fact]
    public async Task On_timeout_a_fail_open_policy_answers_with_an_annotation()
    {
        var screener = new Screener([.. Screener.BuiltInClassifiers(), server.Classifier("/slow", TimeSpan.FromMilliseconds(200))]);
        using var request = Request("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hello there"}]}""");
        var watch = Stopwatch.StartNew();

        var verdict = await screener.ScreenInputAsync(request, SafeguardPolicy.Default, Ct);

        Assert.Equal("annotate:unavailable=llama_guard", verdict.Compact);
        Assert.False(verdict.IsBlocked);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the timeout bounds the wait");
    }

    [Fact]
    public async Task On_timeout_a_fail_closed_policy_blocks_with_a_reason_naming_the_classifier()
    {
        var log = new FakeLogger<Screener>();
        var screener = new Screener([.. Screener.BuiltInClassifiers(), server.Classifier("/slow", TimeSpan.FromMilliseconds(200))], log);
        var strict = SafeguardPolicy.Default.WithName("strict").WithFailureMode(ClassifierFailureMode.Closed);
        using var request = Request("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hello there"}]}""");

        var verdict = await screener.ScreenInputAsync(request, strict, Ct);

        Assert.Equal("block:unavailable=llama_guard", verdict.Compact);
        var error = SafeguardErrors.InputBlocked(verdict);
        Assert.Equal(ErrorTypes.InvalidRequest, error.Type);
        Assert.Equal("Request blocked by content filtering policy 'strict': classifier 'llama_guard' was unavailable (timeout) and the policy fails closed.", error.Message);
        Assert.Contains(log.Collector.GetSnapshot(), e => e.Id.Id == 3000 && e.Exception is null && e.Message == "Classifier llama_guard unavailable (timeout); policy strict fails closed");
        Assert.DoesNotContain(log.Collector.GetSnapshot(), e => $"{e.Message} {e.Exception}".Contains("hello there", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_mistaken_for_a_timeout()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var pending = server.Classifier("/slow").ClassifyAsync(new ScreeningText("hello", TextSource.User), cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public async Task Its_findings_flow_through_input_screening_under_the_policy()
    {
        var screener = new Screener([server.Classifier("/classify")]);
        using var request = Request("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"help me plan an attack"}]}""");

        var verdict = await screener.ScreenInputAsync(request, SafeguardPolicy.Default, Ct);

        Assert.Equal("block:violence=high", verdict.Compact);
        Assert.Equal(["violence:external"], verdict.Kinds);
    }
}
