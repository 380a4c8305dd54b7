using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.Backends;

/// <summary>
/// Picks one backend of an eligible set: the nearest tier (resource region, then data zone, then the rest of the
/// boundary) that has a usable backend — healthy, under its in-flight limit, not yet tried by this request — and within
/// it the better of two random choices by <see cref="BackendState.Cost"/> (time-to-first-event EWMA × in-flight).
/// Two random choices keep most of the benefit of "least loaded" without every node herding onto the same backend.
/// It never looks outside the set it is given. Thread-safe when <see cref="Random"/> is (the default,
/// <see cref="Random.Shared"/>, is); allocation-free.
/// </summary>
internal sealed class BackendChooser(RoutingOptions options, TimeProvider time, Random random)
{
    private const int StackLimit = 128;

    public BackendChooser(RoutingOptions options, TimeProvider time)
        : this(options, time, Random.Shared)
    {
    }

    public RoutingOptions Options { get; } = options;

    public TimeProvider Time { get; } = time;

    /// <summary>The index into <paramref name="set"/>'s backends of the one to try next, or -1 when none is usable.</summary>
    /// <param name="tried">Indices this request already tried; they are never picked again.</param>
    public int Choose(EligibleSet set, ReadOnlySpan<int> tried)
    {
        var backends = set.Backends;
        if (backends.Length == 0)
        {
            return -1;
        }

        var now = Time.GetUtcNow();
        Span<int> usable = backends.Length <= StackLimit ? stackalloc int[backends.Length] : new int[backends.Length];
        var start = 0;
        foreach (var end in set.TierEnds)
        {
            var count = 0;
            for (var i = start; i < end; i++)
            {
                if (!tried.Contains(i) && backends[i].State.ConditionAt(now, backends[i].MaxInFlight) == BackendCondition.Healthy)
                {
                    usable[count++] = i;
                }
            }

            if (count == 1)
            {
                return usable[0];
            }

            if (count > 1)
            {
                var first = random.Next(count);
                var second = random.Next(count - 1);
                if (second >= first)
                {
                    second++;
                }

                var a = usable[first];
                var b = usable[second];
                return backends[a].State.Cost() <= backends[b].State.Cost() ? a : b;
            }

            start = end;
        }

        return -1;
    }
}
