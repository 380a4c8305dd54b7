using System.Net;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Operations;
using Meridian.Gateway.Snapshot;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Operations;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task A_started_node_is_live_and_ready_with_every_check_healthy()
    {
        await using var gateway = new GatewayFixture();
        await gateway.InitializeAsync();
        using var http = gateway.CreateHttpClient();

        using var live = await http.GetAsync("healthz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("healthy", (await ReadAsync(live)).GetProperty("status").GetString());

        using var ready = await http.GetAsync("readyz", TestContext.Current.CancellationToken);
        var body = await ReadAsync(ready);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks");
        foreach (var name in new[] { "lifecycle", "stores", "backends", "record_writers" })
        {
            Assert.Equal("healthy", checks.GetProperty(name).GetProperty("status").GetString());
        }

        Assert.False(checks.TryGetProperty("redis", out _)); // no --redis, no Redis check
    }

    [Fact]
    public async Task A_deployment_without_a_healthy_backend_makes_the_node_degraded_but_still_ready()
    {
        await using var gateway = new GatewayFixture();
        await gateway.InitializeAsync();
        var snapshot = gateway.App.Services.GetRequiredService<GatewaySnapshotProvider>().Current;
        foreach (var backend in snapshot.Backends.All)
        {
            backend.State.Probed(up: false, threshold: 1); // down until a probe says otherwise (the simulator has none)
        }

        using var http = gateway.CreateHttpClient();
        using var ready = await http.GetAsync("readyz", TestContext.Current.CancellationToken);
        var body = await ReadAsync(ready);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        var backends = body.GetProperty("checks").GetProperty("backends");
        Assert.Equal("degraded", backends.GetProperty("status").GetString());
        Assert.Contains(
            Storage.Control.DemoSeed.DeploymentId,
            backends.GetProperty("data").GetProperty("deployments_without_healthy_backend").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_node_whose_redis_is_unreachable_is_ready_but_degraded_while_in_fallback()
    {
        await using var gateway = new UnreachableRedisFixture();
        await gateway.InitializeAsync();
        using var http = gateway.CreateHttpClient();
        using var ready = await http.GetAsync("readyz", TestContext.Current.CancellationToken);
        var body = await ReadAsync(ready);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("degraded", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public void Readiness_follows_the_lifetime_from_starting_to_ready_to_draining()
    {
        using var lifetime = new FakeLifetime();
        var lifecycle = new NodeLifecycle(lifetime);
        Assert.Equal(NodeStage.Starting, lifecycle.Stage);
        lifetime.Started.Cancel();
        Assert.Equal(NodeStage.Ready, lifecycle.Stage);
        lifetime.Stopping.Cancel();
        Assert.Equal(NodeStage.Draining, lifecycle.Stage);
    }

    [Fact]
    public async Task A_drain_delay_holds_the_stop_while_readiness_already_says_draining()
    {
        using var lifetime = new FakeLifetime();
        var time = new FakeTimeProvider();
        var lifecycle = new NodeLifecycle(lifetime, TimeSpan.FromSeconds(5), time);
        lifetime.Started.Cancel();

        lifetime.Stopping.Cancel();
        var stopping = lifecycle.StoppingAsync(TestContext.Current.CancellationToken);
        Assert.Equal(NodeStage.Draining, lifecycle.Stage);
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(stopping.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        // The host's shutdown timeout ends the delay early rather than overrun it.
        using var timeout = new CancellationTokenSource();
        var cut = lifecycle.StoppingAsync(timeout.Token);
        await timeout.CancelAsync();
        await cut.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_stopping_node_answers_readiness_with_503_draining()
    {
        await using var gateway = new GatewayFixture();
        await gateway.InitializeAsync();
        var lifetime = gateway.App.Services.GetRequiredService<IHostApplicationLifetime>();
        var checks = gateway.App.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await checks.CheckHealthAsync(TestContext.Current.CancellationToken)).Status);

        lifetime.StopApplication();
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains(HealthEndpoints.ReadyTag), TestContext.Current.CancellationToken);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, report.Status);
        Assert.Equal("draining", report.Entries["lifecycle"].Description);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return document.RootElement.Clone();
    }

    private sealed class UnreachableRedisFixture : GatewayFixture
    {
        protected override void Configure(GatewayOptions options) => options.Redis = "127.0.0.1:9";
    }

    private sealed class FakeLifetime : IHostApplicationLifetime, IDisposable
    {
        public CancellationTokenSource Started { get; } = new();

        public CancellationTokenSource Stopping { get; } = new();

        public CancellationToken ApplicationStarted => Started.Token;

        public CancellationToken ApplicationStopping => Stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => Stopping.Cancel();

        public void Dispose()
        {
            Started.Dispose();
            Stopping.Dispose();
        }
    }
}
