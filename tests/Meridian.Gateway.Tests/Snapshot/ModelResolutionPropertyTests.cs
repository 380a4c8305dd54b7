using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Gateway.Tests.Snapshot;

/// <summary>
/// Name resolution never changes a request's boundary: over random sequences of control-plane actions (create and
/// delete deployments of two models under every hosting option and deployment type, with names that collide with the
/// model ids, and set defaults) interleaved with calls by every model id and name, a caller's traffic moves to another
/// deployment only after an action that says so — an explicit default, or the first deployment of a model that had none.
/// </summary>
public sealed class ModelResolutionPropertyTests : IDisposable
{
    private static readonly string[] Models = ["claude-sonnet-5", "claude-haiku-4-5"];
    private static readonly string[] Names = ["alpha", "beta", "gamma", "claude-sonnet-5", "claude-haiku-4-5"];
    private static readonly (string Hosting, string? Type)[] Placements =
        [("platform", "regional"), ("platform", "datazone"), ("platform", "global"), ("publisher", null)];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-resolution-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    [Fact]
    public void No_sequence_of_actions_moves_a_caller_without_an_action_that_says_where()
    {
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        using var control = TestStores.Control(_directory);
        DemoSeed.SeedIfEmpty(control, now);
        var store = new MarketplaceStore(control);
        var snapshots = new GatewaySnapshotProvider(store, new BackendCatalog(new GatewayOptions(), NullLoggerFactory.Instance), TimeProvider.System,
            NullLogger<GatewaySnapshotProvider>.Instance);
        var key = snapshots.Current.ResourceDeployments[DemoSeed.ResourceId][0] is { } seeded
            ? new KeyRecord("key_prop", "hash", DemoSeed.ResourceId, DemoSeed.TenantId, seeded.ResourceRegion, null)
            : throw new InvalidOperationException("The demo resource has no deployment.");
        var random = new Random(20261207);
        var reached = new Dictionary<string, string>(StringComparer.Ordinal);
        var mayMove = new HashSet<string>(Names, StringComparer.Ordinal);
        var (moves, refusals, captures) = (0, 0, 0);

        for (var step = 0; step < 600; step++)
        {
            var live = snapshots.Current.ResourceDeployments.GetValueOrDefault(DemoSeed.ResourceId) ?? [];
            switch (random.Next(5))
            {
                case 0 or 1:
                {
                    var (hosting, type) = Placements[random.Next(Placements.Length)];
                    var model = Models[random.Next(Models.Length)];
                    var name = Names[random.Next(Names.Length)];
                    var firstOfModel = !live.Any(d => d.ModelId == model);
                    var created = store.CreateDeployment("test", DemoSeed.ResourceId, new DeploymentDraft(
                        name, DemoSeed.OfferId, model, hosting, type, null, null, null, hosting == "publisher" ? true : null), now);
                    if (created.Succeeded)
                    {
                        // Explicit: a deployment by this name; and the first deployment of a model is where its id goes.
                        mayMove.Add(name);
                        if (firstOfModel)
                        {
                            mayMove.Add(model);
                        }
                    }
                    else if (created.Status == StoreStatus.Conflict && live.Any(d => d.ModelId == name))
                    {
                        captures++;
                    }

                    break;
                }

                case 2 when live.Count > 0:
                {
                    var victim = live[random.Next(live.Count)];
                    Assert.True(store.DeleteDeployment("test", victim.DeploymentId, now).Succeeded);
                    break;
                }

                case 3 when live.Count > 0:
                {
                    var chosen = live[random.Next(live.Count)];
                    var named = live.FirstOrDefault(d => d.Name == chosen.ModelId);
                    var set = store.SetModelDefault("test", DemoSeed.ResourceId, chosen.ModelId, chosen.DeploymentId, now);
                    // A deployment named after the model keeps what that name reaches: the default cannot point elsewhere.
                    Assert.Equal(named is null || named == chosen, set.Succeeded);
                    if (set.Succeeded)
                    {
                        mayMove.Add(chosen.ModelId);
                    }

                    break;
                }

                default:
                    foreach (var callable in Names)
                    {
                        var resolution = snapshots.Current.Resolve(key, callable);
                        if (resolution.Deployment is not { } deployment)
                        {
                            refusals += resolution.Status == ModelResolutionStatus.NoDefault ? 1 : 0;
                            Assert.True(resolution.Status != ModelResolutionStatus.NoDefault || resolution.Candidates.All(c => c.ModelId == callable));
                            continue;
                        }

                        var boundary = Boundary(deployment);
                        if (reached.TryGetValue(callable, out var before) && before != boundary)
                        {
                            Assert.True(mayMove.Contains(callable), $"step {step}: '{callable}' moved from {before} to {boundary} with no action that said so");
                            moves++;
                        }

                        reached[callable] = boundary;
                        mayMove.Remove(callable);
                    }

                    break;
            }
        }

        // The sequence exercised what it is about: explicit moves, refusals for want of a default, and refused captures.
        Assert.True(moves > 0 && refusals > 0 && captures > 0, $"moves {moves}, refusals {refusals}, captures {captures}");
    }

    [Fact]
    public void A_publisher_hosted_deployment_added_beside_a_regional_one_does_not_take_the_model_ids_callers()
    {
        var now = DateTimeOffset.UtcNow;
        using var control = TestStores.Control(_directory);
        DemoSeed.SeedIfEmpty(control, now);
        var store = new MarketplaceStore(control);
        var snapshots = new GatewaySnapshotProvider(store, new BackendCatalog(new GatewayOptions(), NullLoggerFactory.Instance), TimeProvider.System,
            NullLogger<GatewaySnapshotProvider>.Instance);
        var demo = snapshots.Current.ResourceDeployments[DemoSeed.ResourceId].Single();
        var key = new KeyRecord("key_prop", "hash", DemoSeed.ResourceId, DemoSeed.TenantId, demo.ResourceRegion, null);

        Assert.True(store.CreateDeployment("tenant-admin", DemoSeed.ResourceId, new DeploymentDraft(
            "sonnet-publisher", DemoSeed.OfferId, "claude-sonnet-5", "publisher", null, null, null, null, true), now).Succeeded);

        Assert.Equal(demo.DeploymentId, snapshots.Current.Resolve(key, "claude-sonnet-5").Deployment!.DeploymentId);
        Assert.Equal(HostingOption.Publisher, snapshots.Current.Resolve(key, "sonnet-publisher").Deployment!.Hosting);

        // Deleting the default leaves the model id refused, naming what is left, rather than sent to the publisher.
        Assert.True(store.DeleteDeployment("tenant-admin", demo.DeploymentId, now).Succeeded);
        var refused = snapshots.Current.Resolve(key, "claude-sonnet-5");
        Assert.Equal(ModelResolutionStatus.NoDefault, refused.Status);
        Assert.Equal("sonnet-publisher", Assert.Single(refused.Candidates).Name);
    }

    private static string Boundary(DeploymentRoute deployment) =>
        $"{deployment.DeploymentId}:{deployment.Hosting}/{deployment.Type}/{deployment.ResourceRegion.Name}";
}
