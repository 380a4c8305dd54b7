using Meridian.Gateway.Hosting;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// The memory all request bodies being read or served may hold at once (<see cref="GatewayOptions.BodyBytesInFlight"/>).
/// A body reserves its buffer as the buffer grows and gives it back when the request ends; one that would go past the
/// budget is refused with 529 at once, so many large bodies in parallel cannot grow the heap without bound. Thread-safe.
/// </summary>
internal sealed class BodyMemoryBudget(GatewayOptions options)
{
    private readonly long _limit = Math.Max(1, options.BodyBytesInFlight);
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

        var now = Environment.TickCount64;
        var at = Math.Max(now + (long)CollectAfter.TotalMilliseconds, Interlocked.Read(ref _nextCollectAt));
        Interlocked.Exchange(ref _nextCollectAt, at + (long)CollectEvery.TotalMilliseconds);
        _ = Task.Delay(TimeSpan.FromMilliseconds(at - now)).ContinueWith(
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
