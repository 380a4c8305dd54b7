using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meridian.Cli.Tests.Commands;

/// <summary>
/// docs/walkthrough.md (the README's walkthrough), step by step, with the CLI alone against a real gateway: any step
/// that breaks fails this test.
/// </summary>
public sealed partial class WalkthroughTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    [Fact]
    public async Task Readme_walkthrough_subscribes_deploys_in_eu_both_ways_and_calls_messages_with_a_new_key()
    {
        var cli = gateway.Cli;

        // 1. See the world: the eu geography and its swedencentral region.
        var world = (await cli.RunAsync("world", "show")).ShouldSucceed();
        Assert.Matches(@"(?m)^\s*eu\s+eu\s+swedencentral\s+Sweden Central", world.Out);
        var euZoneRegions = EuZoneRegions((await cli.RunAsync("world", "show", "--json")).ShouldSucceed().Out);
        Assert.Contains("swedencentral", euZoneRegions);

        // 2. The catalogue shows the demo offer; its current terms version is what the user accepts.
        var offers = (await cli.RunAsync("offers", "list")).ShouldSucceed();
        Assert.Contains("off_claude", offers.Out);
        var offer = (await cli.RunAsync("offers", "show", "off_claude")).ShouldSucceed();
        var termsVersion = TermsVersion().Match(offer.Out) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no terms version in\n{offer}");

        // 3. Subscribe: first without --accept-terms (shows the terms; the demo tenant already holds them), then
        //    accepting that version (again: idempotent).
        var shown = (await cli.RunAsync("subscribe", "--tenant", "ten_demo", "--offer", "off_claude")).ShouldSucceed();
        Assert.Matches($@"Terms version\s+{termsVersion}\b", shown.Out);
        var subscribe = (await cli.RunAsync("subscribe", "--tenant", "ten_demo", "--offer", "off_claude", "--accept-terms", termsVersion)).ShouldSucceed();
        Assert.Contains($"terms version {termsVersion}", subscribe.Out);

        // 4. A resource pinned to swedencentral (data zone eu).
        var resource = (await cli.RunAsync("resources", "create", "--tenant", "ten_demo", "--name", "eu-app", "--region", "swedencentral")).ShouldSucceed();
        var resourceId = CreatedResource().Match(resource.Out) is { Success: true } r ? r.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no resource id in\n{resource}");
        Assert.Contains("data zone eu", resource.Out);

        // 5. A platform-hosted DataZone deployment.
        (await cli.RunAsync("deploy", "--resource", resourceId, "--name", "eu-sonnet", "--offer", "off_claude",
            "--model", "claude-sonnet-5", "--hosting", "platform", "--type", "datazone")).ShouldSucceed();

        // 6. A publisher-hosted one: refused without the acknowledgment, with a warning and an error naming the field...
        var refused = (await cli.RunAsync("deploy", "--resource", resourceId, "--name", "eu-sonnet-publisher", "--offer", "off_claude",
            "--model", "claude-sonnet-5", "--hosting", "publisher")).ShouldFail();
        Assert.Contains("outside the geography", refused.Error);
        Assert.Matches(@"(?m)^error: .*acknowledge_data_may_leave_geography", refused.Error);

        // ...and created with it.
        var publisher = (await cli.RunAsync("deploy", "--resource", resourceId, "--name", "eu-sonnet-publisher", "--offer", "off_claude",
            "--model", "claude-sonnet-5", "--hosting", "publisher", "--acknowledge-data-may-leave-geography")).ShouldSucceed();
        Assert.Contains("WARNING", publisher.Error);

        var deployments = (await cli.RunAsync("deployments", "list", "--resource", resourceId)).ShouldSucceed();
        Assert.Matches(@"(?m)\beu-sonnet\b.*\bplatform\s+datazone\b", deployments.Out);
        Assert.Matches(@"(?m)\beu-sonnet-publisher\b.*\bpublisher\b", deployments.Out);

        // 7. A key for the resource, shown once.
        var created = (await cli.RunAsync("keys", "create", "--resource", resourceId, "--json")).ShouldSucceed();
        string key;
        using (var json = JsonDocument.Parse(created.Out))
        {
            key = json.RootElement.GetProperty("key").GetString()!;
        }

        Assert.StartsWith("mk-", key, StringComparison.Ordinal);

        // 8. The first node takes requests in at eastus, outside the eu data zone: the EU deployment is refused there,
        //    naming where to call. A second node in Sweden Central, on the same data folder, serves it.
        using (var american = gateway.CreateHttpClient())
        {
            using var outside = await DataPlane.SendMessageAsync(american, key, "eu-sonnet");
            var refusal = await outside.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, outside.StatusCode);
            Assert.Contains("Call a Meridian node in francecentral, swedencentral", refusal, StringComparison.Ordinal);
        }

        // 9. Call /v1/messages through the EU node, once per deployment; the receipts say where each request was processed.
        using var http = gateway.CreateHttpClient(await gateway.StartNodeAsync("swedencentral"));
        var dataZoneRequest = await DataPlane.SendMessageUntilOkAsync(http, key, "eu-sonnet");
        var publisherRequest = await DataPlane.SendMessageUntilOkAsync(http, key, "eu-sonnet-publisher");

        var dataZoneReceipt = await DataPlane.GetReceiptAsync(http, key, dataZoneRequest);
        Assert.Equal("eu-sonnet", dataZoneReceipt.GetProperty("deployment_name").GetString());
        Assert.Equal("datazone", dataZoneReceipt.GetProperty("deployment_type").GetString());
        Assert.Contains(dataZoneReceipt.GetProperty("processing_region").GetString(), euZoneRegions);
        Assert.Equal("eu", dataZoneReceipt.GetProperty("storage_geography").GetString());

        var publisherReceipt = await DataPlane.GetReceiptAsync(http, key, publisherRequest);
        Assert.Equal("eu-sonnet-publisher", publisherReceipt.GetProperty("deployment_name").GetString());
        Assert.Equal("publisher", publisherReceipt.GetProperty("hosting_option").GetString());
        Assert.Equal("eu", publisherReceipt.GetProperty("storage_geography").GetString());
    }

    /// <summary>The regions of the eu data zone, from <c>world show --json</c>.</summary>
    private static List<string> EuZoneRegions(string worldJson)
    {
        using var world = JsonDocument.Parse(worldJson);
        return [.. world.RootElement.GetProperty("geographies").EnumerateArray()
            .Where(g => g.GetProperty("name").GetString() == "eu")
            .SelectMany(g => g.GetProperty("data_zones").EnumerateArray())
            .Where(z => z.GetProperty("name").GetString() == "eu")
            .SelectMany(z => z.GetProperty("regions").EnumerateArray())
            .Select(r => r.GetProperty("name").GetString()!)];
    }

    [GeneratedRegex(@"Terms\s+version (\d+)")]
    private static partial Regex TermsVersion();

    [GeneratedRegex(@"Created resource (\S+) \(")]
    private static partial Regex CreatedResource();
}
