using Meridian.Gateway.Configuration;
using Meridian.Gateway.Metering;
using StackExchange.Redis;

namespace Meridian.Gateway.Cluster;

/// <summary>
/// <see cref="IQuotaCounter"/> shared by every node of a cluster: the token buckets live in Redis and one Lua script
/// refills, checks and debits all of a request's buckets atomically (Redis runs a script alone), with the same
/// arithmetic as <see cref="InMemoryQuotaCounter"/>.
/// <para>
/// Time is Redis's own (<c>TIME</c> inside the script), not the node's: a bucket's refill is the time between two
/// debits that may come from different nodes, and a node whose clock runs ahead would otherwise mint tokens (and one
/// behind would stall the refill). The <c>now</c> argument is used only by the fallback.
/// </para>
/// <para>
/// Keys: <c>{prefix}quota:{{pool}}:{bucket}</c>, a hash (tokens, limit, updated) that expires once it has been full
/// for two minutes. The pool is the hash tag, so a pool's buckets stay in one slot of a Redis Cluster.
/// </para>
/// <para>
/// Fallback: while Redis is unreachable (or a call to it fails) each node counts in its own memory with its share of
/// every limit (limit / <see cref="GatewayOptions.ExpectedNodes"/>, at least 1) — never unlimited. The first failure
/// of an outage logs one warning; the first success after it logs that counting is shared again. Corrections of
/// requests admitted before a switch land on whichever counter is current (at most the in-flight requests' estimates
/// are off). Thread-safe.
/// </para>
/// </summary>
internal sealed partial class RedisQuotaCounter(RedisConnection redis, GatewayOptions options, ILogger<RedisQuotaCounter> logger) : IQuotaCounter
{
    /// <summary>
    /// KEYS: the buckets. ARGV[1]: 1 reserve, 0 adjust; then per bucket its limit per minute and amount. Returns
    /// { granted, refused index (0-based, -1), retry-after µs, now s, now µs, then per bucket: limit, remaining, µs to full }.
    /// Duplicate keys share one state, as they would share one object in memory.
    /// </summary>
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        local reserve = ARGV[1] == '1'
        local states, order = {}, {}
        local refused, retry = -1, 0
        for i = 1, #KEYS do
          local key = KEYS[i]
          local limit = tonumber(ARGV[2 * i])
          local amount = tonumber(ARGV[2 * i + 1])
          local s = states[key]
          if not s then
            local h = redis.call('HMGET', key, 't', 'l', 'u')
            if h[1] then
              s = { t = tonumber(h[1]), l = tonumber(h[2]), u = tonumber(h[3]) }
            else
              s = { t = limit, l = limit, u = now }
            end
            states[key] = s
            order[#order + 1] = key
          end
          if limit ~= s.l then
            s.t = math.min(limit, s.t + math.max(0, limit - s.l))
            s.l = limit
          end
          if now > s.u then
            s.t = math.min(s.l, s.t + (now - s.u) * s.l / 60)
            s.u = now
          end
          if reserve then
            if refused < 0 and s.t < amount then
              refused = i - 1
              retry = math.ceil((amount - s.t) / (s.l / 60) * 1000000)
            end
          else
            s.t = math.min(s.l, s.t - amount)
          end
        end
        if reserve and refused < 0 then
          for i = 1, #KEYS do
            local s = states[KEYS[i]]
            s.t = s.t - tonumber(ARGV[2 * i + 1])
          end
        end
        for _, key in ipairs(order) do
          local s = states[key]
          local full = math.max(0, s.l - s.t) / (s.l / 60)
          redis.call('HSET', key, 't', string.format('%.17g', s.t), 'l', string.format('%.17g', s.l), 'u', string.format('%.17g', s.u))
          redis.call('PEXPIRE', key, math.ceil(full * 1000) + 120000)
        end
        local out = { refused < 0 and 1 or 0, refused, retry, tonumber(t[1]), tonumber(t[2]) }
        for i = 1, #KEYS do
          local s = states[KEYS[i]]
          out[#out + 1] = s.l
          out[#out + 1] = math.floor(math.max(0, s.t))
          out[#out + 1] = math.ceil(math.max(0, s.l - s.t) / (s.l / 60) * 1000000)
        end
        return out
        """;

    private readonly InMemoryQuotaCounter _fallback = new();
    private readonly int _nodes = Math.Max(1, options.ExpectedNodes);
    private int _degraded;

    /// <summary>True while this node counts in its fallback (for tests and health).</summary>
    public bool Degraded => Volatile.Read(ref _degraded) == 1;

    public async ValueTask<QuotaResult> TryReserveAsync(string pool, IReadOnlyList<QuotaDemand> demands, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await TryRedisAsync(pool, demands, reserve: true, cancellationToken) is { } shared)
        {
            return shared;
        }

        return await _fallback.TryReserveAsync(pool, Share(demands, reserve: true), now, cancellationToken);
    }

    public async ValueTask AdjustAsync(string pool, IReadOnlyList<QuotaDemand> corrections, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await TryRedisAsync(pool, corrections, reserve: false, cancellationToken) is null)
        {
            await _fallback.AdjustAsync(pool, Share(corrections, reserve: false), now, cancellationToken);
        }
    }

    /// <summary>The script's answer, or null when Redis cannot be used now (the caller falls back).</summary>
    private async ValueTask<QuotaResult?> TryRedisAsync(string pool, IReadOnlyList<QuotaDemand> demands, bool reserve, CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            EnterFallback(null);
            return null;
        }

        var keys = new RedisKey[demands.Count];
        var args = new RedisValue[1 + (2 * demands.Count)];
        args[0] = reserve ? 1 : 0;
        var prefix = redis.Prefix + "quota:{" + pool + "}:";
        for (var i = 0; i < demands.Count; i++)
        {
            keys[i] = prefix + demands[i].Bucket;
            args[1 + (2 * i)] = demands[i].LimitPerMinute;
            args[2 + (2 * i)] = demands[i].Amount;
        }

        RedisResult result;
        try
        {
            result = await redis.Database.ScriptEvaluateAsync(Script, keys, args).WaitAsync(cancellationToken);
        }
        catch (RedisException ex)
        {
            EnterFallback(ex);
            return null;
        }

        if (Interlocked.Exchange(ref _degraded, 0) == 1)
        {
            Log.Restored(logger);
        }

        var values = (RedisResult[])result!;
        var now = DateTimeOffset.FromUnixTimeSeconds((long)values[3]).AddTicks((long)values[4] * 10);
        var states = new BucketState[demands.Count];
        for (var i = 0; i < states.Length; i++)
        {
            var at = 5 + (3 * i);
            states[i] = new BucketState((long)values[at], (long)values[at + 1], now.AddTicks((long)values[at + 2] * 10));
        }

        return new QuotaResult((long)values[0] == 1, (int)(long)values[1], TimeSpan.FromTicks((long)values[2] * 10), states);
    }

    private void EnterFallback(Exception? exception)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            Log.Unavailable(logger, _nodes, exception);
        }
    }

    /// <summary>This node's share of each limit; a reservation larger than the share waits for a full share, as it would for a full bucket.</summary>
    private QuotaDemand[] Share(IReadOnlyList<QuotaDemand> demands, bool reserve)
    {
        var shares = new QuotaDemand[demands.Count];
        for (var i = 0; i < shares.Length; i++)
        {
            var demand = demands[i];
            var limit = Math.Max(1, demand.LimitPerMinute / _nodes);
            shares[i] = demand with { LimitPerMinute = limit, Amount = reserve ? Math.Min(demand.Amount, limit) : demand.Amount };
        }

        return shares;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1800, Level = LogLevel.Warning,
            Message = "Redis is unreachable: quotas are counted on this node alone, at 1/{Nodes} of each limit, until it is back")]
        public static partial void Unavailable(ILogger logger, int nodes, Exception? exception);

        // A warning too: the default log level is Warning, and an operator who saw the outage must see its end.
        [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "Redis is back: quotas are counted across the cluster again")]
        public static partial void Restored(ILogger logger);
    }
}
