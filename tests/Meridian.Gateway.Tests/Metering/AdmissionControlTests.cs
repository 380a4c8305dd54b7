using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Metering;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>Admission on a fake clock: reservations from the estimate, refusals that name the limit, refill and settlement.</summary>
public sealed class AdmissionControlTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-admission-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 3, 12, 0, 0, TimeSpan.Zero));
    private readonly MarketplaceStore _store;
    private readonly GatewaySnapshotProvider _snapshots;
    private readonly AdmissionControl _admission;
    private readonly KeyRecord _key;
    private readonly DeploymentRoute _deployment;

    public AdmissionControlTests()
    {
        var control = TestStores.Control(_directory);
        DemoSeed.SeedIfEmpty(control, _time.GetUtcNow());
        _store = new MarketplaceStore(control);
        _snapshots = new GatewaySnapshotProvider(_store, new BackendCatalog(new GatewayOptions(), NullLoggerFactory.Instance), _time,
            NullLogger<GatewaySnapshotProvider>.Instance);
        var budgets = new BudgetTracker(_snapshots, TestStores.Geographies(_directory, "us"), _time, NullLogger<BudgetTracker>.Instance);
        _admission = new AdmissionControl(new InMemoryQuotaCounter(), budgets, _time, NullLogger<AdmissionControl>.Instance);
        var routing = control.LoadRouting(_time.GetUtcNow());
        _deployment = routing.Deployments.Single(d => d.DeploymentId == DemoSeed.DeploymentId);
        _key = new KeyRecord("key_test", "hash", DemoSeed.ResourceId, DemoSeed.TenantId, _deployment.ResourceRegion, null);
        // Committed through the store the snapshot provider watches: in force without any reload.
        _store.SetLimits("test", LimitScope.Deployment, DemoSeed.DeploymentId, new LimitsDraft(3, 10_000, 1_000, null), _time.GetUtcNow());
    }

    public void Dispose()
    {
        TestStores.DeleteDataDirectory(_directory);
    }

    [Fact]
    public async Task Requests_per_minute_refill_on_the_clock()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await AdmitAsync(maxTokens: 10));
        }

        var (refusal, response) = await AdmitWithResponseAsync(maxTokens: 10);
        Assert.Equal(429, refusal!.Status);
        Assert.Contains("3 requests per minute (RPM)", refusal.Message, StringComparison.Ordinal);
        Assert.Equal("20", response.Headers["retry-after"].ToString());
        Assert.Equal("2026-11-03T12:01:00Z", response.Headers["anthropic-ratelimit-requests-reset"].ToString());

        _time.Advance(TimeSpan.FromSeconds(19));
        Assert.NotNull(await AdmitAsync(maxTokens: 10));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await AdmitAsync(maxTokens: 10));
    }

    [Fact]
    public async Task Output_is_reserved_from_max_tokens_and_settled_with_what_was_used()
    {
        var (_, reservation, _) = await ReserveAsync(maxTokens: 900);
        var (refusal, _) = await AdmitWithResponseAsync(maxTokens: 200);
        Assert.Contains("output tokens per minute (OTPM)", refusal!.Message, StringComparison.Ordinal);

        // The first answer used 50 of its 900: the other 850 come back at once.
        await _admission.SettleAsync(reservation, new TokenCounts(InputTokens, 50, 0, 0));
        var (admitted, response) = await AdmitWithResponseAsync(maxTokens: 200);
        Assert.Null(admitted);
        Assert.Equal("750", response.Headers["anthropic-ratelimit-output-tokens-remaining"].ToString());
        Assert.Equal("1000", response.Headers["anthropic-ratelimit-output-tokens-limit"].ToString());
    }

    [Fact]
    public async Task A_used_up_budget_refuses_until_next_month()
    {
        _store.SetLimits("test", LimitScope.Tenant, DemoSeed.TenantId, new LimitsDraft(null, null, null, "0.01"), _time.GetUtcNow());
        var budgets = new BudgetTracker(_snapshots,
            TestStores.Geographies(_directory, "us"), _time, NullLogger<BudgetTracker>.Instance);
        budgets.Record(
        [
            new UsageRecord
            {
                RequestId = "req_1", At = _time.GetUtcNow(), TenantId = DemoSeed.TenantId, KeyId = "key_test", ResourceId = DemoSeed.ResourceId,
                DeploymentId = DemoSeed.DeploymentId, DeploymentName = DemoSeed.DeploymentName, OfferId = DemoSeed.OfferId, PublisherId = DemoSeed.PublisherId,
                Model = "claude-sonnet-5", StorageGeography = "us", Tokens = new TokenCounts(4_000, 0, 0, 0), Source = UsageSource.Backend,
            },
        ]);

        Assert.Equal(0.012m, budgets.Spent(LimitScope.Tenant, DemoSeed.TenantId, BillingPeriod.Of(_time.GetUtcNow())));
        var exhausted = budgets.Check(_snapshots.Current, DemoSeed.TenantId, DemoSeed.DeploymentId, _time.GetUtcNow());
        Assert.Equal((LimitScope.Tenant, 0.01m, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)), (exhausted!.Scope, exhausted.Budget, exhausted.RegainAt));

        _time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Null(budgets.Check(_snapshots.Current, DemoSeed.TenantId, DemoSeed.DeploymentId, _time.GetUtcNow()));
    }

    [Fact]
    public async Task A_bucket_seen_empty_refuses_the_next_requests_before_they_are_counted_until_it_refills()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await AdmitAsync(maxTokens: 10));
        }

        Assert.Equal(429, (await AdmitAsync(maxTokens: 10))!.Status);

        // Now known empty: refused with no counting and no counter round trip, with a retry-after like the counter's.
        var response = new DefaultHttpContext().Response;
        var early = _admission.RefuseEarly(response, _snapshots.Current, _key, _deployment, isCountTokens: false);
        Assert.Equal((429, "20"), (early!.Status, response.Headers["retry-after"].ToString()));

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(_admission.RefuseEarly(new DefaultHttpContext().Response, _snapshots.Current, _key, _deployment, isCountTokens: false));
        Assert.Null(await AdmitAsync(maxTokens: 10));
    }

    [Fact]
    public async Task A_bucket_that_only_lacked_room_for_a_large_request_does_not_refuse_small_ones_early()
    {
        Assert.Null(await AdmitAsync(maxTokens: 900));
        Assert.Equal(429, (await AdmitAsync(maxTokens: 500))!.Status);

        Assert.Null(_admission.RefuseEarly(new DefaultHttpContext().Response, _snapshots.Current, _key, _deployment, isCountTokens: false));
        Assert.Null(await AdmitAsync(maxTokens: 50));
    }

    [Fact]
    public async Task Counting_tokens_has_buckets_of_its_own_and_never_uses_up_the_quota_for_answers()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await _admission.ReserveCountTokensAsync(new DefaultHttpContext().Response, _snapshots.Current, _key, _deployment, CancellationToken.None));
        }

        var refused = await _admission.ReserveCountTokensAsync(new DefaultHttpContext().Response, _snapshots.Current, _key, _deployment, CancellationToken.None);
        Assert.Equal(429, refused!.Status);
        Assert.Contains("token-counting requests per minute", refused.Message, StringComparison.Ordinal);

        Assert.Null(await AdmitAsync(maxTokens: 10));
    }

    private const int InputTokens = 8;

    private async Task<Protocol.Errors.ApiError?> AdmitAsync(int maxTokens) => (await AdmitWithResponseAsync(maxTokens)).Refusal;

    private async Task<(Protocol.Errors.ApiError? Refusal, HttpResponse Response)> AdmitWithResponseAsync(int maxTokens)
    {
        var (refusal, _, response) = await ReserveAsync(maxTokens);
        return (refusal, response);
    }

    private async Task<(Protocol.Errors.ApiError? Refusal, QuotaReservation? Reservation, HttpResponse Response)> ReserveAsync(int maxTokens)
    {
        var context = new DefaultHttpContext();
        var (refusal, reservation) = await _admission.ReserveAsync(context.Response, _snapshots.Current, _key, _deployment, InputTokens, maxTokens, CancellationToken.None);
        return (refusal, reservation, context.Response);
    }
}
