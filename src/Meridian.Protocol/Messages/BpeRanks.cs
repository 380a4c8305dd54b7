using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Reflection;

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

    private readonly byte[] _bytes;

    // Open addressing over one array, so a probe reads one slot: the token's hash (to skip most compares), its rank, and
    // where its bytes are (offset << 8 | length; 0 is an empty slot).
    private readonly Slot[] _slots;
    private readonly int _mask;

    // The rank of every two-byte token by its two bytes: the first look-up of each pair a merge starts with, and the most
    // frequent one, is one array read.
    private readonly int[] _pairRanks;

    // A Bloom filter of the longer tokens (two bits of 64 in a word the hash picks, 128 KB: it stays in the core's cache,
    // where the table does not): most pairs a merge looks up are not tokens — 100 of 116 look-ups in a 128-byte run of
    // random letters — and about 96 % of those are answered here, without the table's cache miss.
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
            if (token.Length is 0 or > byte.MaxValue || offset > (int.MaxValue >> 8))
            {
                throw new InvalidOperationException($"A vocabulary token of {token.Length} bytes at offset {offset} does not fit the table.");
            }

            token.CopyTo(_bytes.AsSpan(offset));
            var wide = Hash(token);
            _filter[FilterWord(wide)] |= FilterMask(wide);
            var hash = Fold(wide);
            var slot = (int)(hash & (uint)_mask);
            while (_slots[slot].Token != 0)
            {
                slot = (slot + 1) & _mask;
            }

            _slots[slot] = new Slot(hash, rank, (offset << 8) | token.Length);
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

        var wide = Hash(token);
        var mask = FilterMask(wide);
        if ((_filter[FilterWord(wide)] & mask) != mask)
        {
            return int.MaxValue;
        }

        var hash = Fold(wide);
        var slot = (int)(hash & (uint)_mask);
        while (true)
        {
            ref readonly var entry = ref _slots[slot];
            if (entry.Token == 0)
            {
                return int.MaxValue;
            }

            if (entry.Hash == hash && (entry.Token & 0xFF) == token.Length && _bytes.AsSpan(entry.Token >> 8, token.Length).SequenceEqual(token))
            {
                return entry.Rank;
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
    /// The rank of each part's pair with the part after it sits at the part's first byte (<see cref="int.MaxValue"/> where
    /// no part starts, or no merge is possible), so the merge to take is the first lowest rank in one array of at most 128
    /// ints: a vectorized minimum and a vectorized search, with no branch that depends on the data. A merge then looks up
    /// the two new pairs it makes. So at most b look-ups to start (array reads, the pair table) and two per merge: a
    /// 128-byte run of CJK or of <c>=</c> merges about a hundred times.
    /// </remarks>
    private int Merge(ReadOnlySpan<byte> piece, Span<int> next)
    {
        var n = piece.Length;
        if (n == 1 || Rank(piece) != int.MaxValue)
        {
            next[0] = n;
            return 1;
        }

        // Whole vectors, the tail past the piece never a candidate.
        var width = (n + Vector<int>.Count - 1) / Vector<int>.Count * Vector<int>.Count;
        Span<int> ranks = stackalloc int[MaxPieceBytes + Vector<int>.Count];
        ranks = ranks[..width];
        Span<int> previous = stackalloc int[MaxPieceBytes + 1];
        ranks.Fill(int.MaxValue);
        for (var i = 0; i < n; i++)
        {
            next[i] = i + 1;
            previous[i] = i - 1;
        }

        for (var i = 0; i + 1 < n; i++)
        {
            ranks[i] = _pairRanks[(piece[i] << 8) | piece[i + 1]];
        }

        var parts = n;
        while (parts > 1)
        {
            var lowest = Lowest(ranks);
            if (lowest == int.MaxValue)
            {
                break;
            }

            var start = ranks.IndexOf(lowest);
            var second = next[start];
            var end = next[second];
            ranks[second] = int.MaxValue;
            next[start] = end;
            parts--;
            if (end < n)
            {
                previous[end] = start;
                ranks[start] = Rank(piece[start..next[end]]);
            }
            else
            {
                ranks[start] = int.MaxValue;
            }

            if (start > 0)
            {
                ranks[previous[start]] = Rank(piece[previous[start]..end]);
            }
        }

        return parts;
    }

    private static int Lowest(ReadOnlySpan<int> ranks)
    {
        var lowest = new Vector<int>(ranks);
        for (var i = Vector<int>.Count; i < ranks.Length; i += Vector<int>.Count)
        {
            lowest = Vector.Min(lowest, new Vector<int>(ranks[i..]));
        }

        var min = int.MaxValue;
        for (var i = 0; i < Vector<int>.Count; i++)
        {
            min = Math.Min(min, lowest[i]);
        }

        return min;
    }

    /// <summary>A multiplicative hash of the key's length and bytes, read eight (or, for the tail, four and two) at a time;
    /// the reads of a tail may overlap, the length tells the keys apart.</summary>
    private static ulong Hash(ReadOnlySpan<byte> key)
    {
        var hash = (ulong)key.Length * Multiplier;
        while (key.Length > 8)
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * Multiplier;
            key = key[8..];
        }

        var tail = key.Length switch
        {
            8 => BinaryPrimitives.ReadUInt64LittleEndian(key),
            >= 4 => BinaryPrimitives.ReadUInt32LittleEndian(key) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(key[^4..]) << 32),
            >= 2 => BinaryPrimitives.ReadUInt16LittleEndian(key) | ((ulong)key[^1] << 16),
            1 => key[0],
            _ => 0UL,
        };
        return (hash ^ tail) * Multiplier;
    }

    /// <summary>The table's hash: both halves of the wide one.</summary>
    private static uint Fold(ulong hash) => (uint)(hash >> 32) ^ (uint)hash;

    /// <summary>The filter's word: the product's top bits, its best mixed.</summary>
    private static int FilterWord(ulong hash) => (int)(hash >> (64 - FilterBits));

    private static ulong FilterMask(ulong hash) => (1UL << (int)((hash >> 32) & 63)) | (1UL << (int)((hash >> 40) & 63));

    private readonly record struct Slot(uint Hash, int Rank, int Token);
}
