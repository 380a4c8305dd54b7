using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Cli.Tests;

/// <summary>
/// One real gateway (Kestrel on a free loopback port, SQLite files in a fresh folder, the demo marketplace seeded)
/// with a known admin token, and a <see cref="CliRunner"/> pointed at it through the environment, as a user would be.
/// </summary>
public sealed class CliGatewayFixture : IAsyncLifetime
{
    public const string DemoKey = "mk-test0003-Pw4nK8sLq2Zx6Rv9Tb3Hc7Jd";
    public const string AdminToken = "mat-test0001-Fq2Lp8Xz4Rw7Nc3Vb6Hj9Ks5";

    private readonly List<WebApplication> _apps = [];

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "meridian-cli-tests", Guid.NewGuid().ToString("N"));

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
        var (app, _) = GatewayHost.Build(new GatewayOptions
        {
            Port = 0,
            DataDirectory = DataDirectory,
            DemoKey = DemoKey,
            AdminToken = AdminToken,
            IngressRegion = ingressRegion,
        });
        _apps.Add(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    /// <summary>A client for the data plane (<c>/v1/…</c>) of the first node, or of the node at <paramref name="url"/>; no credentials attached.</summary>
    public HttpClient CreateHttpClient(string? url = null) => new() { BaseAddress = new Uri((url ?? Url) + "/"), Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        _apps.Clear();

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is not a test failure.
        }
    }
}
