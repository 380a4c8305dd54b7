using System.Diagnostics;
using System.Text.Json;

namespace Meridian.Gateway.Tests;

/// <summary>
/// The official TypeScript SDK (<c>@anthropic-ai/sdk</c>, driven by <c>tests/node-sdk/sdk-check.mjs</c>) against the
/// gateway: a message, a stream through its MessageStream helper, count_tokens and a typed authentication error.
/// </summary>
public sealed class NodeSdkTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_TypeScript_SDK_gets_messages_streams_token_counts_and_typed_errors()
    {
        var root = RepoRoot.Find();
        var sdkDirectory = Path.Combine(root, "tests", "node-sdk");
        Assert.True(
            Directory.Exists(Path.Combine(sdkDirectory, "node_modules")),
            $"{sdkDirectory}/node_modules is missing: run `npm ci` in tests/node-sdk (./build.sh test does this).");

        var (exitCode, stdout, stderr) = await RunNodeAsync(root, gateway);

        Assert.True(exitCode == 0, $"sdk-check.mjs exited with {exitCode}.\nstdout: {stdout}\nstderr: {stderr}\ngateway log: {gateway.LogText}");
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.False(string.IsNullOrEmpty(line), $"sdk-check.mjs printed nothing.\nstderr: {stderr}");
        using var json = JsonDocument.Parse(line);
        var result = json.RootElement;

        var message = result.GetProperty("message");
        Assert.False(string.IsNullOrWhiteSpace(message.GetProperty("text").GetString()), "the message has no text");
        Assert.StartsWith("msg_", message.GetProperty("id").GetString(), StringComparison.Ordinal);
        // sdk-check.mjs asks for max_tokens 64, which may cut the simulator's answer short.
        Assert.Contains(message.GetProperty("stop_reason").GetString(), new[] { "end_turn", "max_tokens" });
        Assert.StartsWith("req_", message.GetProperty("request_id").GetString(), StringComparison.Ordinal);
        Assert.True(message.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0, "usage.output_tokens should be positive");

        var stream = result.GetProperty("stream");
        Assert.Equal(stream.GetProperty("final_text").GetString(), stream.GetProperty("text").GetString());
        Assert.False(string.IsNullOrWhiteSpace(stream.GetProperty("text").GetString()), "the stream carried no text");
        Assert.True(stream.GetProperty("deltas").GetInt32() > 1, "the stream should arrive in more than one text delta");
        Assert.Contains(stream.GetProperty("stop_reason").GetString(), new[] { "end_turn", "max_tokens" });
        Assert.True(stream.GetProperty("output_tokens").GetInt32() > 0, "the stream's final usage.output_tokens should be positive");

        Assert.True(result.GetProperty("count_tokens").GetInt32() > 0, "count_tokens should count something");

        var authError = result.GetProperty("auth_error");
        Assert.Equal(401, authError.GetProperty("status").GetInt32());
        Assert.Equal("authentication_error", authError.GetProperty("type").GetString());
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string root, GatewayFixture gateway)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine("tests", "node-sdk", "sdk-check.mjs"));
        start.Environment["MERIDIAN_BASE_URL"] = gateway.BaseUrl;
        start.Environment["MERIDIAN_API_KEY"] = GatewayFixture.DemoKey;
        start.Environment["MERIDIAN_MODEL"] = GatewayFixture.DeploymentName;
        // Keep the SDK from picking up a developer's real credentials or endpoints.
        start.Environment.Remove("ANTHROPIC_API_KEY");
        start.Environment.Remove("ANTHROPIC_AUTH_TOKEN");
        start.Environment.Remove("ANTHROPIC_BASE_URL");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"Could not run `node` ({ex.Message}); install Node.js 18+ and run `npm ci` in tests/node-sdk.");
            throw;
        }

        using (process)
        {
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
                Assert.Fail($"sdk-check.mjs did not finish within {Timeout.TotalSeconds:0} s. stderr so far: {(stderr.IsCompleted ? await stderr : "")}");
            }

            return (process.ExitCode, await stdout, await stderr);
        }
    }
}

/// <summary>The repository root: the nearest folder above the test binaries that holds Meridian.slnx.</summary>
internal static class RepoRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Meridian.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Meridian.slnx above {AppContext.BaseDirectory}.");
    }
}
