using System.Diagnostics;
using System.Text.Json;

namespace Meridian.Gateway.Tests.OpenAi;

/// <summary>
/// The official OpenAI TypeScript SDK (<c>openai</c> 7.55.0, driven by <c>tests/node-sdk/openai-check.mjs</c>) against the
/// gateway's OpenAI door: a completion, a stream with its usage chunk, a tool call round trip through the stream helper,
/// models under <c>/openai/v1</c>, and the SDK's typed errors.
/// </summary>
public sealed class NodeOpenAiSdkTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_OpenAI_TypeScript_SDK_gets_completions_streams_tool_calls_models_and_typed_errors()
    {
        var root = RepoRoot.Find();
        var sdkDirectory = Path.Combine(root, "tests", "node-sdk");
        Assert.True(
            Directory.Exists(Path.Combine(sdkDirectory, "node_modules", "openai")),
            $"{sdkDirectory}/node_modules/openai is missing: run `npm ci` in tests/node-sdk (./build.sh test does this).");

        var (exitCode, stdout, stderr) = await RunNodeAsync(root);

        Assert.True(exitCode == 0, $"openai-check.mjs exited with {exitCode}.\nstdout: {stdout}\nstderr: {stderr}\ngateway log: {gateway.LogText}");
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.False(string.IsNullOrEmpty(line), $"openai-check.mjs printed nothing.\nstderr: {stderr}");
        using var json = JsonDocument.Parse(line);
        var result = json.RootElement;

        var completion = result.GetProperty("completion");
        Assert.StartsWith("chatcmpl-", completion.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.Contains("Hello from the OpenAI SDK", completion.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("stop", completion.GetProperty("finish_reason").GetString());
        Assert.StartsWith("req_", completion.GetProperty("request_id").GetString(), StringComparison.Ordinal);
        var usage = completion.GetProperty("usage");
        Assert.Equal(
            usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());

        var stream = result.GetProperty("stream");
        Assert.Contains("Stream hello from the OpenAI SDK", stream.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(stream.GetProperty("chunks").GetInt32() > 3, "the stream should arrive in several chunks");
        Assert.Equal("stop", stream.GetProperty("finish_reason").GetString());
        Assert.True(stream.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0, "the usage chunk should count the answer");

        var tools = result.GetProperty("tools");
        Assert.Equal("tool_calls", tools.GetProperty("finish_reason").GetString());
        Assert.Equal("get_weather", tools.GetProperty("name").GetString());
        Assert.StartsWith("toolu_", tools.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.String, tools.GetProperty("arguments").GetProperty("city").ValueKind);
        Assert.Contains("it returned: \"-3 C and snowing\"", tools.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal("stop", tools.GetProperty("answer_finish_reason").GetString());

        var model = Assert.Single(result.GetProperty("models").EnumerateArray());
        Assert.Equal(GatewayFixture.DeploymentName, model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());

        AssertError(result.GetProperty("auth_error"), "AuthenticationError", 401, "invalid_api_key", param: null);
        AssertError(result.GetProperty("not_found"), "NotFoundError", 404, "model_not_found", param: "model");
        AssertError(result.GetProperty("bad_request"), "BadRequestError", 400, code: null, param: "n");
    }

    private static void AssertError(JsonElement error, string sdkClass, int status, string? code, string? param)
    {
        Assert.Equal(sdkClass, error.GetProperty("class").GetString());
        Assert.Equal(status, error.GetProperty("status").GetInt32());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.StartsWith("req_", error.GetProperty("request_id").GetString(), StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string root)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine("tests", "node-sdk", "openai-check.mjs"));
        start.Environment["MERIDIAN_BASE_URL"] = gateway.BaseUrl;
        start.Environment["MERIDIAN_API_KEY"] = GatewayFixture.DemoKey;
        start.Environment["MERIDIAN_MODEL"] = GatewayFixture.DeploymentName;
        // Keep the SDK from picking up a developer's real credentials or endpoints.
        start.Environment.Remove("OPENAI_API_KEY");
        start.Environment.Remove("OPENAI_BASE_URL");
        start.Environment.Remove("OPENAI_ORG_ID");
        start.Environment.Remove("OPENAI_PROJECT_ID");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"Could not run `node` ({ex.Message}); install Node.js and run `npm ci` in tests/node-sdk.");
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
                Assert.Fail($"openai-check.mjs did not finish within {Timeout.TotalSeconds:0} s. stderr so far: {(stderr.IsCompleted ? await stderr : "")}");
            }

            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
