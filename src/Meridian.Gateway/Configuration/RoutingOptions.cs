namespace Meridian.Gateway.Configuration;

/// <summary>How the router judges and balances backends. Defaults suit a few backends per region; tests shorten them.</summary>
public sealed class RoutingOptions
{
    /// <summary>Consecutive failed attempts (connect errors, 5xx, 429, 529) that eject a backend.</summary>
    public int FailureThreshold { get; set; } = 3;

    /// <summary>The first ejection's length; each further ejection without a success in between doubles it.</summary>
    public TimeSpan EjectionBase { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan EjectionMax { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the active probe asks each HTTP backend whether it is up. Zero turns probing off.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Consecutive failed probes that mark a backend down; one good probe marks it up again.</summary>
    public int ProbeFailureThreshold { get; set; } = 2;

    /// <summary>Backends one request may be tried on, the first included; each eligible backend at most once.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Weight of the newest latency sample in the moving average (0–1].</summary>
    public double LatencyEwmaWeight { get; set; } = 0.3;
}
