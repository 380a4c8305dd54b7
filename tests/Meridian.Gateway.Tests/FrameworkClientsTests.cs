using System.Diagnostics;
using System.Text.Json;

namespace Meridian.Gateway.Tests;

/// <summary>
/// The Vercel AI SDK (<c>ai</c> with <c>@ai-sdk/anthropic</c>, driven by <c>tests/clients/frameworks-check.mjs</c>)
/// against the gateway: <c>generateText</c>, and <c>generateObject</c>, which sends <c>output_config.format</c> and
/// validates the answer with its zod schema.
/// </summary>
public sealed class FrameworkClientsTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_Vercel_AI_SDK_generates_text_and_a_schema_valid_object()
    {
        var root = RepoRoot.Find();
        Assert.True(Directory.Exists(Path.Combine(root, "tests", "clients", "node_modules", "ai")),
            "tests/clients/node_modules is missing: run `npm ci` in tests/clients (./build.sh test does this).");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine("tests", "clients", "frameworks-check.mjs"));
        start.Environment["MERIDIAN_BASE_URL"] = gateway.BaseUrl;
        start.Environment["MERIDIAN_API_KEY"] = GatewayFixture.DemoKey;
        start.Environment["MERIDIAN_MODEL"] = GatewayFixture.DeploymentName;
        start.Environment.Remove("ANTHROPIC_API_KEY");
        start.Environment.Remove("ANTHROPIC_BASE_URL");

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeout);
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"frameworks-check.mjs exited {process.ExitCode}.\nstdout: {await stdout}\nstderr: {await stderr}\ngateway log: {gateway.LogText}");
        using var result = JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]);
        var text = result.RootElement.GetProperty("generate_text");
        Assert.Contains("Meridian simulator", text.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(text.GetProperty("output_tokens").GetInt32() > 0);
        var recipe = result.RootElement.GetProperty("generate_object").GetProperty("object");
        Assert.True(recipe.GetProperty("servings").GetInt32() >= 2);
        Assert.Equal(JsonValueKind.Array, recipe.GetProperty("ingredients").ValueKind);
    }
}
