using Meridian.Gateway.Metering;

namespace Meridian.Gateway.Tests.Metering;

public sealed class InMemoryQuotaCounterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task A_bucket_admits_its_limit_then_refuses_with_the_time_until_it_fits()
    {
        var counter = new InMemoryQuotaCounter();
        for (var i = 0; i < 6; i++)
        {
            Assert.True((await counter.TryReserveAsync("global", [new("dep:a:rpm", 6, 1)], T0, Ct)).Granted);
        }

        var refused = await counter.TryReserveAsync("global", [new("dep:a:rpm", 6, 1)], T0, Ct);
        Assert.False(refused.Granted);
        Assert.Equal(0, refused.RefusedIndex);
        // 6 per minute refill one every 10 s.
        Assert.Equal(TimeSpan.FromSeconds(10), refused.RetryAfter);
        Assert.Equal(new BucketState(6, 0, T0.AddMinutes(1)), refused.States[0]);

        Assert.False((await counter.TryReserveAsync("global", [new("dep:a:rpm", 6, 1)], T0.AddSeconds(9.9), Ct)).Granted);
        Assert.True((await counter.TryReserveAsync("global", [new("dep:a:rpm", 6, 1)], T0.AddSeconds(10), Ct)).Granted);
    }

    [Fact]
    public async Task A_reservation_takes_all_its_buckets_or_none()
    {
        var counter = new InMemoryQuotaCounter();
        QuotaDemand[] demands = [new("dep:a:rpm", 100, 1), new("dep:a:otpm", 1_000, 600)];
        Assert.True((await counter.TryReserveAsync("global", demands, T0, Ct)).Granted);

        var refused = await counter.TryReserveAsync("global", demands, T0, Ct);
        Assert.False(refused.Granted);
        Assert.Equal(1, refused.RefusedIndex);
        // The request bucket was not debited by the refused reservation.
        Assert.Equal(99, refused.States[0].Remaining);
        Assert.Equal(400, refused.States[1].Remaining);
    }

    [Fact]
    public async Task Settling_gives_back_what_was_not_used_and_takes_what_was_used_beyond()
    {
        var counter = new InMemoryQuotaCounter();
        Assert.True((await counter.TryReserveAsync("global", [new("dep:a:otpm", 1_000, 800)], T0, Ct)).Granted);
        await counter.AdjustAsync("global", [new("dep:a:otpm", 1_000, -750)], T0, Ct);
        Assert.Equal(950, (await counter.TryReserveAsync("global", [new("dep:a:otpm", 1_000, 0)], T0, Ct)).States[0].Remaining);

        // More than reserved (the tokenizer's estimate was low): the bucket owes, and the refill pays it off.
        await counter.AdjustAsync("global", [new("dep:a:otpm", 1_000, 1_150)], T0, Ct);
        var after = await counter.TryReserveAsync("global", [new("dep:a:otpm", 1_000, 1)], T0, Ct);
        Assert.False(after.Granted);
        Assert.Equal(0, after.States[0].Remaining);
        Assert.True((await counter.TryReserveAsync("global", [new("dep:a:otpm", 1_000, 1)], T0.AddSeconds(13), Ct)).Granted);
    }

    [Fact]
    public async Task Pools_are_separate()
    {
        var counter = new InMemoryQuotaCounter();
        Assert.True((await counter.TryReserveAsync("region:eastus", [new("dep:a:rpm", 1, 1)], T0, Ct)).Granted);
        Assert.False((await counter.TryReserveAsync("region:eastus", [new("dep:a:rpm", 1, 1)], T0, Ct)).Granted);
        Assert.True((await counter.TryReserveAsync("zone:eu", [new("dep:a:rpm", 1, 1)], T0, Ct)).Granted);
    }

    [Fact]
    public async Task Many_parallel_reservations_never_admit_more_than_the_buckets_hold()
    {
        // Property: whatever the interleaving, admitted ≤ limit for every bucket, and a refused reservation debits nothing.
        for (var round = 0; round < 20; round++)
        {
            var counter = new InMemoryQuotaCounter();
            var random = new Random(round);
            var rpm = random.Next(1, 20);
            var tpm = random.Next(50, 500);
            var sizes = Enumerable.Range(0, 200).Select(_ => random.Next(1, 40)).ToArray();
            var granted = new bool[sizes.Length];
            await Parallel.ForAsync(0, sizes.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            {
                // Demand order differs per request: the lock order must not depend on it.
                QuotaDemand[] demands = i % 2 == 0
                    ? [new("dep:x:rpm", rpm, 1), new("dep:x:itpm", tpm, sizes[i]), new("key:k:rpm", 1_000, 1)]
                    : [new("key:k:rpm", 1_000, 1), new("dep:x:itpm", tpm, sizes[i]), new("dep:x:rpm", rpm, 1)];
                granted[i] = (await counter.TryReserveAsync("global", demands, T0, ct)).Granted;
            });

            var admitted = Enumerable.Range(0, sizes.Length).Where(i => granted[i]).ToList();
            Assert.InRange(admitted.Count, 1, rpm);
            Assert.True(admitted.Sum(i => sizes[i]) <= tpm, $"round {round}: {admitted.Sum(i => sizes[i])} tokens admitted of {tpm}");
            var key = await counter.TryReserveAsync("global", [new("key:k:rpm", 1_000, 0)], T0, CancellationToken.None);
            Assert.Equal(1_000 - admitted.Count, key.States[0].Remaining);
        }
    }

    [Fact]
    public async Task Idle_full_buckets_are_dropped_without_changing_any_answer()
    {
        var counter = new InMemoryQuotaCounter();
        await counter.TryReserveAsync("global", [new("dep:a:rpm", 60, 1)], T0, Ct);
        Assert.Equal(1, counter.Count);
        counter.Sweep(T0.AddMinutes(1));
        Assert.Equal(1, counter.Count);
        counter.Sweep(T0.AddMinutes(3));
        Assert.Equal(0, counter.Count);
        Assert.Equal(59, (await counter.TryReserveAsync("global", [new("dep:a:rpm", 60, 1)], T0.AddMinutes(3), Ct)).States[0].Remaining);
    }
}
