using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Tests.Admin;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Tests.Cluster;

/// <summary>
/// Issue 22: a node that joins a shared store with secrets other than the cluster's (an empty data folder creates new
/// ones) refuses to start, naming what differs, and writes nothing into the shared store; a node with the cluster's
/// secrets starts. On this run's PostgreSQL server, whichever engine the run is for: the check is for shared stores.
/// </summary>
public sealed class NodeSecretsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "meridian-node-secrets", Guid.NewGuid().ToString("N"));
    private readonly string _prefix = "sec" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose() => TestStores.DeleteDataDirectory(_root);

    [Fact]
    public async Task A_node_with_other_secrets_refuses_to_start_and_writes_nothing_and_one_with_the_clusters_starts()
    {
        await using var first = new AdminServer { Configure = OnSharedStore };
        await first.InitializeAsync();
        var tokensBefore = (await first.GetAsync("/admin/v1/tokens")).Text;

        // An empty data folder: the node creates its own secrets, which the cluster's record does not know.
        var stranger = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(Options(Path.Combine(_root, "empty"))));
        Assert.Contains("key-hash: this node's fp_", stranger.Message, StringComparison.Ordinal);
        Assert.Contains("receipt-signing: this node's rk_", stranger.Message, StringComparison.Ordinal);
        Assert.Contains("keyhash.secret", stranger.Message, StringComparison.Ordinal);
        // No second operator token or demo key went into the shared store.
        Assert.Equal(tokensBefore, (await first.GetAsync("/admin/v1/tokens")).Text);

        // The key-hash secret and signing key copied, the case keys not: refused for the case keys alone.
        var partial = Path.Combine(_root, "partial");
        Copy(first.DataDirectory, partial, "keyhash.secret", "receipt-signing.key");
        var caseKeys = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(Options(partial)));
        Assert.Contains("case-key:", caseKeys.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("key-hash:", caseKeys.Message, StringComparison.Ordinal);

        // Every secret copied: the node starts and takes the cluster's keys.
        var twin = Path.Combine(_root, "twin");
        Copy(first.DataDirectory, twin, [.. Directory.GetFiles(first.DataDirectory, "*.secret").Select(Path.GetFileName).OfType<string>(), "receipt-signing.key"]);
        var (app, _) = GatewayHost.Build(Options(twin));
        await app.DisposeAsync();
    }

    private void OnSharedStore(GatewayOptions options)
    {
        options.Store = StoreEngine.Postgres;
        options.Postgres = TestStores.PostgresConnection;
        options.PostgresSchemaPrefix = _prefix;
    }

    private GatewayOptions Options(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var options = new GatewayOptions
        {
            Port = 0,
            DataDirectory = dataDirectory,
            DemoKey = AdminServer.DemoKey,
            AdminToken = AdminServer.OperatorToken,
            IngressRegion = AdminServer.DefaultIngressRegion,
        };
        OnSharedStore(options);
        return options;
    }

    private static void Copy(string from, string to, params string[] files)
    {
        Directory.CreateDirectory(to);
        foreach (var file in files.Distinct(StringComparer.Ordinal))
        {
            File.Copy(Path.Combine(from, file), Path.Combine(to, file));
        }
    }
}
