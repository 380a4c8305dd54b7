using Meridian.Gateway.Tests.Admin;
using Meridian.Gateway.Tests.Metering;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Gateway.Tests.Cluster;

/// <summary>
/// Issue 22: after a PostgreSQL restart every idle pooled connection is dead, and each node's first admin reads through
/// them answered 500 for minutes. Transient store failures are now retried (<see cref="TransientStoreFailures"/>) and
/// the dead connections dropped: every admin read right after the restart answers.
/// </summary>
public sealed class PostgresRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_admin_read_right_after_a_server_restart_answers()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var server = await StartServerAsync(postgres, "recovery");
        var world = await MeteringWorld.CreateAsync(server);
        var call = await world.SendAsync("Before the restart", maxTokens: 8);
        Assert.True(call.Ok, call.Body);
        string[] reads =
        [
            "/admin/v1/whoami", "/admin/v1/world", "/admin/v1/publishers", $"/admin/v1/publishers/{world.PublisherId}", "/admin/v1/offers",
            $"/admin/v1/offers/{world.OfferId}", $"/admin/v1/offers/{world.OfferId}/terms", $"/admin/v1/offers/{world.OfferId}/acceptances",
            "/admin/v1/tenants", $"/admin/v1/tenants/{world.TenantId}", $"/admin/v1/tenants/{world.TenantId}/subscriptions",
            $"/admin/v1/tenants/{world.TenantId}/resources", $"/admin/v1/resources/{world.ResourceId}", $"/admin/v1/resources/{world.ResourceId}/deployments",
            $"/admin/v1/deployments/{world.DeploymentId}", $"/admin/v1/resources/{world.ResourceId}/keys", $"/admin/v1/keys/{world.KeyId}",
            "/admin/v1/tokens", "/admin/v1/audit", "/admin/v1/backends", "/admin/v1/cases", $"/admin/v1/tenants/{world.TenantId}/cases",
            "/admin/v1/suspensions", $"/admin/v1/tenants/{world.TenantId}/notices",
        ];

        // Several reads at once, so the pools hold several idle connections, all of which the restart kills.
        var warm = await Task.WhenAll(reads.Select(path => server.GetAsync(path)));
        Assert.All(warm.Zip(reads), r => Assert.True(r.First.IsSuccess, $"{r.Second} before the restart: {r.First.Status} {r.First.Text}"));

        await postgres.KillAsync();
        await postgres.StartServerAsync();

        foreach (var path in reads)
        {
            var read = await server.GetAsync(path);
            Assert.True(read.IsSuccess, $"{path} after the restart: {read.Status} {read.Text}\n{server.LogText}");
        }

        // Writes and the data plane are back as well.
        Assert.StartsWith("pub", await Marketplace.PublisherAsync(server), StringComparison.Ordinal);
        var after = await world.SendAsync("After the restart", maxTokens: 8);
        Assert.True(after.Ok, after.Body);
        output.WriteLine($"{reads.Length} admin reads answered right after the restart");
        Assert.DoesNotContain(server.Log, l => l.StartsWith("Error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_admin_write_on_a_dead_pooled_connection_after_a_restart_is_applied_once()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var server = await StartServerAsync(postgres, "writes");
        var control = server.Main.App.Services.GetRequiredService<ControlStore>();
        var tokens = new AdminTokenStore(control);
        // Several reads at once leave several idle pooled connections, which the restart kills.
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => server.GetAsync("/admin/v1/tokens")));

        await postgres.KillAsync();
        await postgres.StartServerAsync();

        // The write's transaction meets a dead connection before its commit: run again whole, not answered with a failure.
        var added = tokens.EnsureOperatorToken(new NewSecret("after-restart-hash", "mat-after"), "after the restart", DateTimeOffset.UtcNow);
        Assert.True(added);
        Assert.NotNull(tokens.FindLive("after-restart-hash"));
        Assert.Single(tokens.List(null, new PageRequest(100, null)).Items, t => t.Name == "after the restart");
    }

    [Fact]
    public async Task A_node_whose_store_is_down_is_live_but_not_ready_and_ready_again_once_it_is_back()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var server = await StartServerAsync(postgres, "readiness");
        Assert.Equal((200, "healthy"), await ProbeAsync(server, "readyz"));

        await postgres.KillAsync();
        var (status, body) = await ProbeBodyAsync(server, "readyz");
        Assert.Equal(503, status);
        var stores = body.GetProperty("checks").GetProperty("stores");
        Assert.Equal("unhealthy", stores.GetProperty("status").GetString());
        // Every store lives in that one server: the control store and each geography's are all named.
        Assert.True(stores.GetProperty("data").TryGetProperty("control", out _), stores.GetRawText());
        Assert.Equal((200, "healthy"), await ProbeAsync(server, "healthz"));

        await postgres.StartServerAsync();
        Assert.Equal((200, "healthy"), await ProbeAsync(server, "readyz"));
    }

    private static async Task<AdminServer> StartServerAsync(PrivatePostgres postgres, string schemaPrefix)
    {
        var server = new AdminServer
        {
            Configure = options =>
            {
                options.Store = StoreEngine.Postgres;
                options.Postgres = postgres.ConnectionString;
                options.PostgresSchemaPrefix = schemaPrefix;
            },
        };
        await server.InitializeAsync();
        return server;
    }

    private static async Task<(int Status, string Overall)> ProbeAsync(AdminServer server, string path)
    {
        var (status, body) = await ProbeBodyAsync(server, path);
        return (status, body.GetProperty("status").GetString()!);
    }

    private static async Task<(int Status, System.Text.Json.JsonElement Body)> ProbeBodyAsync(AdminServer server, string path)
    {
        using var response = await server.Http.GetAsync(path, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = System.Text.Json.JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }
}
