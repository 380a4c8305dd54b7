using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// Requests one key may have in flight on this node at once (<see cref="GatewayOptions.MaxConcurrentPerKey"/>): one
/// caller cannot hold every worker and connection of a shared node, whatever its quota. Thread-safe.
/// </summary>
internal sealed class KeyConcurrency(GatewayOptions options)
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _inFlight = new(StringComparer.Ordinal);

    public int Limit { get; } = Math.Max(1, options.MaxConcurrentPerKey);

    /// <summary>Takes a slot for the key, or says there is none; every true must be matched by one <see cref="Exit"/>.</summary>
    public bool TryEnter(string keyId)
    {
        var count = _inFlight.GetOrAdd(keyId, _ => new StrongBox<int>());
        if (Interlocked.Increment(ref count.Value) <= Limit)
        {
            return true;
        }

        Interlocked.Decrement(ref count.Value);
        return false;
    }

    public void Exit(string keyId)
    {
        if (_inFlight.TryGetValue(keyId, out var count))
        {
            Interlocked.Decrement(ref count.Value);
        }
    }

    /// <summary>Requests of the key in flight now.</summary>
    public int InFlight(string keyId) => _inFlight.TryGetValue(keyId, out var count) ? Volatile.Read(ref count.Value) : 0;
}
