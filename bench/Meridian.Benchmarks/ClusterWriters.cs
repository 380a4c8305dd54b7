using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Meridian.Core.Billing;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Records;
using Meridian.Storage;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
using Meridian.Testing;
using Microsoft.Extensions.Logging;

namespace Meridian.Benchmarks;

/// <summary>
/// The write path of several nodes on one PostgreSQL geography store (issue 22): each "node" is what a gateway process
/// has — its own connection pool and its own <see cref="RecordWriter"/> lane — fed by concurrent requests that each wait
/// for their record to be durable, as requests do before their last byte. Many tenants and deployments. Reports
/// throughput, p99 commit latency and deadlocks (<c>40P01</c> in the writer's retried failures) for one node and for
/// N nodes, each with the hourly aggregates shared by all writers (the layout before issue 22, in the global key order)
/// and per writer (the layout now). Run:
/// <c>./build.sh services -- dotnet run -c Release --project bench/Meridian.Benchmarks -- cluster-writers [SECONDS] [NODES] [CONCURRENCY]</c>.
/// The data plane's other costs (proxying, Redis quotas) are not in it: bench/cluster.sh measures those through real nodes.
/// </summary>
internal static class ClusterWriters
{
    private const int Tenants = 40;
    private const int Deployments = 120;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var nodes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var concurrency = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 32;
        var postgres = Environment.GetEnvironmentVariable("MERIDIAN_TEST_POSTGRES")
            ?? throw new InvalidOperationException("cluster-writers needs MERIDIAN_TEST_POSTGRES (run it through ./build.sh services --)");
        Console.WriteLine($"Durable request records on PostgreSQL, {Tenants} tenants × {Deployments} deployments, {concurrency} concurrent requests per node, " +
            $"{seconds} s per run, {Environment.ProcessorCount} cores");
        var results = new List<string>();
        // A short run first, not reported: JIT and the server's caches would otherwise count against the first layout.
        await RunOnceAsync(postgres, 1, concurrency, TimeSpan.FromSeconds(2), sharedRows: false);
        foreach (var (label, count, shared) in new[] { ("1 node", 1, false), ($"{nodes} nodes, shared hourly rows", nodes, true), ($"{nodes} nodes, per-writer rows", nodes, false) })
        {
            var result = await RunOnceAsync(postgres, count, concurrency, TimeSpan.FromSeconds(seconds), shared);
            Console.WriteLine($"  {label,-34} {result.Rps,9:N0} req/s  p50 {result.P50,7:0.0} ms  p99 {result.P99,8:0.0} ms  deadlocks {result.Deadlocks}  " +
                $"hourly = ledger: {result.Reconciled}");
            results.Add(string.Create(CultureInfo.InvariantCulture,
                $"{{\"run\":\"{label}\",\"nodes\":{count},\"rps\":{result.Rps:0.0},\"p50_ms\":{result.P50:0.00},\"p99_ms\":{result.P99:0.00},\"deadlocks\":{result.Deadlocks},\"reconciled\":{(result.Reconciled ? "true" : "false")}}}"));
        }

        Directory.CreateDirectory("bench/results");
        await File.WriteAllTextAsync("bench/results/cluster-writers.json", "[" + string.Join(",\n ", results) + "]\n");
        return 0;
    }

    private sealed record Result(double Rps, double P50, double P99, int Deadlocks, bool Reconciled);

    private static async Task<Result> RunOnceAsync(string postgres, int nodeCount, int concurrency, TimeSpan duration, bool sharedRows)
    {
        var prefix = "cw" + RandomNumberGenerator.GetHexString(8, lowercase: true);
        var deadlocks = new DeadlockCounter();
        var nodes = new List<(GeographyStores Stores, RecordWriter Writer, ReceiptSigner Signer)>();
        for (var n = 0; n < nodeCount; n++)
        {
            var stores = new GeographyStores(new StorageSettings
            {
                Engine = StoreEngine.Postgres,
                DataDirectory = Path.GetTempPath(),
                Postgres = postgres,
                SchemaPrefix = prefix,
                // Before issue 22 every node added to the same hourly row: one writer id for all of them.
                LedgerWriterId = sharedRows ? "shared" : null,
            }, ["us"]);
            var signer = new ReceiptSigner(RandomNumberGenerator.GetBytes(32));
            var writer = new RecordWriter(stores, signer, deadlocks);
            await writer.StartAsync(CancellationToken.None);
            nodes.Add((stores, writer, signer));
        }

        var latencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, nodeCount * concurrency, new ParallelOptions { MaxDegreeOfParallelism = nodeCount * concurrency }, async (client, ct) =>
        {
            var random = new Random(client);
            var writer = nodes[client % nodeCount].Writer;
            while (clock.Elapsed < duration)
            {
                var usage = Usage(random);
                var started = Stopwatch.GetTimestamp();
                await writer.WriteDurablyAsync(new RequestRecord(TestStores.ReceiptOf(usage), usage, null), ct);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
        var elapsed = clock.Elapsed;
        foreach (var (stores, writer, signer) in nodes)
        {
            await writer.StopAsync(CancellationToken.None);
        }

        var ledger = nodes[0].Stores.For("us").Ledger;
        var hourly = ledger.Hourly(new UsageQuery(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1))).Sum(h => h.Requests);
        var rows = ledger.Count();
        var reconciled = rows == latencies.Count && hourly == latencies.Count;
        if (!reconciled)
        {
            Console.WriteLine($"    answered {latencies.Count}, ledger rows {rows}, hourly requests {hourly}");
        }

        foreach (var (stores, _, signer) in nodes)
        {
            stores.Dispose();
            signer.Dispose();
        }

        var sorted = latencies.Order().ToArray();
        return new Result(sorted.Length / elapsed.TotalSeconds, sorted[sorted.Length / 2], sorted[(int)(sorted.Length * 0.99)], deadlocks.Count, reconciled);
    }

    private static UsageRecord Usage(Random random)
    {
        var deployment = random.Next(Deployments);
        return new()
        {
            RequestId = Gateway.Http.RequestIds.New("req_"),
            At = DateTimeOffset.UtcNow,
            TenantId = "ten_" + (deployment % Tenants).ToString(CultureInfo.InvariantCulture),
            KeyId = "key_bench",
            ResourceId = "res_bench",
            DeploymentId = "dep_" + deployment.ToString(CultureInfo.InvariantCulture),
            DeploymentName = "deployment-" + deployment.ToString(CultureInfo.InvariantCulture),
            OfferId = "off_bench",
            PublisherId = "pub_bench",
            Model = "claude-sonnet-5",
            StorageGeography = "us",
            Tokens = new TokenCounts(400 + random.Next(300), 120 + random.Next(90), 0, 0),
            Source = UsageSource.Backend,
        };
    }


    /// <summary>Counts the writer's failed batches that PostgreSQL refused with <c>40P01 deadlock detected</c>.</summary>
    private sealed class DeadlockCounter : ILogger<RecordWriter>
    {
        private int _count;

        public int Count => _count;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception?.Message.Contains("deadlock detected", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref _count);
            }
        }
    }
}
