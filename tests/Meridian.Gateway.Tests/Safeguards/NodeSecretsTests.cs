namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// What a node's data folder holds after its first start: every secret the cluster's other nodes need a copy of
/// (README, "Running several nodes") — not only the ones some request happened to need.
/// </summary>
public sealed class NodeSecretsTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Fact]
    public void The_first_start_writes_the_key_hashing_and_signing_secrets_and_a_case_key_per_geography()
    {
        var files = Directory.GetFiles(gateway.DataDirectory).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("keyhash.secret", files);
        Assert.Contains("receipt-signing.key", files);
        // The demo world's geographies; no request has been flagged, so none of these was created on demand.
        foreach (var geography in new[] { "us", "eu" })
        {
            Assert.Contains($"ts-key-{geography}.secret", files);
        }
    }
}
