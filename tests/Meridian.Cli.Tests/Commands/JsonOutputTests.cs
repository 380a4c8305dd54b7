using System.Text.Json;

namespace Meridian.Cli.Tests.Commands;

/// <summary><c>--json</c> prints the API's JSON, and only that, on stdout: a script can parse it.</summary>
public sealed class JsonOutputTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    [Theory]
    [InlineData("world show", "geographies")]
    [InlineData("offers list", "data")]
    [InlineData("offers show off_claude", "terms")]
    [InlineData("tenants list", "data")]
    [InlineData("resources list --tenant ten_demo", "data")]
    [InlineData("deployments list --resource res_demo", "data")]
    [InlineData("keys list --resource res_demo", "data")]
    public async Task Json_output_parses_as_the_APIs_JSON(string command, string property)
    {
        var result = (await gateway.Cli.RunAsync([.. command.Split(' '), "--json"])).ShouldSucceed();

        using var json = JsonDocument.Parse(result.Out);
        Assert.True(json.RootElement.TryGetProperty(property, out _), $"no \"{property}\" in\n{result}");
    }

    [Fact]
    public async Task Lists_in_json_keep_the_APIs_list_shape_with_every_item()
    {
        var result = (await gateway.Cli.RunAsync("offers", "list", "--json")).ShouldSucceed();

        using var json = JsonDocument.Parse(result.Out);
        Assert.Contains(json.RootElement.GetProperty("data").EnumerateArray(), o => o.GetProperty("id").GetString() == "off_claude");
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("next_cursor").ValueKind);
    }

    [Fact]
    public async Task Whoami_json_parses_and_human_output_names_the_role()
    {
        var json = (await gateway.Cli.RunAsync("whoami", "--json")).ShouldSucceed();
        using (JsonDocument.Parse(json.Out))
        {
        }

        var human = (await gateway.Cli.RunAsync("whoami")).ShouldSucceed();
        Assert.Contains("operator-admin", human.Out);
    }

    [Fact]
    public async Task Created_objects_in_json_carry_their_id()
    {
        var tenant = (await gateway.Cli.RunAsync("tenants", "create", "--name", "Json Corp", "--billing-name", "Jo Json", "--billing-email", "billing@json.example", "--json")).ShouldSucceed();
        using var json = JsonDocument.Parse(tenant.Out);
        var id = json.RootElement.GetProperty("id").GetString()!;

        var resource = (await gateway.Cli.RunAsync("resources", "create", "--tenant", id, "--name", "json-app", "--region", "westus", "--json")).ShouldSucceed();
        using var resourceJson = JsonDocument.Parse(resource.Out);
        Assert.Equal("westus", resourceJson.RootElement.GetProperty("region").GetString());
        Assert.Equal("us", resourceJson.RootElement.GetProperty("geography").GetString());
    }
}
