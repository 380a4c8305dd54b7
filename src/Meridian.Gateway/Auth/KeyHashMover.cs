using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Auth;

/// <summary>
/// During a rotation of the key-hash secret, moves each API key found under another secret of the overlap to the current
/// secret, off the request path (docs/scale-out.md, "Rotation"). A move is asked for once per key and node; one that
/// could not be queued or stored is asked for again on the key's next use, and moving is idempotent, so nothing here
/// must be durable. Thread-safe.
/// </summary>
internal sealed partial class KeyHashMover(KeyHashRotation rotation, ILogger<KeyHashMover> logger) : BackgroundService
{
    private readonly Channel<(string From, string To)> _moves =
        Channel.CreateBounded<(string From, string To)>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly ConcurrentDictionary<string, byte> _asked = new(StringComparer.Ordinal);

    /// <summary>Asks for the key stored under <paramref name="from"/> to be stored under <paramref name="to"/>.</summary>
    public void Ask(string from, string to)
    {
        if (_asked.TryAdd(from, 0) && !_moves.Writer.TryWrite((from, to)))
        {
            _asked.TryRemove(from, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (from, to) in _moves.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    TransientStoreFailures.Read(() =>
                    {
                        rotation.MoveKey(from, to);
                        return true;
                    });
                }
                catch (DbException ex)
                {
                    Log.MoveFailed(logger, ex);
                    _asked.TryRemove(from, out _);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a move not made is asked for again on the key's next use after a restart.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Moving an API key's hash to the current key-hash secret failed; it is tried again on the key's next use")]
        public static partial void MoveFailed(ILogger logger, Exception exception);
    }
}
