namespace Meridian.Cli.Tests;

/// <summary>
/// One real gateway (<see cref="GatewayNode"/>: a free loopback port, a fresh data folder, the demo marketplace seeded)
/// with a known admin token, and a <see cref="CliRunner"/> pointed at it through the environment, as a user would be.
/// </summary>
public sealed class CliGatewayFixture : IAsyncLifetime
{
    public const string DemoKey = "mk-test0003-Pw4nK8sLq2Zx6Rv9Tb3Hc7Jd";
    public const string AdminToken = "mat-test0001-Fq2Lp8Xz4Rw7Nc3Vb6Hj9Ks5";

    private readonly List<GatewayNode> _nodes = [];
    private readonly TestDataDirectory _data = new("cli-tests");

    public string DataDirectory => _data.Path;

    /// <summary>The gateway's root without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; private set; } = null!;

    /// <summary>The CLI with <c>MERIDIAN_URL</c> and <c>MERIDIAN_ADMIN_TOKEN</c> set for this gateway.</summary>
    public CliRunner Cli { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Url = await StartNodeAsync("eastus");
        Cli = new CliRunner(new Dictionary<string, string?>
        {
            ["MERIDIAN_URL"] = Url,
            ["MERIDIAN_ADMIN_TOKEN"] = AdminToken,
        });
    }

    /// <summary>
    /// Starts one more node on the same data folder taking requests in at <paramref name="ingressRegion"/>, as
    /// <c>./meridian serve --region R --port P</c> does; returns its root URL.
    /// </summary>
    public async Task<string> StartNodeAsync(string ingressRegion)
    {
        var options = GatewayNode.Options(DataDirectory, DemoKey);
        options.AdminToken = AdminToken;
        options.IngressRegion = ingressRegion;
        var node = await GatewayNode.StartAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        _nodes.Add(node);
        return node.BaseUrl;
    }

    /// <summary>A client for the data plane (<c>/v1/…</c>) of the first node, or of the node at <paramref name="url"/>; no credentials attached.</summary>
    public HttpClient CreateHttpClient(string? url = null) => new() { BaseAddress = new Uri((url ?? Url) + "/"), Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
        _data.Dispose();
    }
}
