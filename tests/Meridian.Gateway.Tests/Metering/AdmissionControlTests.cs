using System.Text;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Metering;
using Meridian.Protocol.Messages;
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
    private readonly AdmissionControl _admission;
    private readonly KeyRecord _key;
    private readonly DeploymentRoute _deployment;

    public AdmissionControlTests()
    {
        var control = TestStores.Control(_directory);
        DemoSeed.SeedIfEmpty(control, _time.GetUtcNow());
        _store = new MarketplaceStore(control);
        var snapshots = new MeteringSnapshotProvider(_store);
        var budgets = new BudgetTracker(snapshots, TestStores.Geographies(_directory, "us"), _time, NullLogger<BudgetTracker>.Instance);
        _admission = new AdmissionControl(snapshots, new InMemoryQuotaCounter(), budgets, _time, NullLogger<AdmissionControl>.Instance);
        var routing = control.LoadRouting(_time.GetUtcNow());
        _deployment = routing.Deployments.Single(d => d.DeploymentId == DemoSeed.DeploymentId);
        _key = new KeyRecord("key_test", "hash", DemoSeed.ResourceId, DemoSeed.TenantId, _deployment.ResourceRegion, null);
        _store.SetLimits("test", LimitScope.Deployment, DemoSeed.DeploymentId, new LimitsDraft(3, 10_000, 1_000, null), _time.GetUtcNow());
        snapshots.Reload();
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
        var meter = new RequestMeter();
        Assert.Null(await AdmitAsync(maxTokens: 900, meter));
        var (refusal, _) = await AdmitWithResponseAsync(maxTokens: 200);
        Assert.Contains("output tokens per minute (OTPM)", refusal!.Message, StringComparison.Ordinal);

        // The first answer used 50 of its 900: the other 850 come back at once.
        await _admission.SettleAsync(meter, new TokenCounts(meter.EstimatedInputTokens, 50, 0, 0));
        var (admitted, response) = await AdmitWithResponseAsync(maxTokens: 200);
        Assert.Null(admitted);
        Assert.Equal("750", response.Headers["anthropic-ratelimit-output-tokens-remaining"].ToString());
        Assert.Equal("1000", response.Headers["anthropic-ratelimit-output-tokens-limit"].ToString());
    }

    [Fact]
    public async Task A_used_up_budget_refuses_until_next_month()
    {
        _store.SetLimits("test", LimitScope.Tenant, DemoSeed.TenantId, new LimitsDraft(null, null, null, "0.01"), _time.GetUtcNow());
        var budgets = new BudgetTracker(new MeteringSnapshotProvider(_store),
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
        var exhausted = budgets.Check(DemoSeed.TenantId, DemoSeed.DeploymentId, _time.GetUtcNow());
        Assert.Equal((LimitScope.Tenant, 0.01m, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)), (exhausted!.Scope, exhausted.Budget, exhausted.RegainAt));

        _time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Null(budgets.Check(DemoSeed.TenantId, DemoSeed.DeploymentId, _time.GetUtcNow()));
    }

    private async Task<Protocol.Errors.ApiError?> AdmitAsync(int maxTokens, RequestMeter? meter = null) =>
        (await AdmitWithResponseAsync(maxTokens, meter)).Refusal;

    private async Task<(Protocol.Errors.ApiError? Refusal, HttpResponse Response)> AdmitWithResponseAsync(int maxTokens, RequestMeter? meter = null)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"model":"claude-sonnet-5","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"Hi"}]}""");
        Assert.True(MessagesRequestParser.TryParse(body, false, out var request, out var error), error?.Message);
        using (request)
        {
            var context = new DefaultHttpContext();
            var refusal = await _admission.AdmitAsync(context.Response, meter ?? new RequestMeter(), _key, _deployment, request, CancellationToken.None);
            return (refusal, context.Response);
        }
    }
}
