namespace Meridian.Simulator;

/// <summary>
/// How the simulator paces its answers. Both delays default to zero, so tests and benchmarks run at full speed;
/// a demo sets them to feel like a real model (for example 400 ms to the first token, 20 ms per token).
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>Waited once, before the first content delta (text or tool input).</summary>
    public TimeSpan FirstTokenDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Waited between two consecutive content deltas.</summary>
    public TimeSpan PerTokenDelay { get; set; } = TimeSpan.Zero;
}
