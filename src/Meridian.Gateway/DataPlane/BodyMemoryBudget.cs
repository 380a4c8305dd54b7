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
}
