using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Meridian.Simulator;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Benchmarks;

/// <summary>
/// One non-streaming and one streaming request over loopback HTTP, through the full gateway pipeline, against the
/// baseline of the same request sent straight to the simulator as a standalone upstream. The gateway runs twice: with
/// its in-process simulator backend (the pipeline alone) and with the simulator as its HTTP upstream (as
/// <c>meridian serve --upstream</c> runs in the load harness, so the upstream call is measured too). All servers run in
/// this process, so the allocation column covers client, gateway and upstream together; compare the ratio, not
/// absolute numbers.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private const string DemoKey = "mk-bench000-benchmarkbenchmarkbenchmark";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"model":"claude-sonnet-5","max_tokens":32,"messages":[{"role":"user","content":"Say hello to the benchmark."}]}""");

    private static readonly byte[] StreamBody = Encoding.UTF8.GetBytes(
        """{"model":"claude-sonnet-5","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"Say hello to the benchmark."}]}""");

    private WebApplication _gateway = null!;
    private WebApplication _proxy = null!;
    private WebApplication _simulator = null!;
    private HttpClient _client = null!;
    private Uri _gatewayMessages = null!;
    private Uri _proxyMessages = null!;
    private Uri _simulatorMessages = null!;
    private string _dataDirectory = null!;
    private string _proxyDataDirectory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _simulator = SimulatorServer.Build(new SimulatorServerOptions { Port = 0 });
        _simulator.StartAsync().GetAwaiter().GetResult();
        _simulatorMessages = new Uri(SimulatorServer.GetBaseAddress(_simulator), "v1/messages");
        _dataDirectory = Path.Combine(Path.GetTempPath(), "meridian-bench-" + Guid.NewGuid().ToString("N"));
        _gateway = StartGateway(new GatewayOptions { Port = 0, DataDirectory = _dataDirectory, DemoKey = DemoKey });
        _gatewayMessages = new Uri(Address(_gateway) + "/v1/messages");
        _proxyDataDirectory = Path.Combine(Path.GetTempPath(), "meridian-bench-" + Guid.NewGuid().ToString("N"));
        // The simulator wants a key, as a real upstream does; the gateway sends the one this variable names.
        Environment.SetEnvironmentVariable(GatewayOptions.UpstreamApiKeyEnv, "bench-upstream-key");
        _proxy = StartGateway(new GatewayOptions
        {
            Port = 0, DataDirectory = _proxyDataDirectory, DemoKey = DemoKey, UpstreamUrl = SimulatorServer.GetBaseAddress(_simulator),
        });
        _proxyMessages = new Uri(Address(_proxy) + "/v1/messages");
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        _client.DefaultRequestHeaders.Add("x-api-key", DemoKey);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _gateway.StopAsync().GetAwaiter().GetResult();
        _proxy.StopAsync().GetAwaiter().GetResult();
        _simulator.StopAsync().GetAwaiter().GetResult();
        Directory.Delete(_dataDirectory, recursive: true);
        Directory.Delete(_proxyDataDirectory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "direct to simulator upstream")]
    public Task<int> Direct() => SendAsync(_simulatorMessages, Body);

    [Benchmark(Description = "through Meridian (auth, validate, route, receipt)")]
    public Task<int> Gateway() => SendAsync(_gatewayMessages, Body);

    [Benchmark(Description = "through Meridian, streaming")]
    public Task<int> GatewayStreaming() => SendAsync(_gatewayMessages, StreamBody);

    [Benchmark(Description = "through Meridian to the upstream over HTTP")]
    public Task<int> GatewayUpstream() => SendAsync(_proxyMessages, Body);

    [Benchmark(Description = "through Meridian to the upstream over HTTP, streaming")]
    public Task<int> GatewayUpstreamStreaming() => SendAsync(_proxyMessages, StreamBody);

    private static WebApplication StartGateway(GatewayOptions options)
    {
        var (gateway, _) = GatewayHost.Build(options);
        gateway.StartAsync().GetAwaiter().GetResult();
        // The demo deployment's capacity (600 RPM) would throttle a benchmark: lift its quotas for this run.
        gateway.Services.GetRequiredService<MarketplaceStore>().SetLimits("system:bench", LimitScope.Deployment, DemoSeed.DeploymentId,
            new LimitsDraft(DeploymentRules.MaxRpm, DeploymentRules.MaxTpm, DeploymentRules.MaxTpm, null), DateTimeOffset.UtcNow);
        return gateway;
    }

    private async Task<int> SendAsync(Uri uri, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _client.PostAsync(uri, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? bytes.Length : throw new InvalidOperationException($"HTTP {(int)response.StatusCode}");
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
