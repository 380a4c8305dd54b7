using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// The heap all requests being read or served may cost at once (<see cref="GatewayOptions.BodyBytesInFlight"/>). A body
/// reserves its buffer as the buffer grows; once read it is charged what its request costs on the heap
/// (<see cref="HeapBytesPerBodyByte"/> times its bytes) and gives that back when the request ends. One that would go past
/// the budget is refused with 529 at once, so many large bodies in parallel cannot grow the heap without bound.
/// Thread-safe.
/// </summary>
internal sealed class BodyMemoryBudget(GatewayOptions options, TimeProvider? time = null)
{
    /// <summary>
    /// What a request costs on the managed heap per byte of its body while it runs: the body, its text as UTF-16 strings
    /// (two bytes a char), and the parser's and counter's work. Measured as the heap a request grows by from its body
    /// being read to its answer: 7.0–7.3× for prose bodies of 4 and 30 MB (bench/PROFILE.md, "Heap per body"). Those
    /// arrays live on the large-object heap, which only a full collection sweeps, so that growth is what the process
    /// holds. Rounded up.
    /// </summary>
    public const int HeapBytesPerBodyByte = 8;

    /// <summary>What a read body of <paramref name="bodyBytes"/> is charged until its request ends.</summary>
    public static long Charge(long bodyBytes) => bodyBytes * HeapBytesPerBodyByte;

    private readonly long _limit = Math.Max(1, options.BodyBytesInFlight);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _inFlight;

    /// <summary>Bytes held by bodies now.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    public long Limit => _limit;

    public bool TryReserve(long bytes)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _inFlight);
            if (current + bytes > _limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, current + bytes, current) == current)
            {
                return true;
            }
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _inFlight, -bytes);

    /// <summary>Bodies of at least this size are large: the heap they leave behind is given back when the last one ends.</summary>
    public const int LargeBodyBytes = 4 * 1024 * 1024;

    /// <summary>A moment after the last large body ends: the request that read it holds its parsed text until its handler returns.</summary>
    private static readonly TimeSpan CollectAfter = TimeSpan.FromSeconds(1);

    /// <summary>The least time between two of these collections, so a steady stream of large requests does not pause the node after each.</summary>
    private static readonly TimeSpan CollectEvery = TimeSpan.FromSeconds(10);

    private int _large;
    private long _nextCollectAt;

    /// <summary>A large body was read; every call is matched by one <see cref="LargeBodyEnded"/>.</summary>
    public void LargeBodyStarted() => Interlocked.Increment(ref _large);

    /// <summary>
    /// When the last large body in flight ends, gives the heap it leaves behind back to the system: a large request
    /// leaves hundreds of MB of dead strings and buffers, and the collector keeps the memory of a heap it has swept
    /// committed. Six parallel 30 MB requests left the process at 1.35 GB a minute later (0.31 GB before them); with this
    /// one aggressive (decommitting) full collection, 0.50 GB (bench/PROFILE.md, "Memory after large requests").
    /// </summary>
    public void LargeBodyEnded()
    {
        if (Interlocked.Decrement(ref _large) != 0)
        {
            return;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var at = Math.Max(now + (long)CollectAfter.TotalMilliseconds, Interlocked.Read(ref _nextCollectAt));
        Interlocked.Exchange(ref _nextCollectAt, at + (long)CollectEvery.TotalMilliseconds);
        _ = Task.Delay(TimeSpan.FromMilliseconds(at - now), _time).ContinueWith(
            _ =>
            {
                if (Volatile.Read(ref _large) == 0)
                {
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                }
            },
            TaskScheduler.Default);
    }
}
