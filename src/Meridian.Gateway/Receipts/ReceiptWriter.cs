using System.Collections.Concurrent;
using System.Threading.Channels;
using Meridian.Core.Billing;
using Meridian.Core.Receipts;
using Meridian.Gateway.Metering;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// Signs receipts and writes them to their geography's store off the request path, in batches. The channel is bounded
/// and applies back-pressure instead of dropping: a receipt that was accepted is written, also at shutdown, when
/// the writer drains what is queued before the process exits. Until written, a receipt is still readable, and signed
/// when read (Ed25519 is deterministic, so signing it then and again in the writer gives the same signature).
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

    private readonly ConcurrentDictionary<string, Entry> _pending = new(StringComparer.Ordinal);

    // Used by the writer's loop only: one open connection per geography, its statements prepared once.
    private readonly Dictionary<string, ReceiptStore.BatchWriter> _connections = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Queues the receipt to be signed (<see cref="ReceiptSigner"/>) and written to its geography's store.</summary>
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
        // Signing (canonical bytes + Ed25519, ≈ 25 µs) happens in the writer's loop, not on the request's thread.
        var entry = new Entry(receipt, usage, written);
        _pending[receipt.RequestId] = entry;
        return _queue.Writer.TryWrite(entry) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(entry, cancellationToken);
    }

    /// <summary>A receipt accepted but not yet written, signed.</summary>
    public Receipt? FindPending(string requestId) => _pending.TryGetValue(requestId, out var entry) ? entry.Signed(signer) : null;

    /// <summary>A tenant's receipts accepted but not yet written, created in [<paramref name="from"/>, <paramref name="to"/>), signed.</summary>
    public IReadOnlyList<Receipt> PendingFor(string tenantId, DateTimeOffset from, DateTimeOffset to) =>
        [.. _pending.Values.Where(e => e.Receipt.TenantId == tenantId && e.Receipt.CreatedAt >= from && e.Receipt.CreatedAt < to).Select(e => e.Signed(signer))];

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
        try
        {
            // Not tied to stoppingToken: at shutdown the loop keeps going until the completed channel is empty.
            while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var entry))
                {
                    entry.Signed(signer);
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
        finally
        {
            CloseConnections();
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
                    var written = ConnectionFor(group.Key).InsertBatch(
                        [.. group.Select(e => e.Signed(signer))], [.. group.Select(e => e.Usage).OfType<UsageRecord>()]);
                    budgets?.Record(written);
                }

                return;
            }
            catch (Exception ex) when (attempt < 1000)
            {
                // The next attempt starts on fresh connections: the failure may have broken one (a database restart).
                CloseConnections();
                // Inserts are idempotent by request id, so retrying a half-written batch never doubles a receipt.
                Log.WriteFailed(logger, batch.Count, attempt, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 50 * attempt)));
            }
        }
    }

    private ReceiptStore.BatchWriter ConnectionFor(string geography)
    {
        if (!_connections.TryGetValue(geography, out var connection))
        {
            connection = stores.For(geography).OpenBatchWriter();
            _connections.Add(geography, connection);
        }

        return connection;
    }

    private void CloseConnections()
    {
        foreach (var connection in _connections.Values)
        {
            try
            {
                connection.Dispose();
            }
            catch (Exception ex)
            {
                // A connection that broke may fail to close as well; the loop must go on writing what was accepted.
                Log.CloseFailed(logger, ex);
            }
        }

        _connections.Clear();
    }

    /// <summary>One queued receipt (unsigned), the usage record that goes with it, and who waits for it to be committed.</summary>
    private sealed class Entry(Receipt receipt, UsageRecord? usage, TaskCompletionSource? written)
    {
        private Receipt? _signed;

        public Receipt Receipt { get; } = receipt;

        public UsageRecord? Usage { get; } = usage;

        public TaskCompletionSource? Written { get; } = written;

        /// <summary>The receipt with its signature, made once; thread-safe (a reader and the writer may race, to the same bytes).</summary>
        public Receipt Signed(ReceiptSigner signer)
        {
            if (Volatile.Read(ref _signed) is { } signed)
            {
                return signed;
            }

            Interlocked.CompareExchange(ref _signed, signer.Sign(Receipt), null);
            return _signed!;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Writing {Count} receipts failed (attempt {Attempt}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, int attempt, Exception exception);

        [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Closing a receipt store connection failed")]
        public static partial void CloseFailed(ILogger logger, Exception exception);
    }
}
