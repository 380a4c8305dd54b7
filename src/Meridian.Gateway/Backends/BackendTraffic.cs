namespace Meridian.Gateway.Backends;

/// <summary>What a backend's traffic counters say at one instant: totals since the node started, and the recent window.</summary>
/// <param name="RecentRequests">Attempts in the last <see cref="BackendTraffic.Window"/> (between 55 and 60 seconds: the current bucket is partial).</param>
public readonly record struct TrafficCounts(long Requests, long Errors, long RecentRequests, long RecentErrors);

/// <summary>
/// Requests and errors of one backend: totals, and a one-minute window of twelve 5-second buckets for the rates the
/// operator's portal shows. Recording is two or three interlocked increments on the request path, with no lock and no
/// allocation; reading sums the buckets. A bucket that a new 5-second slot reuses is reset by the first thread to see
/// the change; a thread that incremented the old slot in between loses that one count, which is harmless for a rate.
/// </summary>
public sealed class BackendTraffic
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private const int Buckets = 12;
    private static readonly long BucketTicks = Window.Ticks / Buckets;

    private readonly long[] _slots = new long[Buckets];
    private readonly long[] _requests = new long[Buckets];
    private readonly long[] _errors = new long[Buckets];
    private long _totalRequests;
    private long _totalErrors;

    /// <summary>One attempt on the backend settled: it answered (<paramref name="error"/> false) or failed.</summary>
    public void Attempted(DateTimeOffset now, bool error)
    {
        var bucket = Bucket(now);
        Interlocked.Increment(ref _totalRequests);
        Interlocked.Increment(ref _requests[bucket]);
        if (error)
        {
            Interlocked.Increment(ref _totalErrors);
            Interlocked.Increment(ref _errors[bucket]);
        }
    }

    /// <summary>An answer already counted as a request broke off after its first event: one more error, no more requests.</summary>
    public void FailedAfterStart(DateTimeOffset now)
    {
        var bucket = Bucket(now);
        Interlocked.Increment(ref _totalErrors);
        Interlocked.Increment(ref _errors[bucket]);
    }

    public TrafficCounts Read(DateTimeOffset now)
    {
        var current = now.UtcTicks / BucketTicks;
        long requests = 0, errors = 0;
        for (var i = 0; i < Buckets; i++)
        {
            var slot = Volatile.Read(ref _slots[i]);
            if (slot > current - Buckets && slot <= current)
            {
                requests += Interlocked.Read(ref _requests[i]);
                errors += Interlocked.Read(ref _errors[i]);
            }
        }

        return new TrafficCounts(Interlocked.Read(ref _totalRequests), Interlocked.Read(ref _totalErrors), requests, errors);
    }

    private int Bucket(DateTimeOffset now)
    {
        var slot = now.UtcTicks / BucketTicks;
        var index = (int)(slot % Buckets);
        var seen = Volatile.Read(ref _slots[index]);

        // Only forward: a caller whose clock reading is a whole window old must not wipe the newer slot's counts.
        if (seen < slot && Interlocked.CompareExchange(ref _slots[index], slot, seen) == seen)
        {
            Interlocked.Exchange(ref _requests[index], 0);
            Interlocked.Exchange(ref _errors[index], 0);
        }

        return index;
    }
}
