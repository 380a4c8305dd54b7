using System.Buffers;
using System.Text;

namespace Meridian.Simulator.Answers;

/// <summary>
/// 64-bit FNV-1a over UTF-8 bytes. The simulator needs a hash that is the same in every process and on every
/// machine (string.GetHashCode is randomised per process), and it need not resist attackers.
/// </summary>
internal struct Fnv1a
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    private ulong _hash;
    private bool _started;

    public readonly ulong Value => _started ? _hash : OffsetBasis;

    public static ulong Of(string text)
    {
        var hash = default(Fnv1a);
        hash.Append(text);
        return hash.Value;
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        var hash = Value;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= Prime;
        }

        _hash = hash;
        _started = true;
    }

    public void Append(string text)
    {
        const int StackLimit = 256;
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            Append(buffer[..Encoding.UTF8.GetBytes(text, buffer)]);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
        try
        {
            Append(rented.AsSpan(0, Encoding.UTF8.GetBytes(text, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Appends a separator byte that UTF-8 text never contains, so ("ab","c") and ("a","bc") differ.</summary>
    public void AppendSeparator() => Append([0xFF]);
}
