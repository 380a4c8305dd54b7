using System.Collections.Concurrent;
using System.Threading.Channels;
using Meridian.Core.Billing;
using Meridian.Core.Receipts;
using Meridian.Gateway.Metering;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// Writes receipts to their geography's store off the request path, in batches. The channel is bounded and
/// applies back-pressure instead of dropping: a receipt that was accepted is written, also at shutdown, when
/// the writer drains what is queued before the process exits. Until written, a receipt is still readable.
/// A request's usage record travels with its receipt and is written in the same transaction (the usage ledger);
/// <see cref="WriteDurablyAsync"/> lets a request wait until both are committed before its client sees the end.
/// </summary>
public sealed partial class ReceiptWriter(GeographyStores stores, ReceiptSigner signer, ILogger<ReceiptWriter> logger, BudgetTracker? budgets = null) : BackgroundService
{
    private const int Capacity = 16_384;
    private const int MaxBatch = 512;

    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    private readonly ConcurrentDictionary<string, Receipt> _pending = new(StringComparer.Ordinal);

    /// <summary>Signs the receipt (<see cref="ReceiptSigner"/>) and queues it for its geography's store.</summary>
    public ValueTask EnqueueAsync(Receipt receipt, CancellationToken cancellationToken) => EnqueueAsync(receipt, null, cancellationToken);

    /// <summary>Queues a receipt and the request's usage record (if it used anything) to be written together.</summary>
    public ValueTask EnqueueAsync(Receipt receipt, UsageRecord? usage, CancellationToken cancellationToken) =>
        Enqueue(receipt, usage, written: null, cancellationToken);

    /// <summary>
    /// Queues a receipt and usage record and completes once both are committed to the geography's store, where they
    /// survive the process being killed. Requests call it before their last byte, so a client that saw a complete
    /// answer has its usage in the ledger. Commits are grouped: concurrent requests share one transaction.
    /// </summary>
    public async Task WriteDurablyAsync(Receipt receipt, UsageRecord? usage, CancellationToken cancellationToken)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Enqueue(receipt, usage, written, CancellationToken.None);
        await written.Task.WaitAsync(cancellationToken);
    }

    private ValueTask Enqueue(Receipt receipt, UsageRecord? usage, TaskCompletionSource? written, CancellationToken cancellationToken)
    {
        receipt = signer.Sign(receipt);
        _pending[receipt.RequestId] = receipt;
        var entry = new Entry(receipt, usage, written);
        return _queue.Writer.TryWrite(entry) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(entry, cancellationToken);
    }

    public Receipt? FindPending(string requestId) => _pending.GetValueOrDefault(requestId);

    /// <summary>A tenant's receipts accepted but not yet written, created in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public IReadOnlyList<Receipt> PendingFor(string tenantId, DateTimeOffset from, DateTimeOffset to) =>
        [.. _pending.Values.Where(r => r.TenantId == tenantId && r.CreatedAt >= from && r.CreatedAt < to)];

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Budgets count this month's spend from the ledger first, then each record this writer adds: never one twice.
        budgets?.EnsureSeeded();
        var batch = new List<Entry>(MaxBatch);
        // Not tied to stoppingToken: at shutdown the loop keeps going until the completed channel is empty.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            await WriteWithRetryAsync(batch);
            foreach (var written in batch)
            {
                _pending.TryRemove(written.Receipt.RequestId, out _);
                written.Written?.TrySetResult();
            }

            batch.Clear();
        }
    }

    private async Task WriteWithRetryAsync(List<Entry> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var group in batch.GroupBy(e => e.Receipt.StorageGeography, StringComparer.OrdinalIgnoreCase))
                {
                    // One transaction per geography: receipts and usage commit together. Only rows that were new come
                    // back, so a retried (half-written) batch adds nothing twice to the budgets' running totals.
                    var written = stores.For(group.Key).InsertBatch(
                        [.. group.Select(e => e.Receipt)], [.. group.Select(e => e.Usage).OfType<UsageRecord>()]);
                    budgets?.Record(written);
                }

                return;
            }
            catch (Exception ex) when (attempt < 1000)
            {
                // Inserts are idempotent by request id, so retrying a half-written batch never doubles a receipt.
                Log.WriteFailed(logger, batch.Count, attempt, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 50 * attempt)));
            }
        }
    }

    /// <summary>One queued receipt, the usage record that goes with it, and who waits for it to be committed.</summary>
    private sealed record Entry(Receipt Receipt, UsageRecord? Usage, TaskCompletionSource? Written);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Writing {Count} receipts failed (attempt {Attempt}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, int attempt, Exception exception);
    }
}
