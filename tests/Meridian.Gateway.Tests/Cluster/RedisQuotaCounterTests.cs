using Meridian.Gateway.Cluster;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Metering;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Gateway.Tests.Cluster;

/// <summary>The shared counter against a real Redis: the in-memory counter's arithmetic, atomic across nodes.</summary>
public sealed class RedisQuotaCounterTests : IDisposable
{
    private readonly string _prefix = TestRedis.UniquePrefix();
    private readonly List<RedisConnection> _connections = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gives_the_same_answers_as_the_in_memory_counter()
    {
        var redis = Counter();
        var memory = new InMemoryQuotaCounter();
        var now = DateTimeOffset.UtcNow;
        // Each step within a second at 60/min refills less than one token, so whole remainders must agree exactly.
        var steps = new (bool Reserve, long Limit, long Amount)[]
        {
            (true, 60, 10), (true, 60, 45), (true, 60, 6), (false, 60, 20), (false, 60, -100), (true, 120, 1), (true, 30, 1),
        };
        foreach (var (reserve, limit, amount) in steps)
        {
            QuotaDemand[] demand = [new("dep:d1:rpm", limit, amount)];
            if (reserve)
            {
                var expected = await memory.TryReserveAsync("global", demand, now, Ct);
                var actual = await redis.TryReserveAsync("global", demand, now, Ct);
                Assert.Equal(expected.Granted, actual.Granted);
                Assert.Equal(expected.RefusedIndex, actual.RefusedIndex);
                Assert.Equal(expected.States[0].Limit, actual.States[0].Limit);
                Assert.Equal(expected.States[0].Remaining, actual.States[0].Remaining);
                Assert.InRange(actual.RetryAfter, expected.RetryAfter - TimeSpan.FromSeconds(1), expected.RetryAfter);
            }
            else
            {
                await memory.AdjustAsync("global", demand, now, Ct);
                await redis.AdjustAsync("global", demand, now, Ct);
            }
        }

        Assert.False(redis.Degraded);
    }

    [Fact]
    public async Task A_reservation_takes_every_bucket_or_none()
    {
        var counter = Counter();
        var now = DateTimeOffset.UtcNow;
        var refused = await counter.TryReserveAsync("zone:eu", [new("dep:d1:itpm", 1_000, 300), new("key:k1:itpm", 200, 201)], now, Ct);
        Assert.False(refused.Granted);
        Assert.Equal(1, refused.RefusedIndex);
        Assert.True(refused.RetryAfter > TimeSpan.Zero);

        // Nothing was taken from the first bucket: all 1,000 are still there.
        var whole = await counter.TryReserveAsync("zone:eu", [new("dep:d1:itpm", 1_000, 1_000)], now, Ct);
        Assert.True(whole.Granted);
        Assert.Equal(0, whole.States[0].Remaining);
    }

    [Fact]
    public async Task Two_nodes_racing_on_one_bucket_admit_no_more_than_the_limit()
    {
        const long limit = 100;
        var nodes = new[] { Counter(), Counter() };
        var started = System.Diagnostics.Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            nodes[i % 2].TryReserveAsync("region:eastus", [new("dep:race:rpm", limit, 1)], DateTimeOffset.UtcNow, Ct).AsTask()));
        var refill = (int)Math.Ceiling(started.Elapsed.TotalSeconds * limit / 60);

        Assert.InRange(results.Count(r => r.Granted), limit, limit + refill);
        Assert.All(results.Where(r => !r.Granted), r => Assert.Equal(0, r.RefusedIndex));
    }

    private RedisQuotaCounter Counter()
    {
        var options = new GatewayOptions { Redis = TestRedis.Endpoint, RedisPrefix = _prefix };
        var connection = new RedisConnection(options);
        _connections.Add(connection);
        return new RedisQuotaCounter(connection, options, NullLogger<RedisQuotaCounter>.Instance);
    }

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
    }
}
