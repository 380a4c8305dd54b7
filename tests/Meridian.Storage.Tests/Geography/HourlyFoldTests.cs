using System.Collections.Concurrent;
using Meridian.Core.Billing;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Tests.Geography;

/// <summary>
/// Issue 22: hourly aggregates are partial per writer (a fresh id per process and store), so every restart adds a set of
/// rows per hour. <see cref="UsageLedger.FoldClosedHours"/> folds the partials of closed hours into one row per key,
/// totals unchanged, one node at a time; a late record for a folded hour starts a fresh partial that the next fold takes.
/// </summary>
public sealed class HourlyFoldTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 14, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-fold-tests", Guid.NewGuid().ToString("N"));
    private readonly List<GeographyStores> _opened = [];

    public void Dispose()
    {
        foreach (var stores in _opened)
        {
            stores.Dispose();
        }

        TestStores.DeleteDataDirectory(_directory);
    }

    [Fact]
    public void Three_restarts_partials_of_closed_hours_fold_into_one_row_per_key_and_every_total_stays()
    {
        // Three processes one after another (three writer ids), each writing into hours 14:00 and 15:00; one more into 16:00, still open.
        var written = new List<UsageRecord>();
        for (var process = 0; process < 3; process++)
        {
            written.AddRange(Open().For("us").InsertUsage(Records($"p{process}", T0, perKey: 3, seed: process)));
        }

        var open = Open().For("us");
        written.AddRange(open.InsertUsage(Records("open", T0.AddHours(2), perKey: 1, seed: 9, hours: 1)));
        var ledger = open.Ledger;
        var query = new UsageQuery(T0, T0.AddHours(3));
        var before = ledger.Hourly(query);
        Assert.Equal(3 * Keys(T0, T0.AddHours(2)) + Keys(T0.AddHours(2), T0.AddHours(3)), Rows(open));

        var folded = ledger.FoldClosedHours(T0.AddHours(2));

        Assert.Equal(3 * Keys(T0, T0.AddHours(2)), folded);
        Assert.Equal(Keys(T0, T0.AddHours(2)) + Keys(T0.AddHours(2), T0.AddHours(3)), Rows(open));
        Assert.Equal(before, ledger.Hourly(query));
        AssertTotalsEqualLedger(ledger, written, query);
        Assert.Equal(0, ledger.FoldClosedHours(T0.AddHours(2)));

        // A record of a folded hour that arrives late: a fresh partial beside the folded row, folded next time.
        var late = Open().For("us");
        written.AddRange(late.InsertUsage([UsageLedgerTests.Usage("req_late", T0.AddMinutes(30), new TokenCounts(7, 11, 0, 0), tenant: "ten_1", deployment: "dep_2")]));
        AssertTotalsEqualLedger(ledger, written, query);
        Assert.Equal(1, ledger.FoldClosedHours(T0.AddHours(2)));
        AssertTotalsEqualLedger(ledger, written, query);
    }

    [Fact]
    public async Task Two_nodes_folding_while_late_records_land_lose_and_count_nothing_twice()
    {
        var written = new ConcurrentBag<UsageRecord>();
        for (var process = 0; process < 4; process++)
        {
            foreach (var u in Open().For("us").InsertUsage(Records($"p{process}", T0, perKey: 2, seed: process)))
            {
                written.Add(u);
            }
        }

        var nodes = new[] { Open().For("us"), Open().For("us") };
        using var start = new Barrier(3);
        var folders = nodes.Select(node => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            for (var i = 0; i < 20; i++)
            {
                node.Ledger.FoldClosedHours(T0.AddHours(2));
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
        var writer = Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            for (var batch = 0; batch < 20; batch++)
            {
                foreach (var u in nodes[0].InsertUsage(Records($"late{batch}", T0, perKey: 1, seed: 100 + batch)))
                {
                    written.Add(u);
                }
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAll([.. folders, writer]);

        nodes[1].Ledger.FoldClosedHours(T0.AddHours(2));
        var query = new UsageQuery(T0, T0.AddHours(2));
        AssertTotalsEqualLedger(nodes[1].Ledger, [.. written], query);
        Assert.Equal(Keys(T0, T0.AddHours(2)), Rows(nodes[1]));
    }

    private GeographyStores Open()
    {
        var stores = TestStores.Geographies(_directory, "us");
        _opened.Add(stores);
        return stores;
    }

    /// <summary><paramref name="perKey"/> requests in each hour of <paramref name="hours"/> from <paramref name="start"/> for each of 3 tenants × 4 deployments.</summary>
    private static List<UsageRecord> Records(string prefix, DateTimeOffset start, int perKey, int seed, int hours = 2)
    {
        var random = new Random(seed);
        return
        [
            .. from hour in Enumerable.Range(0, hours)
            from tenant in Enumerable.Range(0, 3)
            from deployment in Enumerable.Range(0, 4)
            from n in Enumerable.Range(0, perKey)
            select UsageLedgerTests.Usage(
                $"req_{prefix}_{hour}_{tenant}_{deployment}_{n}", start.AddHours(hour).AddMinutes(random.Next(60)),
                new TokenCounts(random.Next(1, 500), random.Next(1, 500), random.Next(3), random.Next(3)),
                tenant: $"ten_{tenant}", deployment: $"dep_{deployment}"),
        ];
    }

    /// <summary>How many tenant × hour × deployment keys fall in [from, to): every key is written by every record set above.</summary>
    private static int Keys(DateTimeOffset from, DateTimeOffset to) => (int)(to - from).TotalHours * 3 * 4;

    private static long Rows(ReceiptStore store)
    {
        using var connection = store.Database.Open();
        return connection.Scalar(null, "SELECT COUNT(*) FROM usage_hourly");
    }

    private static void AssertTotalsEqualLedger(UsageLedger ledger, IReadOnlyCollection<UsageRecord> written, UsageQuery query)
    {
        var expected = written.Where(u => u.At >= query.From && u.At < query.To)
            .GroupBy(u => (Hour: Hours.Floor(u.At), u.TenantId, u.DeploymentId))
            .ToDictionary(g => g.Key, g => (Requests: (long)g.Count(), Tokens: g.Aggregate(TokenCounts.Zero, (sum, u) => sum + u.Tokens)));
        var hourly = ledger.Hourly(query);
        Assert.Equal(expected.Count, hourly.Count);
        Assert.All(hourly, h => Assert.Equal(expected[(h.Hour, h.TenantId, h.DeploymentId)], (h.Requests, h.Tokens)));
    }
}
