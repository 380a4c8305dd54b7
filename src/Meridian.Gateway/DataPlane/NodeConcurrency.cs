using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// Model requests (<c>/v1/messages</c>, <c>count_tokens</c>, the other doors onto them) in flight on this node at once
/// (<see cref="GatewayOptions.MaxRequestsInFlight"/>). Past it a request is shed with 529 at once rather than queued:
/// an overloaded node answers quickly, the SDKs retry 529 with backoff, and a load balancer can send the retry to
/// another node. Thread-safe.
/// </summary>
internal sealed class NodeConcurrency(GatewayOptions options)
{
    private int _inFlight;

    public int Limit { get; } = Math.Max(1, options.MaxRequestsInFlight);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a slot, or says there is none; every true must be matched by one <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) <= Limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);
}
