using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Meridian.Core.Keys;
using Meridian.Gateway.Configuration;
using Meridian.Simulator;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>A simulator upstream on its own loopback port, standing in for one region's inference server; it counts the messages it gets.</summary>
public sealed class Upstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _messages;
    private bool _stopped;

    private Upstream(WebApplication app) => _app = app;

    public Uri Url => SimulatorServer.GetBaseAddress(_app);

    /// <summary><c>POST …/messages</c> requests received.</summary>
    public int Messages => Volatile.Read(ref _messages);

    public static async Task<Upstream> StartAsync()
    {
        var app = SimulatorServer.Build(new SimulatorServerOptions { Port = 0 });
        var upstream = new Upstream(app);
        app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Value?.EndsWith("/messages", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref upstream._messages);
            }

            await next(context);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return upstream;
    }

    /// <summary>Stops it: connections to its port are refused from now on.</summary>
    public async Task KillAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// A gateway whose backends come from a config file: three simulator upstreams over real HTTP (kind <c>anthropic</c>,
/// credential from an environment variable) — <c>east-1</c> in eastus (sonnet and haiku), <c>west-1</c> in westus
/// (sonnet only), <c>eu-1</c> in swedencentral (every model) — over the demo marketplace, plus a resource in
/// francecentral with a regional deployment <c>france-only</c> whose boundary holds no backend (created behind the
/// admin API's back, as if its backend had since been removed) and its own key.
/// </summary>
public sealed class RoutingLab : IAsyncDisposable
{
    public const string DemoKey = "mk-route001-Zq7vR2pLx9TcW4nB8sKd3fHy";
    public const string FranceKey = "mk-route002-Hc5wN8qTz2LmV6xJ4rPa7gEu";
    public const string AdminToken = "mat-route001-Fq2Lp8Xz4Rw7Nc3Vb6Hj9Ks5";
    public const string CredentialVariable = "MERIDIAN_TEST_UPSTREAM_KEY";
    public const string DataZoneDeployment = "claude-sonnet-5";

    private readonly TestDataDirectory _directory;
    private readonly GatewayNode _node;

    private RoutingLab(TestDataDirectory directory, Upstream east, Upstream west, Upstream eu, GatewayNode node)
    {
        _directory = directory;
        East = east;
        West = west;
        Eu = eu;
        _node = node;
    }

    public Upstream East { get; }

    public Upstream West { get; }

    public Upstream Eu { get; }

    public WebApplication App => _node.App;

    public HttpClient Client => _node.Http;

    public string DataDirectory => Path.Combine(_directory.Path, "data");

    public static async Task<RoutingLab> StartAsync(RoutingOptions? routing = null)
    {
        Environment.SetEnvironmentVariable(CredentialVariable, "upstream-secret-not-for-logs");
        var east = await Upstream.StartAsync();
        var west = await Upstream.StartAsync();
        var eu = await Upstream.StartAsync();
        var directory = new TestDataDirectory("routing-tests");
        var data = Path.Combine(directory.Path, "data");
        Directory.CreateDirectory(data);
        var config = Path.Combine(directory.Path, "meridian.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            backends = new object[]
            {
                new { id = "east-1", kind = "anthropic", url = east.Url, api_key_env = CredentialVariable, region = "eastus", models = new[] { "claude-sonnet-5", "claude-haiku-4-5" } },
                new { id = "west-1", kind = "anthropic", url = west.Url, api_key_env = CredentialVariable, region = "westus", models = new[] { "claude-sonnet-5" } },
                new { id = "eu-1", kind = "anthropic", url = eu.Url, api_key_env = CredentialVariable, region = "swedencentral" },
            },
        }), TestContext.Current.CancellationToken);
        Prepare(data);

        var options = GatewayNode.Options(data, DemoKey);
        options.AdminToken = AdminToken;
        options.ConfigFile = config;
        options.Routing = routing ?? new RoutingOptions { FailureThreshold = 2, EjectionBase = TimeSpan.FromMinutes(5), ProbeInterval = TimeSpan.Zero };
        var node = await GatewayNode.StartAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        return new RoutingLab(directory, east, west, eu, node);
    }

    /// <summary>A message to <paramref name="model"/> (a deployment name) with <paramref name="key"/>.</summary>
    public Task<HttpResponseMessage> SendAsync(string model = DataZoneDeployment, bool stream = false, string key = DemoKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                $$"""{"model":"{{model}}","max_tokens":32,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Route me"}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<JsonElement> ReceiptAsync(HttpResponseMessage response, string key = DemoKey)
    {
        var requestId = response.Headers.GetValues("request-id").Single();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
        request.Headers.Add("x-api-key", key);
        using var receipt = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(receipt.IsSuccessStatusCode, $"GET receipt {requestId}: {(int)receipt.StatusCode}");
        return await receipt.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    /// <summary>An admin request with the operator token, or <paramref name="token"/>; returns status and JSON.</summary>
    public async Task<(int Status, JsonElement Json)> AdminAsync(HttpMethod method, string path, object? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? AdminToken);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        await East.DisposeAsync();
        await West.DisposeAsync();
        await Eu.DisposeAsync();
        _directory.Dispose();
    }

    private static void Prepare(string data)
    {
        var directory = new Configuration.DataDirectory(data);
        using var control = TestStores.Control(data);
        var now = DateTimeOffset.UtcNow;
        DemoSeed.SeedIfEmpty(control, now);
        var hasher = new ApiKeyHasher(directory.LoadOrCreateKeyHashSecret());
        var at = ControlStore.FormatTime(now);
        control.Mutate((connection, transaction) =>
        {
            void Execute(string sql, params (string Name, object? Value)[] parameters) => connection.Execute(transaction, sql, parameters);

            Execute("INSERT INTO resources VALUES ('res_france', @tenant, 'france', 'francecentral', @at)", ("@tenant", DemoSeed.TenantId), ("@at", at));
            Execute(
                """
                INSERT INTO deployments (id, resource_id, tenant_id, name, offer_id, model_id, hosting_option, deployment_type,
                                         capacity_rpm, capacity_tpm, safeguard_policy, created_by, created_at)
                VALUES ('dep_france', 'res_france', @tenant, 'france-only', @offer, 'claude-sonnet-5', 'platform', 'regional', 600, 1000000, 'default', 'test', @at)
                """,
                ("@tenant", DemoSeed.TenantId), ("@offer", DemoSeed.OfferId), ("@at", at));
            // The lab's one node is in eastus: the operator lets France's requests in there, so they reach routing and fail closed.
            Execute("UPDATE deployments SET allowed_ingress = 'eastus' WHERE id = 'dep_france'");
            Execute("INSERT INTO resource_model_defaults VALUES ('res_france', 'claude-sonnet-5', 'dep_france', 'test', @at)", ("@at", at));
            Execute(
                "INSERT INTO api_keys (id, resource_id, tenant_id, prefix, hash, created_by, created_at) VALUES ('key_france', 'res_france', @tenant, 'mk-route002', @hash, 'test', @at)",
                ("@tenant", DemoSeed.TenantId), ("@hash", hasher.Hash(FranceKey)), ("@at", at));
            return 0;
        });
    }
}
