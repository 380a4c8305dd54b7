using System.Collections.Concurrent;

namespace Meridian.Gateway.Metering;

/// <summary>
/// <see cref="IQuotaCounter"/> in this node's memory: correct for one node; several nodes each enforce the whole
/// limit unless they share <see cref="Cluster.RedisQuotaCounter"/> (which also falls back to this one). A reservation locks its buckets in one global order (ordinal
/// by name), so concurrent reservations never deadlock and never see a half-debited set.
/// </summary>
internal sealed class InMemoryQuotaCounter : IQuotaCounter
{
    /// <summary>A bucket idle this long has refilled completely: dropping it changes nothing.</summary>
    private static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(2);

    // Keyed by pool and bucket name as a pair: a reservation looks up its buckets without building a name for each.
    private readonly ConcurrentDictionary<(string Pool, string Bucket), Bucket> _buckets = new();
    private long _calls;

    /// <summary>Buckets currently held (for tests and metrics).</summary>
    public int Count => _buckets.Count;

    public ValueTask<QuotaResult> TryReserveAsync(string pool, IReadOnlyList<QuotaDemand> demands, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if ((Interlocked.Increment(ref _calls) & 4095) == 0)
        {
            Sweep(now);
        }

        return ValueTask.FromResult(Locked(pool, demands, now, reserve: true));
    }

    public ValueTask AdjustAsync(string pool, IReadOnlyList<QuotaDemand> corrections, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Locked(pool, corrections, now, reserve: false);
        return ValueTask.CompletedTask;
    }

    /// <summary>Drops buckets that have been idle long enough to be full again.</summary>
    public void Sweep(DateTimeOffset now)
    {
        foreach (var (name, bucket) in _buckets)
        {
            lock (bucket)
            {
                if (now - bucket.Updated > IdleAfter && bucket.Refilled(now) >= bucket.Limit && _buckets.TryRemove(new KeyValuePair<(string, string), Bucket>(name, bucket)))
                {
                    bucket.Removed = true;
                }
            }
        }
    }

    private QuotaResult Locked(string pool, IReadOnlyList<QuotaDemand> demands, DateTimeOffset now, bool reserve)
    {
        while (true)
        {
            var buckets = new Bucket[demands.Count];
            for (var i = 0; i < demands.Count; i++)
            {
                var demand = demands[i];
                buckets[i] = _buckets.GetOrAdd((pool, demand.Bucket), static (_, state) => new Bucket(state.Limit, state.Now), (Limit: demand.LimitPerMinute, Now: now));
            }

            var order = new int[demands.Count];
            var names = new string[demands.Count];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
                names[i] = demands[i].Bucket;
            }

            Array.Sort(names, order, StringComparer.Ordinal);
            var taken = 0;
            try
            {
                foreach (var i in order)
                {
                    Monitor.Enter(buckets[i]);
                    taken++;
                }

                // A bucket swept away between lookup and lock: look it up again, so no debit lands on a dropped object.
                if (buckets.Any(b => b.Removed))
                {
                    continue;
                }

                return reserve ? Reserve(demands, buckets, now) : Adjust(demands, buckets, now);
            }
            finally
            {
                for (var k = 0; k < taken; k++)
                {
                    Monitor.Exit(buckets[order[k]]);
                }
            }
        }
    }

    private static QuotaResult Reserve(IReadOnlyList<QuotaDemand> demands, Bucket[] buckets, DateTimeOffset now)
    {
        var refused = -1;
        var retryAfter = TimeSpan.Zero;
        for (var i = 0; i < demands.Count; i++)
        {
            var bucket = buckets[i];
            bucket.Refill(demands[i].LimitPerMinute, now);
            if (refused < 0 && bucket.Tokens < demands[i].Amount)
            {
                refused = i;
                retryAfter = TimeSpan.FromSeconds((demands[i].Amount - bucket.Tokens) / bucket.PerSecond);
            }
        }

        if (refused < 0)
        {
            for (var i = 0; i < demands.Count; i++)
            {
                buckets[i].Tokens -= demands[i].Amount;
            }
        }

        return new QuotaResult(refused < 0, refused, retryAfter, States(buckets, now));
    }

    private static QuotaResult Adjust(IReadOnlyList<QuotaDemand> corrections, Bucket[] buckets, DateTimeOffset now)
    {
        for (var i = 0; i < corrections.Count; i++)
        {
            var bucket = buckets[i];
            bucket.Refill(corrections[i].LimitPerMinute, now);
            bucket.Tokens = Math.Min(bucket.Limit, bucket.Tokens - corrections[i].Amount);
        }

        return new QuotaResult(true, -1, TimeSpan.Zero, States(buckets, now));
    }

    private static BucketState[] States(Bucket[] buckets, DateTimeOffset now)
    {
        var states = new BucketState[buckets.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            states[i] = buckets[i].State(now);
        }

        return states;
    }

    /// <summary>One token bucket; guarded by its own monitor.</summary>
    private sealed class Bucket(long limit, DateTimeOffset now)
    {
        public long Limit { get; private set; } = limit;

        /// <summary>May be below zero after a settlement took more than was reserved (a debt the refill pays off).</summary>
        public double Tokens { get; set; } = limit;

        public DateTimeOffset Updated { get; private set; } = now;

        public bool Removed { get; set; }

        public double PerSecond => Limit / 60.0;

        public double Refilled(DateTimeOffset now) =>
            now > Updated ? Math.Min(Limit, Tokens + (now - Updated).TotalSeconds * PerSecond) : Tokens;

        /// <summary>Brings the bucket to <paramref name="now"/>, under a possibly changed limit.</summary>
        public void Refill(long limit, DateTimeOffset now)
        {
            if (limit != Limit)
            {
                // A raised limit adds the difference at once; a lowered one caps what is held.
                Tokens = Math.Min(limit, Tokens + Math.Max(0, limit - Limit));
                Limit = limit;
            }

            Tokens = Refilled(now);
            if (now > Updated)
            {
                Updated = now;
            }
        }

        public BucketState State(DateTimeOffset now)
        {
            var missing = Limit - Tokens;
            var reset = missing <= 0 ? now : now + TimeSpan.FromSeconds(missing / PerSecond);
            return new BucketState(Limit, (long)Math.Max(0, Math.Floor(Tokens)), reset);
        }
    }
}
