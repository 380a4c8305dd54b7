using System.Net.Http.Headers;
using System.Text;
using Meridian.Core.Keys;
using Meridian.Gateway.Configuration;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Gateway.Tests;

/// <summary>
/// One real gateway (<see cref="GatewayNode"/>) over a fresh data directory with the demo world seeded.
/// Used as a class fixture, or created directly by a test that needs to stop the gateway itself.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string DemoKey = "mk-test0001-Zq7vR2pLx9TcW4nB8sKd3fHy";
    public const string DeploymentName = "claude-sonnet-5";
    public const string TenantId = "ten_demo";

    private readonly TestDataDirectory _data = new("gateway-tests");
    private readonly GatewayLog _log = new();
    private GatewayNode? _node;

    public string DataDirectory => _data.Path;

    /// <summary>The gateway's root, e.g. <c>http://127.0.0.1:41234/</c> (always with a trailing slash).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The root without the trailing slash, the form SDKs take as their base URL.</summary>
    public string BaseUrl => BaseAddress.GetLeftPart(UriPartial.Authority);

    public WebApplication App => _node?.App ?? throw new InvalidOperationException("The gateway is not running.");

    /// <summary>Warnings and errors the gateway logged, for assertion messages.</summary>
    public IReadOnlyList<string> Log => _log.Lines;

    public string LogText => _log.Text;

    public async ValueTask InitializeAsync()
    {
        if (PreparesWorld)
        {
            // Seed the demo world first so the extra rows can reference its regions, offer and tenant; the gateway
            // then finds a non-empty store and only makes sure the demo key exists.
            var data = new DataDirectory(DataDirectory);
            using var control = TestStores.Control(DataDirectory);
            var now = DateTimeOffset.UtcNow;
            DemoSeed.SeedIfEmpty(control, now);
            PrepareWorld(control, new ApiKeyHasher(data.LoadOrCreateKeyHashSecret()), now);
        }

        var options = GatewayNode.Options(DataDirectory, DemoKey);
        Configure(options);
        _node = await GatewayNode.StartAsync(options, _log, TestContext.Current.CancellationToken);
        BaseAddress = _node.BaseAddress;
    }

    /// <summary>Stops the gateway (flushing queued receipts) and disposes it. The data directory stays.</summary>
    public async Task StopAsync()
    {
        if (_node is { } node)
        {
            _node = null;
            await node.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _data.Dispose();

        GC.SuppressFinalize(this);
    }

    /// <summary>A new client for the gateway; no credentials are attached.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A POST of raw JSON text with the demo key in <c>x-api-key</c> (or none when <paramref name="key"/> is null).</summary>
    public static HttpRequestMessage JsonPost(string path, string json, string? key = DemoKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        return request;
    }

    protected virtual bool PreparesWorld => false;

    /// <summary>Changes the node's options before it starts.</summary>
    protected virtual void Configure(GatewayOptions options)
    {
    }

    /// <summary>Adds rows to the control store before the gateway starts (only when <see cref="PreparesWorld"/>).</summary>
    protected virtual void PrepareWorld(ControlStore control, ApiKeyHasher hasher, DateTimeOffset now)
    {
    }
}

/// <summary>
/// The demo world plus: a second resource of <c>ten_demo</c> (westus) with its own deployment that the demo key
/// may not call, and a second tenant with its own resource and key.
/// </summary>
public sealed class WiderWorldGatewayFixture : GatewayFixture
{
    public const string OtherResourceDeployment = "haiku-team-b";
    public const string OtherTenantKey = "mk-test0002-Hc5wN8qTz2LmV6xJ4rPa7gEu";
    public const string OtherTenantId = "ten_other";

    protected override bool PreparesWorld => true;

    protected override void PrepareWorld(ControlStore control, ApiKeyHasher hasher, DateTimeOffset now)
    {
        var at = ControlStore.FormatTime(now);
        control.Mutate((connection, transaction) =>
        {
            void Execute(string sql, params (string Name, object? Value)[] parameters) => connection.Execute(transaction, sql, parameters);

            Execute("INSERT INTO resources VALUES ('res_team_b', @tenant, 'team-b', 'westus', @at)", ("@tenant", DemoSeed.TenantId), ("@at", at));
            Execute(
                """
                INSERT INTO deployments (id, resource_id, tenant_id, name, offer_id, model_id, hosting_option, deployment_type,
                                         capacity_rpm, capacity_tpm, safeguard_policy, created_by, created_at)
                VALUES ('dep_team_b', 'res_team_b', @tenant, @name, @offer, 'claude-haiku-4-5', 'platform', 'datazone', 600, 1000000, 'default', 'test', @at)
                """,
                ("@tenant", DemoSeed.TenantId), ("@name", OtherResourceDeployment), ("@offer", DemoSeed.OfferId), ("@at", at));
            Execute("INSERT INTO resource_model_defaults VALUES ('res_team_b', 'claude-haiku-4-5', 'dep_team_b', 'test', @at)", ("@at", at));

            Execute("INSERT INTO tenants VALUES (@id, 'Other Tenant', 'Olga Other', 'billing@other-tenant.example', @at)", ("@id", OtherTenantId), ("@at", at));
            Execute("INSERT INTO resources VALUES ('res_other', @tenant, 'other', 'eastus', @at)", ("@tenant", OtherTenantId), ("@at", at));
            Execute(
                "INSERT INTO api_keys (id, resource_id, tenant_id, prefix, hash, created_by, created_at) VALUES ('key_other', 'res_other', @tenant, 'mk-test0002', @hash, 'test', @at)",
                ("@tenant", OtherTenantId), ("@hash", hasher.Hash(OtherTenantKey)), ("@at", at));
            return 0;
        });
    }
}
