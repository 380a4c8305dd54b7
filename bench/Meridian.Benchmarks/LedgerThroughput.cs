using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Meridian.Core.Billing;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Records;
using Meridian.Storage.Geography;
using Meridian.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Benchmarks;

/// <summary>
/// A timed console measurement of the usage ledger's write throughput on SQLite (not a BenchmarkDotNet run: the unit of
/// interest is rows per second over a long stream, and each row is written once). Run with
/// <c>dotnet run -c Release --project bench/Meridian.Benchmarks -- ledger [rows]</c>. Three shapes:
/// <list type="number">
/// <item>request records (a receipt row with its usage) per request, batches of 512 (what the writer commits);</item>
/// <item>the background writer end to end: producers enqueue, the writer signs, batches and commits;</item>
/// <item>durable writes: concurrent requests each waiting for their own commit (group commit), with latency.</item>
/// </list>
/// </summary>
internal static class LedgerThroughput
{
    private static readonly DateTimeOffset Start = new(2026, 11, 3, 12, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(string[] args)
    {
        var rows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
        var root = Path.Combine(Path.GetTempPath(), "meridian-ledger-bench-" + Guid.NewGuid().ToString("N"));
        Console.WriteLine($"Usage ledger write throughput, SQLite (WAL, synchronous=NORMAL), {rows:N0} rows per run, {Environment.ProcessorCount} cores");
        try
        {
            var cost = Cost.Start();
            Report("request records (receipt with its usage), 512 per transaction", rows, RecordsOnly(Path.Combine(root, "b"), rows), ref cost);
            Report("RecordWriter end to end (16 producers, logged)", rows, await WriterAsync(Path.Combine(root, "c"), rows), ref cost);
            var (elapsed, latencies) = await DurableAsync(Path.Combine(root, "d"), Math.Min(rows, 50_000), concurrency: 64);
            Report("durable, 64 concurrent requests awaiting commit", latencies.Length, elapsed, ref cost);
            Array.Sort(latencies);
            Console.WriteLine($"    commit latency per request: p50 {latencies[latencies.Length / 2]:0.00} ms, p99 {latencies[(int)(latencies.Length * 0.99)]:0.00} ms");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }

        return 0;
    }

    /// <summary>
    /// Besides wall time (which a shared machine makes noisy), the process's CPU time and the bytes it wrote
    /// (<c>wchar</c> in /proc/self/io: every write and pwrite, WAL included) per row, which load does not change.
    /// </summary>
    private static void Report(string what, int rows, TimeSpan elapsed, ref Cost since)
    {
        var now = Cost.Start();
        Console.WriteLine($"  {what,-52} {rows / elapsed.TotalSeconds,10:N0} rows/s  ({elapsed.TotalSeconds:0.00} s)  " +
            $"CPU {(now.Cpu - since.Cpu).TotalMicroseconds / rows,6:0.0} µs/row  written {(now.Written - since.Written) / (double)rows,8:N0} B/row");
        since = now;
    }

    private readonly record struct Cost(TimeSpan Cpu, long Written)
    {
        public static Cost Start() => new(Process.GetCurrentProcess().TotalProcessorTime, WrittenBytes());

        private static long WrittenBytes()
        {
            const string file = "/proc/self/io";
            var line = File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith("wchar:", StringComparison.Ordinal)) : null;
            return line is null ? 0 : long.Parse(line["wchar:".Length..].Trim(), CultureInfo.InvariantCulture);
        }
    }

    private static TimeSpan RecordsOnly(string directory, int rows)
    {
        var store = new GeographyStores(directory, ["us"]).For("us");
        var clock = Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, rows).Chunk(512))
        {
            store.InsertUsage(batch.Select(Usage));
        }

        return Check(store, rows, clock.Elapsed);
    }

    private static async Task<TimeSpan> WriterAsync(string directory, int rows)
    {
        var stores = new GeographyStores(directory, ["us"]);
        using var signer = new ReceiptSigner(RandomNumberGenerator.GetBytes(32));
        var writer = new RecordWriter(stores, signer, NullLogger<RecordWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, 16, async (producer, ct) =>
        {
            for (var i = producer; i < rows; i += 16)
            {
                var usage = Usage(i);
                await writer.EnqueueAsync(new RequestRecord(TestStores.ReceiptOf(usage), usage, null));
            }
        });
        await writer.StopAsync(CancellationToken.None);
        return Check(stores.For("us"), rows, clock.Elapsed);
    }

    private static async Task<(TimeSpan Elapsed, double[] LatenciesMs)> DurableAsync(string directory, int rows, int concurrency)
    {
        var stores = new GeographyStores(directory, ["us"]);
        using var signer = new ReceiptSigner(RandomNumberGenerator.GetBytes(32));
        var writer = new RecordWriter(stores, signer, NullLogger<RecordWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        var latencies = new double[rows];
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, concurrency, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (producer, ct) =>
        {
            for (var i = producer; i < rows; i += concurrency)
            {
                var usage = Usage(i);
                var started = Stopwatch.GetTimestamp();
                await writer.WriteDurablyAsync(new RequestRecord(TestStores.ReceiptOf(usage), usage, null), ct);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        });
        var elapsed = clock.Elapsed;
        await writer.StopAsync(CancellationToken.None);
        Check(stores.For("us"), rows, elapsed);
        return (elapsed, latencies);
    }

    private static TimeSpan Check(ReceiptStore store, int rows, TimeSpan elapsed) =>
        store.Ledger.Count() == rows ? elapsed : throw new InvalidOperationException($"expected {rows} ledger rows, found {store.Ledger.Count()}");

    private static UsageRecord Usage(int i) => new()
    {
        // Ids as the gateway makes them (Http.RequestIds), so the store's B-trees see production's key order.
        RequestId = Gateway.Http.RequestIds.New("req_"),
        At = Start.AddMilliseconds(i * 7),
        TenantId = "ten_" + (i % 50).ToString(CultureInfo.InvariantCulture),
        KeyId = "key_bench",
        ResourceId = "res_bench",
        DeploymentId = "dep_" + (i % 200).ToString(CultureInfo.InvariantCulture),
        DeploymentName = "deployment-" + (i % 200).ToString(CultureInfo.InvariantCulture),
        OfferId = "off_bench",
        PublisherId = "pub_bench",
        Model = "claude-sonnet-5",
        StorageGeography = "us",
        Tokens = new TokenCounts(400 + (i % 300), 120 + (i % 90), 0, i % 7 == 0 ? 2_048 : 0),
        Source = UsageSource.Backend,
    };
}
