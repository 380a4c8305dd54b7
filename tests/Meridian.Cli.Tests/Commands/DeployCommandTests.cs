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
    public async Task Who_reviews_and_retention_are_chosen_at_creation_and_changed_with_deployments_update()
    {
        var created = (await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "tenant-reviewed", "--offer", "off_claude",
            "--model", "claude-haiku-4-5", "--hosting", "platform", "--type", "datazone", "--reviewed-by", "tenant", "--retention", "none", "--json")).ShouldSucceed();
        using var json = JsonDocument.Parse(created.Out);
        Assert.Equal("tenant", json.RootElement.GetProperty("reviewed_by").GetString());
        Assert.Equal("none", json.RootElement.GetProperty("retention_mode").GetString());
        var id = json.RootElement.GetProperty("id").GetString()!;

        var switched = (await gateway.Cli.RunAsync("deployments", "update", id, "--reviewed-by", "operator", "--grant-retention-exemption")).ShouldSucceed();
        Assert.Contains("reviewed by operator, retention none, exempted by token:", switched.Out);

        var bad = await gateway.Cli.RunAsync("deployments", "update", id, "--grant-retention-exemption", "--revoke-retention-exemption");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("exclude each other", bad.Error);
        var nothing = (await gateway.Cli.RunAsync("deployments", "update", id)).ShouldFail();
        Assert.Contains("at least one of reviewed_by", nothing.Error);
    }

    [Fact]
    public async Task Safeguard_settings_are_set_refused_when_invalid_and_cleared_with_deployments_update()
    {
        var created = (await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "own-safeguards", "--offer", "off_claude",
            "--model", "claude-haiku-4-5", "--hosting", "platform", "--type", "datazone", "--json")).ShouldSucceed();
        using var json = JsonDocument.Parse(created.Out);
        var id = json.RootElement.GetProperty("id").GetString()!;

        var set = (await gateway.Cli.RunAsync("deployments", "update", id,
            "--safeguards", """{"input":{"violence":{"medium":"block"}},"blocklist":{"terms":["project nightjar"],"category":"hate"}}""")).ShouldSucceed();
        Assert.Contains("own settings", set.Out);
        Assert.Contains("project nightjar", set.Out);

        var bad = (await gateway.Cli.RunAsync("deployments", "update", id,
            "--safeguards", """{"blocklist":{"patterns":["(?<=x)y"],"category":"hate"}}""")).ShouldFail();
        Assert.Contains("safeguards.blocklist.patterns[0]", bad.Error);

        var cleared = (await gateway.Cli.RunAsync("deployments", "update", id, "--clear-safeguards")).ShouldSucceed();
        Assert.Contains("no settings of its own", cleared.Out);
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
