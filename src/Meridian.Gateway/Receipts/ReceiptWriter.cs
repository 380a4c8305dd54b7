using System.Collections.Concurrent;
using System.Threading.Channels;
using Meridian.Core.Receipts;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// Writes receipts to their geography's store off the request path, in batches. The channel is bounded and
/// applies back-pressure instead of dropping: a receipt that was accepted is written, also at shutdown, when
/// the writer drains what is queued before the process exits. Until written, a receipt is still readable.
/// </summary>
public sealed partial class ReceiptWriter(GeographyStores stores, ILogger<ReceiptWriter> logger) : BackgroundService
{
    private const int Capacity = 16_384;
    private const int MaxBatch = 512;

    private readonly Channel<Receipt> _queue = Channel.CreateBounded<Receipt>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    private readonly ConcurrentDictionary<string, Receipt> _pending = new(StringComparer.Ordinal);

    public ValueTask EnqueueAsync(Receipt receipt, CancellationToken cancellationToken)
    {
        _pending[receipt.RequestId] = receipt;
        return _queue.Writer.TryWrite(receipt) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(receipt, cancellationToken);
    }

    public Receipt? FindPending(string requestId) => _pending.GetValueOrDefault(requestId);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Receipt>(MaxBatch);
        // Not tied to stoppingToken: at shutdown the loop keeps going until the completed channel is empty.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var receipt))
            {
                batch.Add(receipt);
            }

            await WriteWithRetryAsync(batch);
            foreach (var written in batch)
            {
                _pending.TryRemove(written.RequestId, out _);
            }

            batch.Clear();
        }
    }

    private async Task WriteWithRetryAsync(List<Receipt> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var group in batch.GroupBy(r => r.StorageGeography, StringComparer.OrdinalIgnoreCase))
                {
                    stores.For(group.Key).InsertBatch([.. group]);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Writing {Count} receipts failed (attempt {Attempt}); retrying")]
        public static partial void WriteFailed(ILogger logger, int count, int attempt, Exception exception);
    }
}
