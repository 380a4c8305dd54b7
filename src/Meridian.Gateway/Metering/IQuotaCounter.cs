namespace Meridian.Gateway.Metering;

/// <summary>
/// One token bucket a request draws from: it holds up to <see cref="LimitPerMinute"/> and refills continuously at
/// that many per minute. <see cref="Bucket"/> names it inside its pool (<c>dep:dep_x:itpm</c>).
/// </summary>
/// <param name="Amount">What the request takes; in corrections, what it takes more (positive) or gives back (negative).</param>
internal readonly record struct QuotaDemand(string Bucket, long LimitPerMinute, long Amount);

/// <summary>A bucket after a reservation: what is left, and when it will be full again (the <c>reset</c> clients read).</summary>
internal readonly record struct BucketState(long Limit, long Remaining, DateTimeOffset ResetAt);

/// <param name="Granted">True when every bucket had enough and all were debited; false when none was.</param>
/// <param name="RefusedIndex">The demand that did not fit (the first in demand order), or -1.</param>
/// <param name="RetryAfter">When the refused bucket will hold enough for this request.</param>
/// <param name="States">One per demand, in demand order.</param>
internal sealed record QuotaResult(bool Granted, int RefusedIndex, TimeSpan RetryAfter, IReadOnlyList<BucketState> States);

/// <summary>
/// Shared quota counters: token buckets, grouped in pools scoped like the deployment boundary (<c>global</c>,
/// <c>zone:eu</c>, <c>region:eastus</c>) so each pool can live where its traffic is served (one Redis per pool, later).
/// <para>
/// Thread-safety contract: both methods may be called concurrently from any number of requests (and, for a shared
/// implementation, nodes). <see cref="TryReserveAsync"/> is atomic over all its demands: either every bucket is debited
/// or none is, and no interleaving of concurrent calls ever admits more than the buckets hold. A Redis implementation
/// runs the same arithmetic in one Lua script over the pool's keys.
/// </para>
/// </summary>
internal interface IQuotaCounter
{
    /// <summary>Takes every demand's amount, or nothing when any bucket lacks it.</summary>
    ValueTask<QuotaResult> TryReserveAsync(string pool, IReadOnlyList<QuotaDemand> demands, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Settles after the fact: takes more, or gives back, never refusing (a bucket may go below zero).</summary>
    ValueTask AdjustAsync(string pool, IReadOnlyList<QuotaDemand> corrections, DateTimeOffset now, CancellationToken cancellationToken);
}
