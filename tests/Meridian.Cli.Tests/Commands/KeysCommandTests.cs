using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meridian.Cli.Tests.Commands;

/// <summary><c>meridian keys</c>: a key is shown once, rotation overlaps, revocation is effective within a second.</summary>
public sealed partial class KeysCommandTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    private const string Model = "claude-sonnet-5";

    [Fact]
    public async Task Revoked_key_gets_401_within_a_second()
    {
        var (id, key) = await CreateKeyAsync("to-revoke");
        using var http = gateway.CreateHttpClient();
        await DataPlane.SendMessageUntilOkAsync(http, key, Model);

        var revoked = (await gateway.Cli.RunAsync("keys", "revoke", id)).ShouldSucceed();
        Assert.Contains($"Revoked key {id}", revoked.Out);

        var clock = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var response = await DataPlane.SendMessageAsync(http, key, Model);
            status = response.StatusCode;
            if (status != HttpStatusCode.Unauthorized)
            {
                await Task.Delay(25, TestContext.Current.CancellationToken);
            }
        }
        while (status != HttpStatusCode.Unauthorized && clock.Elapsed < TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        // The contract says one second; a little slack for a loaded test machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"the revoked key still worked after {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Created_key_is_printed_once_on_a_line_of_its_own_and_lists_show_only_its_prefix()
    {
        var created = (await gateway.Cli.RunAsync("keys", "create", "--resource", "res_demo", "--name", "printed")).ShouldSucceed();

        var key = KeyLine().Match(created.Out) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no key line in\n{created}");
        Assert.Contains("only time the key is shown", created.Out);
        using var http = gateway.CreateHttpClient();
        await DataPlane.SendMessageUntilOkAsync(http, key, Model);

        var list = (await gateway.Cli.RunAsync("keys", "list", "--resource", "res_demo")).ShouldSucceed();
        Assert.Contains("printed", list.Out);
        Assert.DoesNotContain(key, list.Out, StringComparison.Ordinal);
        Assert.Contains(key[..Math.Min(key.Length, 11)], list.Out);
    }

    [Fact]
    public async Task Rotated_key_is_a_new_working_key_and_the_old_one_works_during_the_overlap()
    {
        var (id, oldKey) = await CreateKeyAsync("to-rotate");

        var rotated = (await gateway.Cli.RunAsync("keys", "rotate", id, "--overlap-seconds", "300", "--json")).ShouldSucceed();
        string newKey;
        using (var json = JsonDocument.Parse(rotated.Out))
        {
            newKey = json.RootElement.GetProperty("key").GetString()!;
            Assert.NotEqual(id, json.RootElement.GetProperty("id").GetString());
        }

        Assert.NotEqual(oldKey, newKey);
        using var http = gateway.CreateHttpClient();
        await DataPlane.SendMessageUntilOkAsync(http, newKey, Model);
        using var old = await DataPlane.SendMessageAsync(http, oldKey, Model);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_not_found()
    {
        var result = (await gateway.Cli.RunAsync("keys", "revoke", "key_does_not_exist")).ShouldFail();

        Assert.Matches(@"(?m)^error: not_found: ", result.Error);
    }

    private async Task<(string Id, string Key)> CreateKeyAsync(string name)
    {
        var created = (await gateway.Cli.RunAsync("keys", "create", "--resource", "res_demo", "--name", name, "--json")).ShouldSucceed();
        using var json = JsonDocument.Parse(created.Out);
        return (json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("key").GetString()!);
    }

    [GeneratedRegex(@"(?m)^\s+(mk-\S+)\s*$")]
    private static partial Regex KeyLine();
}
