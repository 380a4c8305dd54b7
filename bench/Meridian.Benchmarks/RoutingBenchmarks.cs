using System.Runtime.CompilerServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Benchmarks;

/// <summary>
/// The router's share of a request: a world of 4 regions × 3 platform backends plus 2 publisher backends, a data zone
/// deployment (6 eligible backends in two tiers), and backends that answer at once, so only the routing code is
/// measured — the eligible set (memoized per snapshot, and cold), the choice (health, tier, two random choices), and
/// opening the answer with its failover bookkeeping, with and without one failover.
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private static readonly Region[] Regions =
    [
        new("eastus", "us", "us", "East US"),
        new("westus", "us", "us", "West US"),
        new("swedencentral", "eu", "eu", "Sweden Central"),
        new("francecentral", "eu", "eu", "France Central"),
    ];

    private readonly InstantBackend _ok = new(fail: false);
    private readonly InstantBackend _failing = new(fail: true);
    private BackendRegistry _registry = null!;
    private BackendRegistry _failoverRegistry = null!;
    private DeploymentRoute _deployment = null!;
    private EligibleSet _set = null!;
    private BackendChooser _chooser = null!;
    private BoundaryRouter _router = null!;
    private BackendCall _call = null!;

    [GlobalSetup]
    public void Setup()
    {
        _registry = Registry(_ok, _ok);
        _failoverRegistry = Registry(_failing, _ok);
        _deployment = new DeploymentRoute("dep", "dep", "ten", "res", "pub_a", "off", "claude-sonnet-5", 1024, HostingOption.Platform, DeploymentType.DataZone, Regions[0]);
        _set = _registry.Eligible(_deployment);
        // A failure threshold no run reaches: the failover benchmark keeps failing over instead of ejecting.
        _chooser = new BackendChooser(new RoutingOptions { FailureThreshold = int.MaxValue }, TimeProvider.System, new Random(1));
        _router = new BoundaryRouter(_chooser, NullLogger<BoundaryRouter>.Instance);
        var body = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""");
        _call = MessagesRequestParser.TryParse(body, false, out var request, out _)
            ? new BackendCall(request, "claude-sonnet-5", "msg_bench")
            : throw new InvalidOperationException();
    }

    [Benchmark(Description = "eligible set, cold (uncached)")]
    public int EligibleCold() => _registry.EligibleFor(_deployment).Count;

    [Benchmark(Description = "eligible set, memoized per snapshot")]
    public int EligibleMemo() => _registry.Eligible(_deployment).Count;

    [Benchmark(Baseline = true, Description = "choose (health, tier, two choices)")]
    public int Choose() => _chooser.Choose(_set, []);

    [Benchmark(Description = "open route: choose + first event + release")]
    public async Task<int> Open()
    {
        await using var route = await _router.OpenAsync(_deployment, _registry, _call, CancellationToken.None);
        return route.Attempts.Count;
    }

    [Benchmark(Description = "open route with one failover")]
    public async Task<int> OpenWithFailover()
    {
        await using var route = await _router.OpenAsync(_deployment, _failoverRegistry, _call, CancellationToken.None);
        return route.Attempts.Count;
    }

    /// <summary>The resource region's backends answer with <paramref name="local"/>, all others with <paramref name="rest"/>.</summary>
    private static BackendRegistry Registry(IInferenceBackend local, IInferenceBackend rest)
    {
        var backends = new List<RegisteredBackend>();
        foreach (var region in Regions)
        {
            for (var i = 0; i < 3; i++)
            {
                backends.Add(new RegisteredBackend(
                    new BackendPlacement($"{region.Name}-{i}", region.Name, region.DataZone, BackendPlacement.Platform),
                    "bench", region.Name, region.Name == "eastus" ? local : rest));
            }
        }

        backends.Add(new RegisteredBackend(new BackendPlacement("pub_a-1", "France", BackendCatalog.PublisherZone, "pub_a"), "bench", "France", rest));
        backends.Add(new RegisteredBackend(new BackendPlacement("pub_b-1", "undeclared", BackendCatalog.PublisherZone, "pub_b"), "bench", "undeclared", rest));
        return new BackendRegistry(backends);
    }

    /// <summary>Answers one event at once, or fails before it as an overloaded upstream would.</summary>
    private sealed class InstantBackend(bool fail) : IInferenceBackend
    {
        private static readonly MessageStartEvent Start = new("msg_bench", "claude-sonnet-5", new Usage(1, 0));

        public BackendCapabilities Capabilities => BackendCapabilities.Anthropic;

        public string? Refusal(MessagesRequest request) => null;

        public async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (fail)
            {
                throw new BackendException(529, ErrorTypes.Overloaded, "overloaded");
            }

            await Task.CompletedTask;
            yield return Start;
        }
    }
}
