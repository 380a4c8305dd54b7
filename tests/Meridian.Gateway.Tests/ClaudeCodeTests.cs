using System.Diagnostics;
using System.Text.Json;

namespace Meridian.Gateway.Tests;

/// <summary>
/// Claude Code (npm <c>@anthropic-ai/claude-code</c>, pinned in <c>tests/clients</c>) pointed at a gateway over real
/// HTTP with the simulator, with a private HOME and its non-essential traffic off, and no workaround flag: each run
/// must exit 0 with its turn complete. What it sends is recorded in docs/claude-code.md.
/// </summary>
public sealed class ClaudeCodeTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private readonly string _home = Directory.CreateTempSubdirectory("meridian-claude-code-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task A_default_print_session_answers_with_the_turn_complete()
    {
        var run = await ClaudeAsync(Direct(), "-p", "say hello", "--model", GatewayFixture.DeploymentName);

        run.AssertSucceeded();
        Assert.Contains("Meridian simulator", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tool_round_trip_streams_as_json_and_a_continued_session_carries_it()
    {
        // The simulator calls a tool the prompt names; Claude Code runs it and sends the result back for the final answer.
        var run = await ClaudeAsync(Direct(), "-p", "Use the Read tool to read notes.txt", "--model", GatewayFixture.DeploymentName,
            "--output-format", "stream-json", "--verbose");

        run.AssertSucceeded();
        var events = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var blocks = events.Where(e => e.GetProperty("type").GetString() is "assistant" or "user")
            .SelectMany(e => e.GetProperty("message").GetProperty("content").EnumerateArray())
            .Select(b => b.GetProperty("type").GetString())
            .ToList();
        Assert.Contains("tool_use", blocks);
        Assert.Contains("tool_result", blocks);
        var result = events.Last();
        Assert.Equal("result", result.GetProperty("type").GetString());
        Assert.Equal("success", result.GetProperty("subtype").GetString());
        Assert.False(result.GetProperty("is_error").GetBoolean(), run.Stdout);
        Assert.Contains("I received the result of the tool Read", result.GetProperty("result").GetString(), StringComparison.Ordinal);

        var continued = await ClaudeAsync(Direct(), "-c", "-p", "and now say goodbye", "--model", GatewayFixture.DeploymentName);

        continued.AssertSucceeded();
        Assert.Contains("You wrote: \"and now say goodbye\"", continued.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("This is turn 1 ", continued.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Foundry_mode_reaches_the_gateway_under_anthropic()
    {
        var foundry = new Dictionary<string, string>
        {
            ["CLAUDE_CODE_USE_FOUNDRY"] = "1",
            ["ANTHROPIC_FOUNDRY_BASE_URL"] = gateway.BaseUrl + "/anthropic",
            ["ANTHROPIC_FOUNDRY_API_KEY"] = GatewayFixture.DemoKey,
        };

        var run = await ClaudeAsync(foundry, "-p", "say hello", "--model", GatewayFixture.DeploymentName);

        run.AssertSucceeded();
        Assert.Contains("Meridian simulator", run.Stdout, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Direct() => new()
    {
        ["ANTHROPIC_BASE_URL"] = gateway.BaseUrl,
        ["ANTHROPIC_API_KEY"] = GatewayFixture.DemoKey,
    };

    private async Task<Run> ClaudeAsync(Dictionary<string, string> environment, params string[] arguments)
    {
        var root = RepoRoot.Find();
        var claude = Path.Combine(root, "tests", "clients", "node_modules", ".bin", "claude");
        Assert.True(File.Exists(claude), $"{claude} is missing: run `npm ci` in tests/clients (./build.sh test does this).");

        var start = new ProcessStartInfo(claude)
        {
            WorkingDirectory = _home,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the run needs: no developer credentials, settings or endpoints leak in, and nothing leaves the machine.
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        start.Environment["HOME"] = _home;
        start.Environment["DISABLE_TELEMETRY"] = "1";
        start.Environment["DISABLE_AUTOUPDATER"] = "1";
        start.Environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("claude did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"claude {string.Join(' ', arguments)} did not finish within {Timeout.TotalSeconds:0} s.");
        }

        return new Run(process.ExitCode, await stdout, await stderr, gateway.LogText);
    }

    private sealed record Run(int ExitCode, string Stdout, string Stderr, string GatewayLog)
    {
        public void AssertSucceeded() =>
            Assert.True(ExitCode == 0 && !Stdout.Contains("API Error", StringComparison.Ordinal),
                $"claude exited {ExitCode}.\nstdout: {Stdout}\nstderr: {Stderr}\ngateway log: {GatewayLog}");
    }
}
