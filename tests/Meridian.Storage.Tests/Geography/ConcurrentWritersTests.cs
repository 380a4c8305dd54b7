using System.Collections.Concurrent;
using Meridian.Core.Billing;
using Meridian.Storage.Geography;

namespace Meridian.Storage.Tests.Geography;

/// <summary>
/// Two nodes' record writers on one geography store (on PostgreSQL: two connection pools on one schema, as two gateway
/// processes have), each committing batches over many tenants and deployments at once, every batch meeting the keys
/// in its own order. Issue 22: with one hourly row per tenant × hour × deployment × model both nodes upserted the same
/// rows in opposite orders and PostgreSQL answered <c>deadlock detected</c>.
/// </summary>
public sealed class ConcurrentWritersTests : IDisposable
{
    private const int Nodes = 2;
    private const int BatchesPerNode = 40;
    private const int BatchSize = 96;
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 14, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-writers-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        TestStores.DeleteDataDirectory(_directory);
    }

    [Fact]
    public async Task Two_nodes_writing_many_deployments_at_once_never_deadlock_and_the_hourly_totals_equal_the_ledger()
    {
        var nodes = Enumerable.Range(0, Nodes).Select(_ => TestStores.Geographies(_directory, "us")).ToList();
        try
        {
            var failures = new ConcurrentBag<Exception>();
            var written = new ConcurrentBag<UsageRecord>();
            using var start = new Barrier(Nodes);
            var writers = nodes.Select((stores, node) => Task.Factory.StartNew(() =>
            {
                var random = new Random(node + 1);
                using var writer = stores.For("us").OpenBatchWriter();
                start.SignalAndWait(TestContext.Current.CancellationToken);
                for (var batch = 0; batch < BatchesPerNode; batch++)
                {
                    // 6 tenants × 24 deployments, two hours: each batch touches tens of the same keys as the other node's.
                    var usage = Enumerable.Range(0, BatchSize).Select(i => UsageLedgerTests.Usage(
                            $"req_{node}_{batch}_{i}",
                            T0.AddMinutes(random.Next(120)),
                            new TokenCounts(random.Next(1, 500), random.Next(1, 500), random.Next(3), random.Next(3)),
                            tenant: $"ten_{random.Next(6)}",
                            deployment: $"dep_{random.Next(24):D2}"))
                        .ToList();
                    try
                    {
                        writer.InsertBatch([.. usage.Select(u => new RequestRecord(TestStores.ReceiptOf(u), u, null))]);
                        foreach (var u in usage)
                        {
                            written.Add(u);
                        }
                    }
                    catch (Exception ex)
                    {
                        failures.Add(ex);
                        return;
                    }
                }
            }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
            await Task.WhenAll(writers);

            Assert.Empty(failures.Select(f => f.Message));
            Assert.Equal(Nodes * BatchesPerNode * BatchSize, written.Count);

            // Any node reads the totals of both: the per-writer partials summed.
            var ledger = nodes[0].For("us").Ledger;
            Assert.Equal(written.Count, ledger.Count());
            var query = new UsageQuery(T0.AddHours(-1), T0.AddHours(3));
            var hourly = ledger.Hourly(query);
            var expected = written
                .GroupBy(u => (Hour: Hours.Floor(u.At), u.TenantId, u.DeploymentId))
                .ToDictionary(g => g.Key, g => (Requests: (long)g.Count(), Tokens: g.Aggregate(TokenCounts.Zero, (sum, u) => sum + u.Tokens)));
            Assert.Equal(expected.Count, hourly.Count);
            foreach (var h in hourly)
            {
                Assert.Equal(expected[(h.Hour, h.TenantId, h.DeploymentId)], (h.Requests, h.Tokens));
            }

            // Sums over spans that cut hours read ledger rows at the ends and the partials in between: exact as well.
            var cut = new UsageQuery(T0.AddMinutes(17), T0.AddMinutes(103));
            var inCut = written.Where(u => u.At >= cut.From && u.At < cut.To).ToList();
            var sums = ledger.Sum(cut);
            Assert.Equal(inCut.Count, sums.Sum(s => s.Requests));
            Assert.Equal(inCut.Sum(u => u.Tokens.Input), sums.Sum(s => s.Tokens.Input));
            Assert.Equal(inCut.Sum(u => u.Tokens.Output), sums.Sum(s => s.Tokens.Output));
        }
        finally
        {
            foreach (var stores in nodes)
            {
                stores.Dispose();
            }
        }
    }
}
