using System.Text.Json;

namespace Meridian.Cli.Tests.Commands;

/// <summary><c>meridian deploy</c>: publisher hosting is always announced; the API's rules come back as readable errors.</summary>
public sealed class DeployCommandTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    [Fact]
    public async Task Publisher_hosting_warns_on_stderr_even_with_json_output()
    {
        var result = (await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "pub-json", "--offer", "off_claude",
            "--model", "claude-haiku-4-5", "--hosting", "publisher", "--acknowledge-data-may-leave-geography", "--json")).ShouldSucceed();

        Assert.Contains("WARNING", result.Error);
        Assert.Contains("outside the geography of resource res_demo", result.Error);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("publisher", json.RootElement.GetProperty("hosting_option").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("deployment_type").ValueKind);
    }

    [Fact]
    public async Task Platform_hosting_does_not_warn()
    {
        var result = (await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "regional-haiku", "--offer", "off_claude",
            "--model", "claude-haiku-4-5", "--hosting", "platform", "--type", "regional", "--rpm", "60", "--tpm", "100000")).ShouldSucceed();

        Assert.DoesNotContain("WARNING", result.Error);
        Assert.Contains("Created deployment regional-haiku", result.Out);
        Assert.Contains("60 RPM, 100000 TPM", result.Out);
    }

    [Fact]
    public async Task Duplicate_name_is_a_conflict()
    {
        string[] args = ["deploy", "--resource", "res_demo", "--name", "twice", "--offer", "off_claude", "--model", "claude-haiku-4-5", "--hosting", "platform", "--type", "global"];
        (await gateway.Cli.RunAsync(args)).ShouldSucceed();

        var second = (await gateway.Cli.RunAsync(args)).ShouldFail();

        Assert.Matches(@"(?m)^error: (conflict: |.*name: ).+", second.Error);
    }

    [Fact]
    public async Task Hosting_outside_platform_and_publisher_is_a_usage_error()
    {
        var result = await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "x", "--offer", "off_claude",
            "--model", "claude-haiku-4-5", "--hosting", "somewhere");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("somewhere", result.Error);
    }
}
