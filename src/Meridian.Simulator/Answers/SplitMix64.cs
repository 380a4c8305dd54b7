namespace Meridian.Simulator.Answers;

/// <summary>
/// A tiny deterministic random sequence (SplitMix64) seeded from a conversation hash. System.Random's output for a
/// given seed is not promised to stay the same across .NET versions; this one is fixed by its few lines.
/// </summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A number in [0, <paramref name="exclusiveMax"/>).</summary>
    public int Next(int exclusiveMax) => (int)(Next() % (ulong)exclusiveMax);

    /// <summary>A number in [<paramref name="min"/>, <paramref name="inclusiveMax"/>].</summary>
    public int Next(int min, int inclusiveMax) => min + Next(inclusiveMax - min + 1);
}
