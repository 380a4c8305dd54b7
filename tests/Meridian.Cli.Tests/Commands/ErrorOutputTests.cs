using System.Net;
using System.Net.Sockets;

namespace Meridian.Cli.Tests.Commands;

/// <summary>Every failure is one readable line on stderr and exit code 1: the field at fault, the URL that failed, what to set.</summary>
public sealed class ErrorOutputTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    [Fact]
    public async Task Validation_error_names_the_field_and_exits_1()
    {
        var result = (await gateway.Cli.RunAsync("resources", "create", "--tenant", "ten_demo", "--name", "nowhere", "--region", "atlantis")).ShouldFail();

        Assert.Matches(@"(?m)^error: region: .+", result.Error);
        Assert.Empty(result.Out);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Platform_deployment_without_a_type_names_deployment_type()
    {
        var result = (await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "untyped", "--offer", "off_claude",
            "--model", "claude-haiku-4-5", "--hosting", "platform")).ShouldFail();

        Assert.Matches(@"(?m)^error: (.*\| )?deployment_type: .+", result.Error);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Unknown_model_names_model_id()
    {
        var result = (await gateway.Cli.RunAsync("deploy", "--resource", "res_demo", "--name", "bad-model", "--offer", "off_claude",
            "--model", "no-such-model", "--hosting", "platform", "--type", "datazone")).ShouldFail();

        Assert.Matches(@"(?m)^error: (.*\| )?model_id: .+", result.Error);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Unknown_object_says_not_found()
    {
        var result = (await gateway.Cli.RunAsync("offers", "show", "off_nope")).ShouldFail();

        Assert.Matches(@"(?m)^error: not_found: .+", result.Error);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Unreachable_gateway_names_the_url_and_suggests_meridian_serve()
    {
        var url = $"http://127.0.0.1:{UnusedPort()}";

        var result = (await gateway.Cli.With(("MERIDIAN_URL", url)).RunAsync("world", "show")).ShouldFail();

        Assert.Matches(@"(?m)^error: cannot reach the Meridian gateway at " + System.Text.RegularExpressions.Regex.Escape(url), result.Error);
        Assert.Contains("./meridian serve", result.Error);
        Assert.Contains("MERIDIAN_URL", result.Error);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Url_option_overrides_the_environment()
    {
        var unreachable = gateway.Cli.With(("MERIDIAN_URL", $"http://127.0.0.1:{UnusedPort()}"));

        (await unreachable.RunAsync("world", "show", "--url", gateway.Url)).ShouldSucceed();
    }

    [Fact]
    public async Task Url_that_is_not_http_is_refused_before_any_call()
    {
        var result = (await gateway.Cli.RunAsync("world", "show", "--url", "localhost:8080")).ShouldFail();

        Assert.Matches(@"(?m)^error: --url: 'localhost:8080' is not an http", result.Error);
    }

    [Fact]
    public async Task Missing_admin_token_suggests_setting_MERIDIAN_ADMIN_TOKEN()
    {
        var result = (await gateway.Cli.With(("MERIDIAN_ADMIN_TOKEN", null)).RunAsync("offers", "list")).ShouldFail();

        Assert.Matches(@"(?m)^error: ", result.Error);
        Assert.Contains("no admin token was given: set MERIDIAN_ADMIN_TOKEN", result.Error);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Wrong_admin_token_says_it_was_not_accepted()
    {
        var result = (await gateway.Cli.RunAsync("whoami", "--admin-token", "mat-wrong000-NotTheRightTokenAtAll1234")).ShouldFail();

        Assert.Contains("the admin token was not accepted; check MERIDIAN_ADMIN_TOKEN", result.Error);
        AssertNoStackTrace(result);
    }

    [Fact]
    public async Task Missing_required_option_is_a_usage_error_not_a_call()
    {
        var result = await gateway.Cli.RunAsync("resources", "create", "--tenant", "ten_demo");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--name", result.Error);
    }

    private static void AssertNoStackTrace(CliResult result)
    {
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", result.Error);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
