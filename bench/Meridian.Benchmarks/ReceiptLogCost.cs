using System.Diagnostics;
using System.Globalization;
using Meridian.Core.Receipts;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Geography;
using Microsoft.Data.Sqlite;

namespace Meridian.Benchmarks;

/// <summary>
/// What the receipt log adds to a batch commit (a stopwatch measurement, not a BenchmarkDotNet run: a commit is a
/// file-system event). Run with <c>dotnet run -c Release --project bench/Meridian.Benchmarks -- receipt-log [batches]</c>.
/// For batches of 1, 16 and 512 receipts, on one SQLite store: the log's CPU work alone (leaf hashes, frontier, root,
/// one tree-head signature) next to what receipts cost before it (one Ed25519 signature each), and the commit with and
/// without the log (leaf columns in each receipt's row, one head row per batch) — per batch and per receipt.
/// </summary>
internal static class ReceiptLogCost
{
    public static int Run(string[] args)
    {
        var batches = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400;
        var root = Path.Combine(Path.GetTempPath(), "meridian-receipt-log-bench-" + Guid.NewGuid().ToString("N"));
        using var signer = new ReceiptSigner(new byte[32]);
        Console.WriteLine($"Receipt log cost per batch, SQLite, {batches} batches per shape, {Environment.ProcessorCount} cores");
        try
        {
            foreach (var size in new[] { 1, 16, 512 })
            {
                var count = Math.Max(4, batches * 16 / Math.Max(16, size));
                var receipts = Enumerable.Range(0, count).Select(b => Enumerable.Range(0, size).Select(i => Receipt($"{size}_{b}_{i}")).ToArray()).ToArray();

                // The log's CPU work alone (no store): what the lane adds before its commit.
                var log = new ReceiptLogWriter("rl_bench", "us", signer, TimeProvider.System);
                {
                    var empty = new ReceiptStore("us", Path.Combine(root, $"cpu-{size}.db"));
                    log.Prepare(empty, receipts[0]);
                    log.Committed();
                    var cpu = Stopwatch.StartNew();
                    for (var b = 1; b < count; b++)
                    {
                        log.Prepare(empty, receipts[b]);
                        log.Committed();
                    }

                    Report(size, "log CPU (leaf hashes + frontier + root + 1 signature)", cpu.Elapsed, count - 1);
                }

                Report(size, "a signature per receipt instead (before the log)", SignEach(receipts, signer), count);

                Report(size, "commit without the log", Commit(Path.Combine(root, $"plain-{size}.db"), receipts, null), count);
                Report(size, "commit with the log (leaf columns + signed head)", Commit(Path.Combine(root, $"log-{size}.db"), receipts, signer), count);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }

        return 0;
    }

    private static TimeSpan Commit(string path, Receipt[][] batches, ReceiptSigner? signer)
    {
        var store = new ReceiptStore("us", path);
        var log = signer is null ? null : new ReceiptLogWriter("rl_bench", "us", signer, TimeProvider.System);
        using var writer = store.OpenBatchWriter();
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            writer.InsertBatch([.. batch.Select(r => new RequestRecord(r, null, null))], log?.Prepare(store, batch));
            log?.Committed();
        }

        return clock.Elapsed;
    }

    private static TimeSpan SignEach(Receipt[][] batches, ReceiptSigner signer)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(2048);
        using var json = new System.Text.Json.Utf8JsonWriter(output, new System.Text.Json.JsonWriterOptions { SkipValidation = true });
        var clock = Stopwatch.StartNew();
        foreach (var receipt in batches.SelectMany(b => b))
        {
            output.ResetWrittenCount();
            json.Reset(output);
            ReceiptCanonicalJson.Write(json, receipt);
            json.Flush();
            signer.SignData(output.WrittenSpan);
        }

        return clock.Elapsed;
    }

    private static void Report(int size, string what, TimeSpan elapsed, int batches) =>
        Console.WriteLine($"  batch {size,3}: {what,-56} {elapsed.TotalMicroseconds / batches,9:N1} µs/batch  {elapsed.TotalMicroseconds / batches / size,8:N2} µs/receipt");

    private static Receipt Receipt(string id) => new()
    {
        RequestId = "req_" + id,
        CreatedAt = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero),
        TenantId = "ten_bench",
        KeyId = "key_bench",
        DeploymentName = "claude-sonnet-5",
        IngressRegion = "eastus",
        ProcessingRegion = "eastus",
        StorageGeography = "us",
        Endpoint = "messages",
        Status = 200,
        InputTokens = 1200,
        OutputTokens = 300,
    };
}
