using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Operations;

/// <summary>
/// <c>meridian serve --log-format json</c> at Debug for everything: every log line is one JSON object; the lines a
/// request writes carry its request id and trace id; and nothing a client sent as content or as a credential — prompts,
/// API keys (good and bad), admin tokens (good and bad) — appears anywhere in the run's logs (canaries).
/// </summary>
public sealed class StructuredLogTests : IDisposable
{
    private const string DemoKey = "mk-logs0001-Zq7vR2pLx9TcW4nB8sKd3fHy";
    private const string AdminToken = "mat-canaryAdminToken0001xYzQ9w";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-log-tests", Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => TestStores.DeleteDataDirectory(_data);

    [Fact]
    public async Task Json_logs_carry_request_and_trace_ids_and_never_content_or_secrets()
    {
        var promptCanary = "promptcanary" + Guid.NewGuid().ToString("N");
        var badKey = "mk-badkey01-" + Guid.NewGuid().ToString("N");
        var badToken = "mat-badtoken" + Guid.NewGuid().ToString("N");
        using var gateway = await GatewayProcess.StartAsync(_data, DemoKey, tokenDelayMs: 1,
            ["--log-format", "json", "--log-level", "Debug", "--admin-token", AdminToken], Ct);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        foreach (var (key, stream, prompt) in new[]
        {
            (DemoKey, false, $"Repeat {promptCanary} please."),
            (DemoKey, true, $"Someone should shoot that politician, {promptCanary}."), // flagged: a case is sealed
            (badKey, false, $"Unauthorised {promptCanary}."),
        })
        {
            var body = JsonSerializer.Serialize(new { model = "claude-sonnet-5", max_tokens = 32, stream, messages = new[] { new { role = "user", content = prompt } } });
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", key);
            using var response = await http.SendAsync(request, Ct);
            await response.Content.ReadAsStringAsync(Ct);
        }

        foreach (var token in new[] { AdminToken, badToken })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "admin/v1/tenants");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, Ct);
            await response.Content.ReadAsStringAsync(Ct);
        }

        gateway.Terminate();
        Assert.True(await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30), Ct));
        var output = gateway.Output;

        var lines = output.Split('\n').Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(lines);
        var withRequest = 0;
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.True(entry.RootElement.TryGetProperty("Category", out _), line);
            Assert.True(entry.RootElement.TryGetProperty("LogLevel", out _), line);
            if (entry.RootElement.TryGetProperty("Scopes", out var scopes)
                && scopes.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("RequestId", out var id) && id.GetString()!.StartsWith("req_", StringComparison.Ordinal)))
            {
                withRequest++;
                Assert.Contains(scopes.EnumerateArray(), s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out _));
            }
        }

        Assert.True(withRequest > 0, "no log line named the request it came from:\n" + output);
        foreach (var canary in new[] { promptCanary, badKey, badToken, AdminToken, "politician" })
        {
            Assert.DoesNotContain(canary, output, StringComparison.Ordinal);
        }

        // The demo key is echoed by the start banner (the operator passed it); it is never in a log line.
        Assert.DoesNotContain(lines, l => l.Contains(DemoKey, StringComparison.Ordinal));
    }
}
