using Meridian.Core.Billing;
using Meridian.Storage.Geography;

namespace Meridian.Storage.Tests.Geography;

public sealed class UsageLedgerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 14, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-ledger-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        TestStores.DeleteDataDirectory(_directory);
    }

    internal static UsageRecord Usage(string id, DateTimeOffset at, TokenCounts tokens, string tenant = "ten_a", string deployment = "dep_a", string offer = "off_a") => new()
    {
        RequestId = id,
        At = at,
        TenantId = tenant,
        KeyId = "key_a",
        ResourceId = "res_a",
        DeploymentId = deployment,
        DeploymentName = deployment + "-name",
        OfferId = offer,
        PublisherId = "pub_a",
        Model = "model-a",
        StorageGeography = "us",
        Tokens = tokens,
        Source = UsageSource.Backend,
    };

    [Fact]
    public async Task A_request_id_is_written_once_however_often_its_batch_is_replayed()
    {
        var store = TestStores.Geographies(_directory, "us").For("us");
        var batch = Enumerable.Range(0, 50).Select(i => Usage($"req_{i}", T0.AddMinutes(i), new TokenCounts(10, 20, 0, 0))).ToList();

        var first = store.InsertUsage(batch);
        var replay = store.InsertUsage(batch);
        var overlap = store.InsertUsage([.. batch.Take(10), Usage("req_new", T0, new TokenCounts(1, 1, 0, 0))]);

        Assert.Equal(50, first.Count);
        Assert.Empty(replay);
        Assert.Equal("req_new", Assert.Single(overlap).RequestId);
        Assert.Equal(51, store.Ledger.Count());
        Assert.Equal(51, store.Ledger.RequestIds().Distinct().Count());
        var hourly = store.Ledger.Hourly(new UsageQuery(T0.AddHours(-1), T0.AddDays(1)));
        Assert.Equal(51, hourly.Sum(h => h.Requests));
        Assert.Equal(50 * 10 + 1, hourly.Sum(h => h.Tokens.Input));
        Assert.NotNull(await store.FindAsync("req_3", TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Hourly_aggregates_are_per_tenant_deployment_model_and_hour()
    {
        var store = TestStores.Geographies(_directory, "us").For("us");
        store.InsertUsage(
        [
            Usage("r1", T0.AddMinutes(5), new TokenCounts(1, 2, 3, 4)),
            Usage("r2", T0.AddMinutes(55), new TokenCounts(10, 20, 30, 40)),
            Usage("r3", T0.AddMinutes(65), new TokenCounts(100, 200, 300, 400)),
            Usage("r4", T0.AddMinutes(5), new TokenCounts(1, 1, 1, 1), tenant: "ten_b"),
            Usage("r5", T0.AddMinutes(5), new TokenCounts(7, 7, 7, 7), deployment: "dep_b"),
        ]);

        var hourly = store.Ledger.Hourly(new UsageQuery(T0, T0.AddHours(2)));
        Assert.Equal(4, hourly.Count);
        var first = Assert.Single(hourly, h => h.Hour == T0 && h.TenantId == "ten_a" && h.DeploymentId == "dep_a");
        Assert.Equal((2L, new TokenCounts(11, 22, 33, 44)), (first.Requests, first.Tokens));
        Assert.Single(hourly, h => h.Hour == T0.AddHours(1));
        Assert.Single(store.Ledger.Hourly(new UsageQuery(T0, T0.AddHours(2), TenantId: "ten_b")));
    }

    [Fact]
    public void Sums_over_spans_that_cut_hours_are_exact()
    {
        var store = TestStores.Geographies(_directory, "us").For("us");
        var random = new Random(7);
        var rows = Enumerable.Range(0, 400)
            .Select(i => Usage($"r{i}", T0.AddSeconds(random.Next(0, 6 * 3600)), new TokenCounts(random.Next(1, 100), random.Next(1, 100), 0, random.Next(0, 5))))
            .ToList();
        store.InsertUsage(rows);

        // Spans that start and end inside hours, on hour boundaries, and inside one hour.
        (DateTimeOffset From, DateTimeOffset To)[] spans =
        [
            (T0.AddMinutes(17), T0.AddHours(4).AddMinutes(43)),
            (T0, T0.AddHours(6)),
            (T0.AddMinutes(70), T0.AddMinutes(80)),
            (T0.AddHours(2), T0.AddHours(2).AddMinutes(30)),
        ];
        foreach (var (from, to) in spans)
        {
            var expected = rows.Where(r => r.At >= from && r.At < to).ToList();
            var sum = Assert.Single(store.Ledger.Sum(new UsageQuery(from, to, TenantId: "ten_a", OfferId: "off_a")));
            Assert.Equal(expected.Count, sum.Requests);
            Assert.Equal(expected.Aggregate(TokenCounts.Zero, (s, r) => s + r.Tokens), sum.Tokens);
        }
    }
}
