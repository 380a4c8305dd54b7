using CsCheck;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Routing;

/// <summary>
/// The boundary invariant, over random worlds: regions in zones (or none), platform and publisher backends placed
/// anywhere serving some models, with random health (ejected, probed down, at their in-flight limit) and scripted
/// failures (5xx, 429, 529, connect errors, empty streams, the client's own 400), and deployments of every hosting
/// option and type. Every routing decision goes through the real <see cref="BackendChooser"/> and
/// <see cref="BoundaryRouter"/>. Asserted for each: no attempt ever reaches a backend outside the boundary, and when
/// the boundary has no eligible backend (503) or no healthy one (529) the request fails closed and is sent nowhere.
/// </summary>
public sealed class BoundaryRoutingPropertyTests
{
    private const int Worlds = 2_500;
    private const int MinimumDecisions = 100_000;

    private static readonly string[] Models = ["m0", "m1", "m2"];
    private static readonly string[] Publishers = ["pub_a", "pub_b"];

    private static readonly Gen<Region[]> GenRegions =
        Gen.OneOf<string?>("us", "eu", "apac", null).Array[1, 6]
            .Select(zones => zones.Select((zone, i) => new Region($"r{i}", zone, zone ?? "nozone", $"Region {i}")).ToArray());

    private static readonly Gen<BackendSpec> GenBackend =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, 4], Gen.Int[0, 7], Gen.Int[0, 5], Gen.Enum<Answer>().Array[0, 4])
            .Select(Gen.Enum<Answer>(), (t, then) => new BackendSpec(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, then));

    private static readonly Gen<DeploymentSpec> GenDeployment =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, 3], Gen.Int[0, 2], Gen.Int[0, 1], Gen.Int[0, 2])
            .Select(t => new DeploymentSpec(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5));

    private static readonly Gen<RequestSpec> GenRequest =
        Gen.Select(Gen.Int[0, 15], Gen.Int[-1, 15], Gen.Int[0, 5], Gen.Enum<Answer>(), Gen.Int[0, 30])
            .Select(t => new RequestSpec(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5));

    private static readonly Gen<WorldSpec> GenWorld =
        Gen.Select(GenRegions, GenBackend.Array[0, 12], GenDeployment.Array[1, 6], GenRequest.Array[40, 60], Gen.Int[1, 4])
            .Select(t => new WorldSpec(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5));

    [Fact]
    public void No_routing_decision_ever_leaves_the_boundary_and_none_escapes_fail_closed()
    {
        var decisions = 0L;
        var failedClosed = 0L;
        var failedOver = 0L;
        GenWorld.Sample(
            world =>
            {
                var (made, closed, over) = Run(world);
                decisions += made;
                failedClosed += closed;
                failedOver += over;
            },
            iter: Worlds,
            threads: 1,
            seed: "0000ZbUNB0u2");

        TestContext.Current.TestOutputHelper?.WriteLine($"{decisions} routing decisions in {Worlds} worlds: {failedClosed} failed closed, {failedOver} failed over.");
        Assert.True(decisions >= MinimumDecisions, $"only {decisions} routing decisions ran");
        Assert.True(failedClosed > decisions / 20, $"the worlds should exercise failing closed often: {failedClosed} of {decisions}");
        Assert.True(failedOver > decisions / 50, $"the worlds should exercise failover often: {failedOver} of {decisions}");
    }

    private static (int Decisions, int FailedClosed, int FailedOver) Run(WorldSpec world)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new RoutingOptions { FailureThreshold = world.FailureThreshold, MaxAttempts = 3, EjectionBase = TimeSpan.FromSeconds(10) };
        var router = new BoundaryRouter(new BackendChooser(options, time, new Random(world.Requests.Length)), Microsoft.Extensions.Logging.Abstractions.NullLogger<BoundaryRouter>.Instance);
        var scripts = new List<ScriptedBackend>();
        var backends = new List<RegisteredBackend>();
        for (var i = 0; i < world.Backends.Length; i++)
        {
            var spec = world.Backends[i];
            var script = new ScriptedBackend(spec.Script) { Then = spec.Then };
            scripts.Add(script);
            var region = spec.Region < world.Regions.Length ? world.Regions[spec.Region] : null;
            var operatedBy = spec.Operator switch { 0 or 1 or 2 => BackendPlacement.Platform, 3 => Publishers[0], _ => Publishers[1] };
            var models = spec.ModelMask == 0 ? null : Models.Where((_, bit) => (spec.ModelMask & (1 << bit)) != 0).ToArray();
            if (operatedBy == BackendPlacement.Platform && region is null)
            {
                // A platform backend outside the world is never registered (BackendCatalog drops it); a stale one would
                // still have to be refused by the boundary, so keep it with a region no deployment has.
                region = new Region("nowhere", null, "nowhere", "Nowhere");
            }

            backends.Add(RoutingKit.Backend($"b{i}", operatedBy == BackendPlacement.Platform ? region : null, script, operatedBy, models, maxInFlight: spec.Health == 3 ? 1 : null));
            SetHealth(backends[^1], spec.Health, time, options);
        }

        var registry = new BackendRegistry(backends);
        var deployments = world.Deployments.Select(d => ToRoute(d, world.Regions)).ToArray();
        var failedClosed = 0;
        var failedOver = 0;
        foreach (var request in world.Requests)
        {
            if (request.Mutate >= 0 && request.Mutate < backends.Count)
            {
                SetHealth(backends[request.Mutate], request.Health, time, options);
                scripts[request.Mutate].Push(request.NextAnswer);
            }

            time.Advance(TimeSpan.FromSeconds(request.AdvanceSeconds));
            var deployment = deployments[request.Deployment % deployments.Length];
            var eligible = backends.Where(b => OracleAllows(deployment, b)).ToList();
            var anyHealthy = eligible.Any(b => b.State.ConditionAt(time.GetUtcNow(), b.MaxInFlight) == BackendCondition.Healthy);
            var callsBefore = scripts.Select(s => s.Calls).ToArray();

            var route = router.OpenAsync(deployment, registry, RoutingKit.Call, CancellationToken.None).GetAwaiter().GetResult();
            try
            {
                // 1. Nothing outside the boundary, ever: every attempt and the answering backend are eligible.
                foreach (var attempt in route.Attempts)
                {
                    var backend = backends.Single(b => b.Id == attempt.Backend);
                    Assert.True(eligible.Contains(backend), $"{attempt.Backend} is outside the boundary of {Describe(deployment)}");
                }

                for (var i = 0; i < scripts.Count; i++)
                {
                    if (scripts[i].Calls != callsBefore[i])
                    {
                        Assert.True(eligible.Contains(backends[i]), $"b{i} was called for {Describe(deployment)} although outside the boundary");
                    }
                }

                Assert.True(route.Attempts.Count <= options.MaxAttempts);
                Assert.Equal(route.Attempts.Count, route.Attempts.Select(a => a.Backend).Distinct().Count());

                // 2. Fail closed: no eligible backend → 503 api_error; none healthy → 529 overloaded_error; sent nowhere.
                if (eligible.Count == 0)
                {
                    Assert.Equal(503, route.Error?.Status);
                    Assert.Equal("api_error", route.Error!.Type);
                    Assert.Empty(route.Attempts);
                    Assert.Equal(callsBefore, scripts.Select(s => s.Calls));
                }
                else if (!anyHealthy)
                {
                    Assert.Equal(529, route.Error?.Status);
                    Assert.Equal("overloaded_error", route.Error!.Type);
                    Assert.Empty(route.Attempts);
                }

                if (route.Error is null)
                {
                    Assert.NotNull(route.Backend);
                    Assert.Contains(route.Backend, eligible);
                    Assert.Equal("ok", route.Attempts[^1].Outcome);
                    Assert.NotNull(route.Events);
                }
                else
                {
                    Assert.Null(route.Backend);
                    // The client's own error (400), or fail closed: nothing eligible (503), nothing healthy (529), or
                    // every eligible backend tried failed (its own retryable error: 429, 5xx).
                    Assert.Contains(route.Error.Status, new[] { 400, 429, 500, 502, 503, 529 });
                    Assert.True(route.Error.Status == 400 || route.Failure is not null, "a fail-closed error must say why on the receipt");
                    failedClosed += route.Error.Status == 400 ? 0 : 1;
                }

                failedOver += route.Attempts.Count > 1 ? 1 : 0;
            }
            finally
            {
                route.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        // Every slot taken was given back (the "overloaded" backends keep the one the test took).
        Assert.All(backends.Select((b, i) => (b, i)), x => Assert.Equal(x.b.MaxInFlight is null ? 0 : 1, x.b.State.InFlight));
        return (world.Requests.Length, failedClosed, failedOver);
    }

    /// <summary>The rule of DESIGN.md, written again here so the test does not trust the code it checks.</summary>
    private static bool OracleAllows(DeploymentRoute d, RegisteredBackend b)
    {
        if (b.Models is { } models && !models.Contains(d.ModelId))
        {
            return false;
        }

        var placement = b.Placement;
        if (d.Hosting == HostingOption.Publisher)
        {
            return placement.OperatedBy == d.PublisherId;
        }

        return placement.OperatedBy == "platform" && d.Type switch
        {
            DeploymentType.Global => true,
            DeploymentType.DataZone => d.ResourceRegion.DataZone is not null && placement.DataZone == d.ResourceRegion.DataZone,
            DeploymentType.Regional => placement.Region == d.ResourceRegion.Name,
            _ => false,
        };
    }

    private static void SetHealth(RegisteredBackend backend, int health, FakeTimeProvider time, RoutingOptions options)
    {
        var state = backend.State;
        switch (health)
        {
            case 1:
                for (var i = 0; i < options.FailureThreshold; i++)
                {
                    state.Failed(time.GetUtcNow(), options);
                }

                break;
            case 2:
                state.Probed(up: false, threshold: 1);
                break;
            case 3 when backend.MaxInFlight is not null && state.InFlight == 0:
                state.Started();
                break;
            case 4:
                state.Probed(up: true, threshold: 1);
                break;
            default:
                break;
        }
    }

    private static DeploymentRoute ToRoute(DeploymentSpec spec, Region[] regions)
    {
        var region = regions[spec.Region % regions.Length];
        var hosting = spec.Hosting == 3 ? HostingOption.Publisher : HostingOption.Platform;
        var type = (DeploymentType)spec.Type;
        return new DeploymentRoute("dep", "dep", "ten", "res", Publishers[spec.Publisher], "off", Models[spec.Model], 1024, hosting, hosting == HostingOption.Publisher ? null : type, region);
    }

    private static string Describe(DeploymentRoute d) =>
        $"{d.Hosting}/{d.Type} in {d.ResourceRegion.Name} (zone {d.ResourceRegion.DataZone ?? "none"}) of {d.PublisherId} for {d.ModelId}";

    /// <param name="Region">Index into the world's regions; past its end: no region (publisher location, or a stale platform one).</param>
    /// <param name="Operator">0–2 platform, 3 pub_a, 4 pub_b.</param>
    /// <param name="ModelMask">0: every model; else bits of m0, m1, m2.</param>
    /// <param name="Health">0 healthy, 1 ejected, 2 probed down, 3 at its in-flight limit, 4–5 healthy.</param>
    public sealed record BackendSpec(int Region, int Operator, int ModelMask, int Health, Answer[] Script, Answer Then);

    /// <param name="Hosting">0–2 platform, 3 publisher.</param>
    public sealed record DeploymentSpec(int Region, int Hosting, int Type, int Publisher, int Model);

    /// <param name="Mutate">A backend whose health changes and which gets one more scripted answer before this request; -1 none.</param>
    public sealed record RequestSpec(int Deployment, int Mutate, int Health, Answer NextAnswer, int AdvanceSeconds);

    public sealed record WorldSpec(Region[] Regions, BackendSpec[] Backends, DeploymentSpec[] Deployments, RequestSpec[] Requests, int FailureThreshold);
}
