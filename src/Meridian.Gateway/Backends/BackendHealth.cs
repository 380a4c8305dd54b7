using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.Backends;

/// <summary>How a backend stands right now, as the router and the dry run report it.</summary>
public enum BackendCondition
{
    Healthy,

    /// <summary>Failed attempts ejected it until a back-off time (passive outlier detection).</summary>
    Ejected,

    /// <summary>Its active health probe failed.</summary>
    ProbeDown,

    /// <summary>It is at its <c>max_in_flight</c> limit.</summary>
    Overloaded,
}

/// <summary>
/// The few mutable counters of one backend (YARP's "State" beside the immutable model): requests in flight, a moving
/// average of the time to first event, consecutive failures and the ejection they caused, the active probe's verdict.
/// Kept across registry rebuilds (one per backend identity) so a rebuild forgets no health. Lock-free and thread-safe:
/// every field is read and written with <see cref="Interlocked"/> or <see cref="Volatile"/>; a race between two
/// updates of the average loses one sample, which is harmless.
/// </summary>
public sealed class BackendState
{
    private long _inFlight;
    private long _latencyBits;
    private int _consecutiveFailures;
    private int _ejections;
    private long _ejectedUntilTicks;
    private int _probeFailures;
    private int _probeDown;

    /// <summary>Requests started on this backend and not yet finished.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Moving average of the time to first event, in milliseconds; 0 until measured.</summary>
    public double LatencyMs => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _latencyBits));

    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    public bool IsProbeDown => Volatile.Read(ref _probeDown) != 0;

    public DateTimeOffset? EjectedUntil => Interlocked.Read(ref _ejectedUntilTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Attempts and failures, for the operator's view of traffic and error rates (not used for routing).</summary>
    public BackendTraffic Traffic { get; } = new();

    /// <summary>Ejected, probed down, at its limit, or healthy; in that order of precedence.</summary>
    public BackendCondition ConditionAt(DateTimeOffset now, int? maxInFlight)
    {
        if (Interlocked.Read(ref _ejectedUntilTicks) > now.UtcTicks)
        {
            return BackendCondition.Ejected;
        }

        if (Volatile.Read(ref _probeDown) != 0)
        {
            return BackendCondition.ProbeDown;
        }

        return maxInFlight is { } limit && Interlocked.Read(ref _inFlight) >= limit ? BackendCondition.Overloaded : BackendCondition.Healthy;
    }

    /// <summary>The balancing cost: latency (plus 1 ms, so unmeasured backends still compare by load) times load.</summary>
    public double Cost() => (LatencyMs + 1) * (InFlight + 1);

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Finished() => Interlocked.Decrement(ref _inFlight);

    /// <summary>An attempt produced its first event: the backend works. Clears failures and the ejection back-off.</summary>
    public void Succeeded(TimeSpan timeToFirstEvent, double weight)
    {
        var sample = timeToFirstEvent.TotalMilliseconds;
        var current = LatencyMs;
        var next = current == 0 ? sample : current + (weight * (sample - current));
        Interlocked.Exchange(ref _latencyBits, BitConverter.DoubleToInt64Bits(next));
        Volatile.Write(ref _consecutiveFailures, 0);
        Volatile.Write(ref _ejections, 0);
    }

    /// <summary>
    /// An attempt failed in a way another backend might not (connect error, 5xx, 429, 529). At the threshold the
    /// backend is ejected for a back-off that doubles with each ejection in a row; returns true when this ejected it.
    /// After the back-off one request is let through again; failing at once re-ejects it for longer.
    /// </summary>
    public bool Failed(DateTimeOffset now, RoutingOptions options)
    {
        var failures = Interlocked.Increment(ref _consecutiveFailures);
        if (failures < options.FailureThreshold)
        {
            return false;
        }

        var ejections = Interlocked.Increment(ref _ejections);
        var backOff = TimeSpan.FromTicks(Math.Min(options.EjectionMax.Ticks, options.EjectionBase.Ticks << Math.Min(ejections - 1, 20)));
        Interlocked.Exchange(ref _ejectedUntilTicks, (now + backOff).UtcTicks);

        // Half-open after the back-off: the next failure alone re-ejects it.
        Volatile.Write(ref _consecutiveFailures, options.FailureThreshold - 1);
        return true;
    }

    /// <summary>The active probe's answer. Returns true when this changed the backend's up/down state.</summary>
    public bool Probed(bool up, int threshold)
    {
        if (up)
        {
            Volatile.Write(ref _probeFailures, 0);
            return Interlocked.Exchange(ref _probeDown, 0) != 0;
        }

        return Interlocked.Increment(ref _probeFailures) >= threshold && Interlocked.Exchange(ref _probeDown, 1) == 0;
    }
}
