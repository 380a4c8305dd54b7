using System.Buffers;
using System.Runtime.CompilerServices;

namespace Meridian.Protocol;

/// <summary>
/// Scratch arrays for request-sized work: small ones from the shared <see cref="ArrayPool{T}"/>, large ones (over
/// <see cref="PooledBytes"/>) allocated plainly and left to the GC. The shared pool keeps what it is given per core and
/// per size class until memory pressure trims it: six parallel 30 MB bodies left ≈ 0.9 GB held by the process after they
/// were answered (issue 15; bench/PROFILE.md, "Memory after large requests"). A large request is rare and its own
/// parsing dwarfs one allocation, so pooling buys nothing there. Thread-safe.
/// </summary>
public static class LargeArrays
{
    /// <summary>The largest array, in bytes, that goes through the shared pool.</summary>
    public const int PooledBytes = 1024 * 1024;

    /// <summary>An array of at least <paramref name="length"/> elements, its contents undefined.</summary>
    public static T[] Rent<T>(int length) =>
        IsPooled<T>(length) ? ArrayPool<T>.Shared.Rent(length) : GC.AllocateUninitializedArray<T>(length);

    /// <summary>Gives back an array from <see cref="Rent{T}"/>; a large one is simply dropped.</summary>
    public static void Return<T>(T[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (IsPooled<T>(array.Length))
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }

    private static bool IsPooled<T>(int length) => (long)length * Unsafe.SizeOf<T>() <= PooledBytes;
}
