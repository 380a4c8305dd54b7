using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Meridian.Core.Receipts;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Metering;
using Meridian.Gateway.Receipts;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Records;

/// <summary>
/// Writes each request's <see cref="RequestRecord"/> — its receipt, its usage row and its sealed case, if any —
/// to the store of the geography it belongs to, in one transaction, off the request path and in batches. Each geography
/// has its own lane (a bounded channel and the loop that drains it), so a slow or restarting store holds up only its own
/// geography. Lanes apply back-pressure instead of dropping: an accepted record is written, also at shutdown, when every
/// lane drains before the process exits; until then it is readable (<see cref="FindReceipt"/>, <see cref="FindCase"/>),
/// not yet in a log. <see cref="WriteDurablyAsync"/> lets a request wait until its record is committed before its
/// client sees the end. Each batch's receipts become leaves, in their own rows and the same transaction, of this node's
/// receipt log of the geography (<see cref="ReceiptLogWriter"/>), under one signed tree head per batch: that one
/// signature is what authenticates every receipt of the batch (receipts carry no signature of their own).
/// </summary>
internal sealed partial class RecordWriter(
    GeographyStores stores, ReceiptSigner signer, ILogger<RecordWriter> logger, BudgetTracker? budgets = null, NodeIdentity? node = null, TimeProvider? time = null,
    IMeterFactory? meters = null)
    : IHostedService
{
    /// <summary>Records one geography's lane holds before a request waits to add its own.</summary>
    public const int LaneCapacity = 16_384;
    private const int MaxBatch = 512;

    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _laneLock = new();
    private readonly ConcurrentDictionary<string, Entry> _pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private readonly Meter? _meter = meters?.Create(GatewayOptions.TelemetryName);
    private readonly Histogram<double>? _commitDuration = meters?.Create(GatewayOptions.TelemetryName)
        .CreateHistogram<double>("meridian.records.commit.duration", "s", "Time to commit one batch of request records to a geography's store");

    /// <summary>Queues a request's record to be written.</summary>
    public ValueTask EnqueueAsync(RequestRecord record) => Enqueue(record, written: null);

    /// <summary>
    /// Queues a record and completes once it is committed to its geography's store, where it survives the process being
    /// killed. Requests call it before their last byte, so a client that saw a complete answer has its usage in the
    /// ledger. Commits are grouped: concurrent requests share one transaction.
    /// </summary>
    public async Task WriteDurablyAsync(RequestRecord record, CancellationToken cancellationToken)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Enqueue(record, written);
        await written.Task.WaitAsync(cancellationToken);
    }

    private ValueTask Enqueue(RequestRecord record, TaskCompletionSource? written)
    {
        var entry = new Entry(record, written);
        _pending[record.Receipt.RequestId] = entry;
        var lane = LaneFor(record.Receipt.StorageGeography);
        return lane.Queue.Writer.TryWrite(entry) ? ValueTask.CompletedTask : lane.Queue.Writer.WriteAsync(entry, CancellationToken.None);
    }

    /// <summary>
    /// Makes the access-log entries this node has written to <paramref name="geography"/>'s store (with its log's id,
    /// <see cref="LogIdFor"/>) leaves of its receipt log, under a signed tree head, and completes once that is committed.
    /// The entries go through the geography's lane, the log's only writer, so the log never forks. Callers write their
    /// entry first (durable in the chain) and await this before they answer: no content, view or decision is served
    /// before its record is a leaf; should this fail or never complete, the caller does not answer with it.
    /// </summary>
    public async Task LogAccessAsync(string geography, CancellationToken cancellationToken)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = new Entry(null, written);
        var lane = LaneFor(geography);
        if (!lane.Queue.Writer.TryWrite(entry))
        {
            await lane.Queue.Writer.WriteAsync(entry, cancellationToken);
        }

        await written.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The name this node's receipt logs are derived from (<see cref="ReceiptLogId"/>).</summary>
    public string NodeName { get; } = (node ?? NodeIdentity.Default).Name;

    /// <summary>The id of this node's receipt log in <paramref name="geography"/>.</summary>
    public string LogIdFor(string geography) => ReceiptLogId.Of(signer.PublicKey, geography, NodeName);

    /// <summary>Records accepted and not yet taken into a batch, per geography (for health and metrics).</summary>
    public IEnumerable<(string Geography, int Depth)> QueueDepths()
    {
        foreach (var (geography, lane) in _lanes)
        {
            yield return (geography, lane.Queue.Reader.Count);
        }
    }

    /// <summary>A receipt accepted but not yet written (so not yet in a log).</summary>
    public Receipt? FindReceipt(string requestId) => _pending.TryGetValue(requestId, out var entry) ? entry.Receipt : null;

    /// <summary>The case of a request whose record is accepted but not yet written.</summary>
    public CaseRecord? FindCase(string requestId) => _pending.TryGetValue(requestId, out var entry) ? entry.Record?.Case?.Record : null;

    /// <summary>A tenant's receipts accepted but not yet written, created in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public IReadOnlyList<Receipt> PendingFor(string tenantId, DateTimeOffset from, DateTimeOffset to) =>
        [.. _pending.Values.Where(e => e.Receipt.TenantId == tenantId && e.Receipt.CreatedAt >= from && e.Receipt.CreatedAt < to).Select(e => e.Receipt)];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Budgets count this month's spend from the ledger first, then each record a lane adds: never one twice.
        budgets?.EnsureSeeded();
        _meter?.CreateObservableGauge("meridian.records.queue_depth", () => QueueDepths().Select(d => new Measurement<int>(
            d.Depth, new KeyValuePair<string, object?>("meridian.geography", d.Geography))), "{record}", "Request records accepted and waiting to be committed, per geography");
        _started.TrySetResult();
        return Task.CompletedTask;
    }

    /// <summary>Stops taking records and waits until every lane has written what it accepted.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _started.TrySetResult();
        foreach (var lane in _lanes.Values)
        {
            lane.Queue.Writer.TryComplete();
        }

        await Task.WhenAll(_lanes.Values.Select(l => l.Loop));
    }

    private Lane LaneFor(string geography)
    {
        if (_lanes.TryGetValue(geography, out var lane))
        {
            return lane;
        }

        // Under a lock, not GetOrAdd: a lane's loop must start exactly once.
        lock (_laneLock)
        {
            return _lanes.TryGetValue(geography, out lane) ? lane : _lanes[geography] = StartLane(geography);
        }
    }

    private Lane StartLane(string geography)
    {
        var queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(LaneCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        if (_stopping)
        {
            // A record arriving during shutdown still gets a lane, and this lane is drained by the loop below.
            queue.Writer.TryComplete();
        }

        return new Lane(queue, Task.Run(() => DrainAsync(geography, queue.Reader)));
    }

    private async Task DrainAsync(string geography, ChannelReader<Entry> reader)
    {
        var batch = new List<Entry>(MaxBatch);
        ReceiptStore.BatchWriter? connection = null;
        var log = new ReceiptLogWriter(LogIdFor(geography), geography, signer, time ?? TimeProvider.System);
        // The lane's first batch also appends access-log entries a previous run wrote but did not get to append.
        var sweep = true;
        // Records accepted before the host started wait for it (the budgets must be seeded before the first write).
        await _started.Task;
        try
        {
            // Not tied to a stopping token: at shutdown the loop keeps going until the completed channel is empty.
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                while (batch.Count < MaxBatch && reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                }

                connection = await WriteWithRetryAsync(geography, batch, connection, log, sweep || batch.Exists(e => e.Record is null));
                sweep = false;
                foreach (var written in batch)
                {
                    if (written.Record is { } record)
                    {
                        _pending.TryRemove(record.Receipt.RequestId, out _);
                    }

                    written.Written?.TrySetResult();
                }

                batch.Clear();
            }
        }
        finally
        {
            Close(connection);
        }
    }

    /// <summary>Writes one batch in one transaction, retrying on fresh connections until it is stored; returns the connection to reuse.</summary>
    /// <param name="access">Whether to append this node's access-log entries that are not leaves yet.</param>
    private async Task<ReceiptStore.BatchWriter> WriteWithRetryAsync(
        string geography, List<Entry> batch, ReceiptStore.BatchWriter? connection, ReceiptLogWriter log, bool access)
    {
        var records = new List<RequestRecord>(batch.Count);
        foreach (var entry in batch)
        {
            if (entry.Record is { } record)
            {
                records.Add(record);
            }
        }

        var receipts = new Receipt[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            receipts[i] = records[i].Receipt;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // One connection kept open per lane, its statements prepared once.
                var store = stores.For(geography);
                connection ??= store.OpenBatchWriter();
                // The leaves and the one signed tree head of this batch (one Ed25519 signature for all its receipts).
                var append = log.Prepare(store, receipts, access ? store.Cases.Unlogged(log.LogId) : []);
                // Only usage rows that were new come back, so a retried (half-written) batch adds nothing twice to the
                // budgets' running totals; receipts and cases are idempotent by request id.
                // Not inside budgets?.Record(…): a null-conditional call skips evaluating its argument, so a writer without
                // budgets (tests, tools) would acknowledge records it never wrote.
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var inserted = connection.InsertBatch(records, append);
                budgets?.Record(inserted);
                log.Committed();
                _commitDuration?.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("meridian.geography", geography));
                return connection;
            }
            catch (Exception ex) when (attempt < 1000)
            {
                // The commit may have landed before the failure showed: the log reloads its edge from the store.
                log.Failed();
                // The next attempt starts on a fresh connection: the failure may have broken this one (a database restart).
                Close(connection);
                connection = null;
                Log.WriteFailed(logger, batch.Count, geography, attempt, ex);
                TransientStoreFailures.Observed(ex);
                await Task.Delay(TransientStoreFailures.Backoff(attempt), time ?? TimeProvider.System);
            }
        }
    }

    private void Close(ReceiptStore.BatchWriter? connection)
    {
        try
        {
            connection?.Dispose();
        }
        catch (Exception ex)
        {
            // A connection that broke may fail to close as well; the lane must go on writing what was accepted.
            Log.CloseFailed(logger, ex);
        }
    }

    private sealed record Lane(Channel<Entry> Queue, Task Loop);

    /// <summary>One queued record and who waits for it to be committed; no record: a wait for this node's access-log entries to be leaves.</summary>
    private sealed record Entry(RequestRecord? Record, TaskCompletionSource? Written)
    {
        public Receipt Receipt => Record!.Receipt;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Writing {Count} request records to geography {Geography} failed (attempt {Attempt}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, string geography, int attempt, Exception exception);

        [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Closing a geography store connection failed")]
        public static partial void CloseFailed(ILogger logger, Exception exception);
    }
}

/// <summary>
/// This node's name among the nodes that share a receipt key and a store (<c>--node-name</c>, env
/// <c>MERIDIAN_NODE_NAME</c>): its receipt logs are derived from it, so it must be stable across restarts and unique
/// among the nodes of a cluster. Defaults to <c>host:port</c> — nodes on one host listen on different ports — and, for a
/// node on an ephemeral port (0), to the host and a name drawn at start: a new log each start, never one shared.
/// </summary>
internal sealed record NodeIdentity(string Name)
{
    public static NodeIdentity Default { get; } = new(Environment.MachineName);

    public static NodeIdentity For(GatewayOptions options) =>
        !string.IsNullOrWhiteSpace(options.NodeName) ? new(options.NodeName.Trim())
        : options.Port != 0 ? new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Environment.MachineName}:{options.Port}"))
        : new($"{Environment.MachineName}:{Guid.NewGuid():N}");
}
