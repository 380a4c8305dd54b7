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

    private readonly byte[] _bytes;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private readonly int[] _ranks;

    // Open addressing: a slot holds an entry's index + 1 (0 is empty) and that entry's hash, to skip most compares.
    private readonly int[] _slots;
    private readonly uint[] _slotHashes;
    private readonly int _mask;

    internal BpeRanks(IReadOnlyList<(byte[] Token, int Rank)> encoder)
    {
        var count = encoder.Count;
        _offsets = new int[count];
        _lengths = new int[count];
        _ranks = new int[count];
        _bytes = new byte[encoder.Sum(e => e.Token.Length)];
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 3));
        _slots = new int[size];
        _slotHashes = new uint[size];
        _mask = size - 1;

        var entry = 0;
        var offset = 0;
        foreach (var (token, rank) in encoder)
        {
            token.CopyTo(_bytes.AsSpan(offset));
            _offsets[entry] = offset;
            _lengths[entry] = token.Length;
            _ranks[entry] = rank;
            var hash = Hash(token);
            var slot = (int)(hash & (uint)_mask);
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & _mask;
            }

            _slots[slot] = entry + 1;
            _slotHashes[slot] = hash;
            offset += token.Length;
            entry++;
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
        var hash = Hash(token);
        var slot = (int)(hash & (uint)_mask);
        while (true)
        {
            var entry = _slots[slot] - 1;
            if (entry < 0)
            {
                return int.MaxValue;
            }

            if (_slotHashes[slot] == hash && _bytes.AsSpan(_offsets[entry], _lengths[entry]).SequenceEqual(token))
            {
                return _ranks[entry];
            }

            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>
    /// How many tokens byte-pair merging makes of <paramref name="piece"/> (at most <see cref="MaxPieceBytes"/> bytes).
    /// The pairs wait in a heap ordered by rank, then position, so the merge taken is the one tiktoken's scan takes (the
    /// lowest rank, the leftmost on a tie); a pair that a merge broke is skipped when it comes up. At most b look-ups to
    /// start and two per merge, each merge O(log b): a 128-byte run of CJK or of <c>=</c> merges about a hundred times,
    /// and a scan of every part per merge cost 5–30× a prose word per byte.
    /// </summary>
    internal int Count(ReadOnlySpan<byte> piece)
    {
        if (piece.IsEmpty)
        {
            return 0;
        }

        if (Rank(piece) != int.MaxValue)
        {
            return 1;
        }

        var n = piece.Length;

        // Parts are named by the byte they start at: next[s] is where the part after it starts (n past the last).
        Span<int> next = stackalloc int[MaxPieceBytes + 1];
        Span<int> previous = stackalloc int[MaxPieceBytes + 1];
        Span<bool> merged = stackalloc bool[MaxPieceBytes + 1];
        Span<ulong> heap = stackalloc ulong[3 * MaxPieceBytes];
        var size = 0;
        for (var i = 0; i < n; i++)
        {
            next[i] = i + 1;
            previous[i] = i - 1;
            merged[i] = false;
        }

        next[n] = n + 1;
        for (var i = 0; i + 1 < n; i++)
        {
            Push(heap, ref size, Rank(piece.Slice(i, 2)), i, i + 2);
        }

        var parts = n;
        while (size > 0)
        {
            var top = Pop(heap, ref size);
            var start = (int)((top >> 8) & 0xFF);
            var end = (int)(top & 0xFF);
            if (merged[start] || next[start] >= n || next[next[start]] != end)
            {
                continue; // a merge since this pair was pushed took one of its parts
            }

            merged[next[start]] = true;
            next[start] = end;
            if (end < n)
            {
                previous[end] = start;
                Push(heap, ref size, Rank(piece[start..next[end]]), start, next[end]);
            }

            if (start > 0)
            {
                Push(heap, ref size, Rank(piece[previous[start]..end]), previous[start], end);
            }

            parts--;
        }

        return parts;
    }

    /// <summary>Pairs sort by rank, then by start; the end tells a stale pair from the current one.</summary>
    private static void Push(Span<ulong> heap, ref int size, int rank, int start, int end)
    {
        if (rank == int.MaxValue)
        {
            return;
        }

        var key = ((ulong)(uint)rank << 16) | ((ulong)(uint)start << 8) | (uint)end;
        var i = size++;
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (heap[parent] <= key)
            {
                break;
            }

            heap[i] = heap[parent];
            i = parent;
        }

        heap[i] = key;
    }

    private static ulong Pop(Span<ulong> heap, ref int size)
    {
        var top = heap[0];
        var last = heap[--size];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= size)
            {
                break;
            }

            if (child + 1 < size && heap[child + 1] < heap[child])
            {
                child++;
            }

            if (last <= heap[child])
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        if (size > 0)
        {
            heap[i] = last;
        }

        return top;
    }

    private static uint Hash(ReadOnlySpan<byte> key)
    {
        var hash = (ulong)key.Length * Multiplier;
        while (key.Length >= 8)
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * Multiplier;
            key = key[8..];
        }

        if (!key.IsEmpty)
        {
            ulong tail = 0;
            for (var i = 0; i < key.Length; i++)
            {
                tail |= (ulong)key[i] << (8 * i);
            }

            hash = (hash ^ tail) * Multiplier;
        }

        return (uint)(hash >> 32) ^ (uint)hash;
    }
}
