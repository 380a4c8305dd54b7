using System.Collections.Concurrent;
using System.Threading.Channels;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Writes new cases to their geography's store off the request path (the pattern of <see cref="Receipts.ReceiptWriter"/>):
/// a bounded channel that applies back-pressure rather than dropping, drained in batches, flushed at shutdown, retried
/// on failure (inserts are idempotent by request id). Snapshots arrive sealed; nothing here sees content.
/// </summary>
public sealed partial class CaseWriter(GeographyStores stores, ILogger<CaseWriter> logger) : BackgroundService
{
    private const int Capacity = 4_096;
    private const int MaxBatch = 128;

    private readonly Channel<(CaseRecord Case, byte[]? Snapshot)> _queue = Channel.CreateBounded<(CaseRecord, byte[]?)>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    private readonly ConcurrentDictionary<string, CaseRecord> _pending = new(StringComparer.Ordinal);

    /// <param name="sealedSnapshot">Null when the deployment keeps no content (retention mode <c>none</c>).</param>
    public ValueTask EnqueueAsync(CaseRecord record, byte[]? sealedSnapshot)
    {
        _pending[record.RequestId] = record;
        return _queue.Writer.TryWrite((record, sealedSnapshot)) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync((record, sealedSnapshot), CancellationToken.None);
    }

    /// <summary>A case accepted but not yet written, by the request it is about.</summary>
    public CaseRecord? FindPending(string requestId) => _pending.GetValueOrDefault(requestId);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(CaseRecord Case, byte[]? Snapshot)>(MaxBatch);
        // Not tied to stoppingToken: at shutdown the loop keeps going until the completed channel is empty.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            await WriteWithRetryAsync(batch);
            foreach (var (record, _) in batch)
            {
                _pending.TryRemove(record.RequestId, out _);
            }

            batch.Clear();
        }
    }

    private async Task WriteWithRetryAsync(List<(CaseRecord Case, byte[]? Snapshot)> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var group in batch.GroupBy(e => e.Case.Geography, StringComparer.OrdinalIgnoreCase))
                {
                    stores.For(group.Key).Cases.InsertBatch([.. group]);
                }

                return;
            }
            catch (Exception ex) when (attempt < 1000)
            {
                Log.WriteFailed(logger, batch.Count, attempt, ex.GetType().Name);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 50 * attempt)));
            }
        }
    }

    private static partial class Log
    {
        // The exception's type only: a message could quote a value.
        [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Writing {Count} Trust & Safety cases failed (attempt {Attempt}, {Error}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, int attempt, string error);
    }
}
