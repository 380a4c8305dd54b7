namespace Meridian.Cli.Tests.Commands;

/// <summary><c>meridian serve</c> refuses settings it cannot use before it opens a store or a port.</summary>
public sealed class ServeCommandTests
{
    private readonly CliRunner _cli = new(new Dictionary<string, string?>());

    [Theory]
    [InlineData("--stream-min-release-chars=-1")]
    [InlineData("--classifier-timeout-ms=0")]
    [InlineData("--drain-seconds=-1")]
    [InlineData("--drain-delay-seconds=-1")]
    [InlineData("--guard-model=llama_guard=http://127.0.0.1:8000/v1")] // no model
    [InlineData("--guard-model=llama_guard=http://127.0.0.1:8000/v1,model=m,taxonomy=gpt")] // unknown taxonomy
    [InlineData("--guard-model=llama_guard=http://127.0.0.1:8000/v1,model=m")] // no region: it would be inside no boundary
    [InlineData("--classifier-region=llama_guard")]
    [InlineData("--classifier=guard_service=http://127.0.0.1:8000/classify")] // no region: it would be inside no boundary
    [InlineData("--oidc-issuer=http://login.example.com")] // plain http off loopback: its keys could be swapped in transit
    [InlineData("--oidc-issuer=https://login.example.com")] // no client id: no audience to check
    [InlineData("--oidc-person=ana@example.com=operator-admin")] // a person without an issuer
    [InlineData("--oidc-session-hours=0")]
    public async Task An_unusable_setting_stops_the_start_and_writes_nothing(string setting)
    {
        var data = Path.Combine(Path.GetTempPath(), "meridian-serve-tests", Guid.NewGuid().ToString("N"));

        var run = _cli.RunAsync("serve", "--port", "0", "--data", data, setting);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));

        Assert.Same(run, finished);
        var result = await run;
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(Directory.Exists(data), $"{data} was created\n{result}");
    }
}
