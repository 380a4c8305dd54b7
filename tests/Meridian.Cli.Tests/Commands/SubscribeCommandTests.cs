using System.Text.Json;

namespace Meridian.Cli.Tests.Commands;

/// <summary><c>meridian subscribe</c> shows the terms it would accept and never accepts them unless told which version.</summary>
public sealed class SubscribeCommandTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    [Fact]
    public async Task Without_accept_terms_it_shows_the_version_and_accepts_nothing()
    {
        var tenant = await CreateTenantAsync("Careful Corp");

        var shown = (await gateway.Cli.RunAsync("subscribe", "--tenant", tenant, "--offer", "off_claude")).ShouldFail();
        Assert.Matches(@"Terms version\s+1", shown.Out);
        Assert.Matches(@"Terms sha256\s+[0-9a-f]{64}", shown.Out);
        Assert.Contains("Nothing was accepted", shown.Error);
        Assert.Contains($"meridian subscribe --tenant {tenant} --offer off_claude --accept-terms 1", shown.Error);

        // Still nothing accepted: the JSON view says so too.
        var json = (await gateway.Cli.RunAsync("subscribe", "--tenant", tenant, "--offer", "off_claude", "--json")).ShouldFail();
        using (var state = JsonDocument.Parse(json.Out))
        {
            Assert.Equal(JsonValueKind.Null, state.RootElement.GetProperty("accepted_terms_version").ValueKind);
            Assert.Equal(1, state.RootElement.GetProperty("terms").GetProperty("version").GetInt32());
        }

        var accepted = (await gateway.Cli.RunAsync("subscribe", "--tenant", tenant, "--offer", "off_claude", "--accept-terms", "1")).ShouldSucceed();
        Assert.Contains($"Tenant {tenant} is subscribed to off_claude with terms version 1", accepted.Out);

        var again = (await gateway.Cli.RunAsync("subscribe", "--tenant", tenant, "--offer", "off_claude")).ShouldSucceed();
        Assert.Contains("already accepted the current terms", again.Error);
    }

    [Fact]
    public async Task The_text_of_a_terms_version_can_be_read_with_the_hash_it_is_accepted_by()
    {
        var shown = (await gateway.Cli.RunAsync("offers", "terms", "off_claude")).ShouldSucceed();
        Assert.Contains("Demo terms of use for the Claude offer", shown.Out);
        Assert.Matches(@"Terms version\s+1", shown.Out);

        var json = (await gateway.Cli.RunAsync("offers", "terms", "off_claude", "--version", "1", "--json")).ShouldSucceed();
        using var document = JsonDocument.Parse(json.Out);
        var text = document.RootElement.GetProperty("text").GetString()!;
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))),
            document.RootElement.GetProperty("sha256").GetString());

        var missing = (await gateway.Cli.RunAsync("offers", "terms", "off_claude", "--version", "9")).ShouldFail();
        Assert.Contains("no terms version 9", missing.Error);
    }

    [Fact]
    public async Task Deploying_without_a_subscription_is_refused_with_a_hint_to_subscribe()
    {
        var tenant = await CreateTenantAsync("Hasty Corp");
        var resource = (await gateway.Cli.RunAsync("resources", "create", "--tenant", tenant, "--name", "hasty-app", "--region", "eastus", "--json")).ShouldSucceed();
        using var resourceJson = JsonDocument.Parse(resource.Out);

        var result = (await gateway.Cli.RunAsync("deploy", "--resource", resourceJson.RootElement.GetProperty("id").GetString()!, "--name", "hasty",
            "--offer", "off_claude", "--model", "claude-haiku-4-5", "--hosting", "platform", "--type", "regional")).ShouldFail();

        Assert.Matches(@"(?m)^error: terms_not_accepted: .+", result.Error);
        Assert.Contains("meridian subscribe", result.Error);
    }

    [Fact]
    public async Task Demo_tenant_is_already_subscribed()
    {
        var result = (await gateway.Cli.RunAsync("subscribe", "--tenant", "ten_demo", "--offer", "off_claude")).ShouldSucceed();

        Assert.Matches(@"Accepted\s+version 1 by", result.Out);
    }

    private async Task<string> CreateTenantAsync(string name)
    {
        var created = (await gateway.Cli.RunAsync("tenants", "create", "--name", name, "--billing-name", "Bo Billing", "--billing-email", "billing@example.com", "--json")).ShouldSucceed();
        using var json = JsonDocument.Parse(created.Out);
        return json.RootElement.GetProperty("id").GetString()!;
    }
}
