using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Gateway.Tests.Snapshot;

/// <summary>
/// Terms over time, on the store and the snapshot at chosen moments: a scheduled version becomes current exactly at its
/// <c>effective_at</c>, and a price or retention change binds an existing subscriber exactly when its notice ends —
/// read from the snapshot at the request's time, with no new snapshot needed.
/// </summary>
public sealed class TermsOverTimeTests : IDisposable
{
    private static readonly DateTimeOffset Seeded = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Notice = TimeSpan.FromDays(30);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-terms-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    [Fact]
    public void A_scheduled_version_becomes_current_at_its_effective_at_and_only_then_gates_new_deployments()
    {
        using var control = TestStores.Control(_directory);
        DemoSeed.SeedIfEmpty(control, Seeded);
        var store = new MarketplaceStore(control);
        var effective = Seeded.AddDays(7);

        Assert.True(store.PublishTerms("test", DemoSeed.OfferId, "Demo terms, version 2.", effective, Seeded).Succeeded);

        Assert.Equal(1, store.FindOffer(DemoSeed.OfferId, effective - Tick)!.Terms.Version);
        Assert.Equal(2, store.FindOffer(DemoSeed.OfferId, effective)!.Terms.Version);
        Assert.Empty(store.FindOffer(DemoSeed.OfferId, effective)!.ScheduledTerms);
        Assert.True(store.CreateDeployment("test", DemoSeed.ResourceId, Draft("before-v2"), effective - Tick).Succeeded);
        Assert.Equal(StoreStatus.TermsNotAccepted, store.CreateDeployment("test", DemoSeed.ResourceId, Draft("after-v2"), effective).Status);
    }

    [Fact]
    public void A_price_or_retention_change_binds_an_existing_subscriber_when_its_notice_ends()
    {
        using var control = TestStores.Control(_directory);
        DemoSeed.SeedIfEmpty(control, Seeded);
        var store = new MarketplaceStore(control);
        var changed = Seeded.AddDays(2);
        Assert.True(store.UpdateDeploymentReview("test", DemoSeed.DeploymentId, new DeploymentReviewChange(null, RetentionMode.None, null), changed).Succeeded);
        var before = store.FindOffer(DemoSeed.OfferId, changed)!.Prices;

        Assert.True(store.UpdatePrices("test", DemoSeed.OfferId, new PriceDraft("1000000", null, null, null), null, changed, Notice).Succeeded);
        Assert.True(store.SetOfferRequiresRetention("test", DemoSeed.OfferId, true, null, changed, Notice).Succeeded);

        var snapshot = Snapshots(store).Current;
        var prices = snapshot.PricesOf(DemoSeed.TenantId, DemoSeed.OfferId)!;
        var route = snapshot.ResourceDeployments[DemoSeed.ResourceId].Single(d => d.DeploymentId == DemoSeed.DeploymentId);
        Assert.Equal(before, prices.At(changed + Notice - Tick).Prices);
        Assert.Equal(1_000_000m, prices.At(changed + Notice).Prices.Input);
        Assert.False(route.RefusedForRetentionAt(changed + Notice - Tick));
        Assert.True(route.RefusedForRetentionAt(changed + Notice));
    }

    private static DeploymentDraft Draft(string name) =>
        new(name, DemoSeed.OfferId, "claude-haiku-4-5", "platform", "datazone", null, null, null, null);

    private static GatewaySnapshotProvider Snapshots(MarketplaceStore store) =>
        new(store, new BackendCatalog(new GatewayOptions(), NullLoggerFactory.Instance), TimeProvider.System, NullLogger<GatewaySnapshotProvider>.Instance);
}
