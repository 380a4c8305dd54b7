using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Meridian.Protocol.Messages;

/// <summary>
/// The cl100k vocabulary as one flat, read-only hash table from a token's UTF-8 bytes to its rank, and the byte-pair
/// merge over it, counting only. Immutable after construction and safe to share across threads.
/// </summary>
/// <remarks>
/// Why not the tokenizer's own <c>CountTokens</c> for every piece: it answers a piece it has seen from an LRU cache, and
/// for a piece it has not it allocates a UTF-8 buffer, an offset map and the merge's lists, then takes the cache's lock
/// to insert a string and an array. Prose repeats its words and mostly hits; base64, hex, CJK or random letters miss on
/// every piece, and that cost per piece made them 6–13× prose per MB (issue 15, bench/PROFILE.md "Hostile input").
/// This merge is the same algorithm (tiktoken's: merge the adjacent pair of lowest rank, the leftmost on a tie, until no
/// pair is in the vocabulary), so its counts are the tokenizer's exactly (<c>TokenCounterTests</c> compares them piece
/// by piece), with no allocation, no lock and no cache to miss.
/// </remarks>
internal sealed class BpeRanks
{
    /// <summary>The longest piece merged at once, in bytes; it bounds the stack the merge takes.</summary>
    internal const int MaxPieceBytes = 128;

    private const ulong Multiplier = 0x9E3779B97F4A7C15;

    private const int FilterBits = 14;

    /// <summary>The longest token that is its own key.</summary>
    private const int ShortKeyBytes = 7;

    private readonly byte[] _bytes;

    // Open addressing over one array, so a probe reads one slot: the token's key (see Key: a token of up to 7 bytes is its
    // own key, so finding it reads nothing else; 0 is an empty slot), its rank, and where its bytes are.
    private readonly Slot[] _slots;
    private readonly int _mask;

    // The rank of every two-byte token by its two bytes: the first look-up of each pair a merge starts with, and the most
    // frequent one, is one array read.
    private readonly int[] _pairRanks;

    // A Bloom filter of the longer tokens (two bits of 64 in a word the hash picks, 128 KB: it stays in the core's cache,
    // where the table does not): most pairs a merge looks up are not tokens — 100 of 116 look-ups in a 128-byte run of
    // random letters — and most of those are answered here, without the table's cache miss (random letters went from
    // 128 to 67 ms/MB of counting with it, at the same load).
    private readonly ulong[] _filter = new ulong[1 << FilterBits];

    internal BpeRanks(IReadOnlyList<(byte[] Token, int Rank)> encoder)
    {
        var count = encoder.Count;
        _bytes = new byte[encoder.Sum(e => e.Token.Length)];
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 2));
        _slots = new Slot[size];
        _mask = size - 1;
        _pairRanks = new int[256 * 256];
        _pairRanks.AsSpan().Fill(int.MaxValue);

        var offset = 0;
        foreach (var (token, rank) in encoder)
        {
            if (token.Length == 0 || rank >= int.MaxValue / MaxPieceBytes)
            {
                throw new InvalidOperationException($"A vocabulary token of {token.Length} bytes at offset {offset} does not fit the table.");
            }

            token.CopyTo(_bytes.AsSpan(offset));
            var key = Key(token);
            var wide = key * Multiplier;
            _filter[FilterWord(wide)] |= FilterMask(wide);
            var slot = (int)(Fold(wide) & (uint)_mask);
            while (_slots[slot].Key != 0)
            {
                slot = (slot + 1) & _mask;
            }

            _slots[slot] = new Slot(key, rank, offset);
            if (token.Length == 2)
            {
                _pairRanks[(token[0] << 8) | token[1]] = rank;
            }

            offset += token.Length;
        }
    }

    /// <summary>
    /// The vocabulary the tokenizer itself loads: the cl100k data package's embedded <c>.tiktoken</c> file (a base64 token
    /// and its rank a line, deflated). The tokenizer does not expose its byte-level table, only the tokens that are whole
    /// UTF-8, and merging needs the others too (a CJK char or an emoji is often two tokens of partial bytes).
    /// </summary>
    internal static BpeRanks LoadCl100k()
    {
        using var stream = Assembly.Load("Microsoft.ML.Tokenizers.Data.Cl100kBase").GetManifestResourceStream("cl100k_base.tiktoken.deflate")
            ?? throw new InvalidOperationException("The cl100k vocabulary is missing from Microsoft.ML.Tokenizers.Data.Cl100kBase.");
        using var reader = new StreamReader(new DeflateStream(stream, CompressionMode.Decompress));
        var tokens = new List<(byte[] Token, int Rank)>(100_300);
        var line = reader.ReadLine();
        if (line is not null && line.StartsWith("Capacity: ", StringComparison.Ordinal))
        {
            line = reader.ReadLine();
        }

        // A line is "token rank", or the token alone, ranked by its line.
        for (var number = 0; line is not null; line = reader.ReadLine(), number++)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                tokens.Add((Convert.FromBase64String(line[..space]), int.Parse(line.AsSpan(space + 1), CultureInfo.InvariantCulture)));
            }
            else if (line.Length > 0)
            {
                tokens.Add((Convert.FromBase64String(line), number));
            }
        }

        if (tokens.Count < 100_000)
        {
            throw new InvalidOperationException($"The cl100k vocabulary has {tokens.Count} tokens; expected about 100,256.");
        }

        return new BpeRanks(tokens);
    }

    /// <summary>The rank of <paramref name="token"/>, or <see cref="int.MaxValue"/> when it is not in the vocabulary.</summary>
    internal int Rank(ReadOnlySpan<byte> token)
    {
        if (token.Length == 2)
        {
            return _pairRanks[(token[0] << 8) | token[1]];
        }

        var key = Key(token);
        var wide = key * Multiplier;
        var mask = FilterMask(wide);
        if ((_filter[FilterWord(wide)] & mask) != mask)
        {
            return int.MaxValue;
        }

        var slot = (int)(Fold(wide) & (uint)_mask);
        while (true)
        {
            ref readonly var entry = ref _slots[slot];
            if (entry.Key == key && (token.Length <= ShortKeyBytes || _bytes.AsSpan(entry.Offset, token.Length).SequenceEqual(token)))
            {
                return entry.Rank;
            }

            if (entry.Key == 0)
            {
                return int.MaxValue;
            }

            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>
    /// How many tokens byte-pair merging makes of <paramref name="piece"/> (at most <see cref="MaxPieceBytes"/> bytes).
    /// </summary>
    internal int Count(ReadOnlySpan<byte> piece)
    {
        if (piece.IsEmpty)
        {
            return 0;
        }

        Span<int> next = stackalloc int[MaxPieceBytes + 1];
        return Merge(piece, next);
    }

    /// <summary>
    /// The tokens byte-pair merging makes of <paramref name="piece"/> (at most <see cref="MaxPieceBytes"/> bytes), as the
    /// byte offset each ends at, in order, written to <paramref name="ends"/> (at least the piece's length); returns how many.
    /// </summary>
    internal int TokenEnds(ReadOnlySpan<byte> piece, Span<int> ends)
    {
        if (piece.IsEmpty)
        {
            return 0;
        }

        Span<int> next = stackalloc int[MaxPieceBytes + 1];
        var count = Merge(piece, next);
        var start = 0;
        for (var i = 0; i < count; i++)
        {
            start = ends[i] = next[start];
        }

        return count;
    }

    /// <summary>
    /// Merges <paramref name="piece"/> as tiktoken does (the adjacent pair of lowest rank, the leftmost on a tie, until no
    /// pair is in the vocabulary) and returns how many tokens are left; <paramref name="next"/> is left holding them as a
    /// chain from byte 0 (<c>next[s]</c> is where the token after the one starting at s starts, the piece's length after
    /// the last).
    /// </summary>
    /// <remarks>
    /// Each part's pair with the part after it sits at the part's first byte as one int, rank × 128 + position
    /// (<see cref="int.MaxValue"/> where no part starts or no merge is possible), so the merge to take — the lowest rank,
    /// the leftmost on a tie — is the least int of one array of at most 128: one vectorized pass, no branch that depends on
    /// the data. A merge then looks up the two new pairs it makes. So at most b look-ups to start (array reads, the pair
    /// table) and two per merge, and a pass over 128 ints per merge: a 128-byte run of CJK or of <c>=</c> merges about a
    /// hundred times. (A scan of every part per merge cost 5–30× a prose word per byte; a heap of pairs cost what this
    /// does, with a branch per level that random text mispredicts.)
    /// </remarks>
    private int Merge(ReadOnlySpan<byte> piece, Span<int> next)
    {
        var n = piece.Length;
        if (n == 1 || Rank(piece) != int.MaxValue)
        {
            next[0] = n;
            return 1;
        }

        // Whole vectors; the tail past the piece is never a candidate.
        var width = (n + Vector256<int>.Count - 1) / Vector256<int>.Count * Vector256<int>.Count;
        Span<int> pairs = stackalloc int[MaxPieceBytes + Vector256<int>.Count];
        pairs = pairs[..width];
        Span<int> previous = stackalloc int[MaxPieceBytes + 1];
        pairs.Fill(int.MaxValue);
        for (var i = 0; i < n; i++)
        {
            next[i] = i + 1;
            previous[i] = i - 1;
        }

        for (var i = 0; i + 1 < n; i++)
        {
            pairs[i] = Pair(_pairRanks[(piece[i] << 8) | piece[i + 1]], i);
        }

        var parts = n;
        while (parts > 1)
        {
            var lowest = Lowest(pairs);
            if (lowest == int.MaxValue)
            {
                break;
            }

            var start = lowest & (MaxPieceBytes - 1);
            var second = next[start];
            var end = next[second];
            pairs[second] = int.MaxValue;
            next[start] = end;
            parts--;
            if (end < n)
            {
                previous[end] = start;
                pairs[start] = Pair(Rank(piece[start..next[end]]), start);
            }
            else
            {
                pairs[start] = int.MaxValue;
            }

            if (start > 0)
            {
                pairs[previous[start]] = Pair(Rank(piece[previous[start]..end]), previous[start]);
            }
        }

        return parts;
    }

    private static int Pair(int rank, int start) => rank == int.MaxValue ? int.MaxValue : (rank * MaxPieceBytes) + start;

    /// <summary>The least of <paramref name="pairs"/> (whole vectors, at least one).</summary>
    private static int Lowest(ReadOnlySpan<int> pairs)
    {
        ref var first = ref MemoryMarshal.GetReference(pairs);
        var lowest = Vector256.LoadUnsafe(ref first);
        for (var i = Vector256<int>.Count; i < pairs.Length; i += Vector256<int>.Count)
        {
            lowest = Vector256.Min(lowest, Vector256.LoadUnsafe(ref first, (nuint)i));
        }

        var half = Vector128.Min(lowest.GetLower(), lowest.GetUpper());
        half = Vector128.Min(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
        half = Vector128.Min(half, Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2)));
        return half.ToScalar();
    }

    /// <summary>
    /// A token's key: up to <see cref="ShortKeyBytes"/> bytes, the bytes themselves and the length in the top byte, so equal
    /// keys are equal tokens; a longer token, a hash of its bytes (read eight at a time) with the top byte 0xFF, so equal
    /// keys are compared byte by byte. Never 0. The reads of a short token may overlap; the length tells the keys apart.
    /// </summary>
    private static ulong Key(ReadOnlySpan<byte> token)
    {
        var length = (ulong)token.Length;
        if (token.Length <= ShortKeyBytes)
        {
            var bytes = token.Length switch
            {
                >= 4 => BinaryPrimitives.ReadUInt32LittleEndian(token) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(token[^4..]) << ((token.Length - 4) * 8)),
                3 => BinaryPrimitives.ReadUInt16LittleEndian(token) | ((ulong)token[2] << 16),
                2 => BinaryPrimitives.ReadUInt16LittleEndian(token),
                _ => token[0],
            };
            return bytes | (length << 56);
        }

        var hash = length * Multiplier;
        var rest = token;
        while (rest.Length > 8)
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(rest)) * Multiplier;
            rest = rest[8..];
        }

        hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(token[^8..])) * Multiplier;
        return hash | (0xFFUL << 56);
    }

    /// <summary>The table's slot: both halves of the mixed key.</summary>
    private static uint Fold(ulong hash) => (uint)(hash >> 32) ^ (uint)hash;

    /// <summary>The filter's word: the mixed key's top bits, a product's best mixed.</summary>
    private static int FilterWord(ulong hash) => (int)(hash >> (64 - FilterBits));

    private static ulong FilterMask(ulong hash) => (1UL << (int)((hash >> 32) & 63)) | (1UL << (int)((hash >> 40) & 63));

    private readonly record struct Slot(ulong Key, int Rank, int Offset);
}
