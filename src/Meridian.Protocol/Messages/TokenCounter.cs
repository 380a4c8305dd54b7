using System.Buffers;
using System.Text.Unicode;

namespace Meridian.Protocol.Messages;

/// <summary>
/// Counts tokens as a real BPE tokenizer (cl100k) does, so the simulator's <c>usage</c> and <c>count_tokens</c> agree
/// and quotas see realistic numbers. It is not Claude's tokenizer; counts are close, not identical.
/// Stateless over an immutable vocabulary; safe to share across threads.
/// </summary>
/// <remarks>
/// <para><b>Linear by construction.</b> Text is cut into cl100k's pieces by <see cref="Cl100kPieces"/> (the tokenizer's
/// pre-tokenizer regex, hand-written: one pass, no match set up per piece) and each piece is merged with byte-pair
/// encoding, whose merge is superlinear in the piece's length: through the tokenizer, one unbroken run — 100k of one
/// letter, of CJK, of spaces — took 3.4 s, 300k took 57 s (issue 15). So a piece longer than
/// <see cref="MaxPieceBytes"/> (UTF-8) is cut into slices of at most that many bytes, each merged on its own: the work is
/// then at most a constant per byte, whatever the input.</para>
/// <para><b>Exact where it matters.</b> Counting the pieces one by one is what the tokenizer does itself, so any text
/// whose pieces all fit (every prose word, identifier, number and URL part; a CJK run of up to ~42 chars) counts exactly
/// as the tokenizer counts it (<c>TokenCounterTests</c> compares prose with the tokenizer's whole-text count, and every
/// piece and slice of the adversarial corpus and of random text with the tokenizer's count of it). A longer run counts as
/// the sum of its slices: within 5 % of whole-run BPE on the corpus's long runs (a token cannot span a cut; cl100k's
/// tokens are short next to 128 bytes).</para>
/// <para><b>About the same cost per byte for any text.</b> Each slice is merged by <see cref="BpeRanks"/> (tiktoken's
/// algorithm over the vocabulary, no allocation, no cache to miss); a long run of one char or of a short unit
/// (<c>aaaa</c>, <c>====</c>, newlines, <c>'"'"</c>) repeats its slices, and a slice equal to the one before it reuses
/// its count for a compare. Per MB on one core (BenchmarkDotNet, <c>HostileInputBenchmarks.Count</c>), random letters,
/// the worst entry, cost about 5× prose, where prose itself costs half what it did through the tokenizer; every entry
/// costs less than prose did then (bench/PROFILE.md).</para>
/// <para>Only <see cref="BpeRanks"/>' table is loaded: the tokenizer's own (<c>TiktokenTokenizer</c>, a second copy of
/// the vocabulary in dictionaries and a cache) is not, which keeps about 21 MB off the heap: 5.3 MB after the first count instead of 26.8 MB (issue 19).</para>
/// </remarks>
public static class TokenCounter
{
    /// <summary>The longest piece, in UTF-8 bytes, that BPE merges at once; the merge's pass over its pairs grows with it.</summary>
    internal const int MaxPieceBytes = BpeRanks.MaxPieceBytes;

    /// <summary>The work model of merging a slice of b bytes (<see cref="WorkBudget"/> units): b for its bytes and their
    /// pairs, plus b²/128 for its merges (fewer than b), each a pass over the slice's b pairs.</summary>
    private const int QuadraticCostDivisor = 128;

    // A few tokens of framing per message, as chat formats spend on role markers.
    private const int PerMessageOverhead = 3;
    private const int PerRequestOverhead = 3;

    private static readonly Lazy<BpeRanks> Ranks = new(BpeRanks.LoadCl100k);

    public static int Count(string text) => Count(text, budget: null);

    /// <summary>Counts <paramref name="text"/>, charging the work to <paramref name="budget"/> when one is given.</summary>
    public static int Count(string text, WorkBudget? budget)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        var ranks = Ranks.Value;
        budget?.Charge(text.Length); // the pre-tokenizer's pass
        Span<byte> utf8 = stackalloc byte[MaxPieceBytes];

        // The last full slice of a long run and its count: a run of one char or of a short unit (aaaa, ====, '"'", \n\n)
        // repeats its slices, and a repeated slice costs a compare instead of a merge.
        Span<byte> last = stackalloc byte[MaxPieceBytes];
        var lastLength = 0;
        var lastCount = 0;
        var total = 0;
        var pieces = new Cl100kPieces(text);
        while (pieces.MoveNext())
        {
            if (pieces.IsSpecial)
            {
                total++;
                continue;
            }

            var piece = text.AsSpan(pieces.Offset, pieces.Length);
            while (!piece.IsEmpty)
            {
                var chars = Transcode(piece, utf8, out var bytes);
                var slice = utf8[..bytes];
                if (bytes == MaxPieceBytes && lastLength == bytes && slice.SequenceEqual(last))
                {
                    budget?.Charge(bytes);
                    total += lastCount;
                }
                else
                {
                    budget?.Charge(Cost(bytes));
                    var count = ranks.Count(slice);
                    total += count;
                    if (bytes == MaxPieceBytes)
                    {
                        slice.CopyTo(last);
                        lastLength = bytes;
                        lastCount = count;
                    }
                }

                piece = piece[chars..];
            }
        }

        return total;
    }

    /// <summary>
    /// The index in <paramref name="text"/> after which at most <paramref name="maxTokens"/> tokens fit (exactly that many
    /// when the text has more and the cut falls between two chars), piece by piece as <see cref="Count(string)"/> counts.
    /// </summary>
    public static int IndexAfterTokens(string text, int maxTokens)
    {
        if (text.Length == 0 || maxTokens <= 0)
        {
            return 0;
        }

        var ranks = Ranks.Value;
        Span<byte> utf8 = stackalloc byte[MaxPieceBytes];
        var total = 0;
        var pieces = new Cl100kPieces(text);
        while (pieces.MoveNext())
        {
            if (pieces.IsSpecial)
            {
                if (total == maxTokens)
                {
                    return pieces.Offset;
                }

                total++;
                continue;
            }

            var position = pieces.Offset;
            var end = position + pieces.Length;
            while (position < end)
            {
                var chars = Transcode(text.AsSpan(position, end - position), utf8, out var bytes);
                var count = ranks.Count(utf8[..bytes]);
                if (total + count > maxTokens)
                {
                    return total == maxTokens
                        ? position
                        : position + CharsInTokens(ranks, text.AsSpan(position, chars), utf8[..bytes], maxTokens - total);
                }

                total += count;
                position += chars;
            }
        }

        return text.Length;
    }

    public static int CountInput(MessagesRequest request) => CountInput(request, budget: null);

    /// <summary>The request's input tokens, each piece of its text counted once; the work is charged to <paramref name="budget"/>.</summary>
    public static int CountInput(MessagesRequest request, WorkBudget? budget)
    {
        var total = PerRequestOverhead;
        if (request.System is { } system)
        {
            total += Count(ContentText.Of(system), budget) + PerMessageOverhead;
        }

        foreach (var message in request.Messages.EnumerateArray())
        {
            total += PerMessageOverhead + Count(ContentText.Of(message.GetProperty("content")), budget);
        }

        if (request.Tools is { } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                total += Count(tool.GetRawText(), budget);
            }
        }

        return total;
    }

    /// <summary>
    /// Writes the longest prefix of <paramref name="piece"/> that fits <see cref="MaxPieceBytes"/> bytes (see
    /// <see cref="SliceLength"/>) to <paramref name="utf8"/> as UTF-8 and returns its length in chars.
    /// </summary>
    private static int Transcode(ReadOnlySpan<char> piece, Span<byte> utf8, out int bytes)
    {
        // Well-formed UTF-16 (all but a lone surrogate) takes the vectorized transcoder, which stops before a char that
        // does not fit, as SliceLength does.
        var status = Utf8.FromUtf16(piece, utf8, out var chars, out bytes, replaceInvalidSequences: false);
        if (status is OperationStatus.Done or OperationStatus.DestinationTooSmall && chars > 0)
        {
            return chars;
        }

        chars = SliceLength(piece);
        bytes = ToBytes(piece[..chars], utf8);
        return chars;
    }

    /// <summary>
    /// How many chars of <paramref name="slice"/> the first <paramref name="tokens"/> of its tokens cover: the end of the
    /// last of them that falls between two chars (a CJK char or an emoji may be several tokens; the cut never splits one).
    /// </summary>
    private static int CharsInTokens(BpeRanks ranks, ReadOnlySpan<char> slice, ReadOnlySpan<byte> utf8, int tokens)
    {
        Span<int> ends = stackalloc int[MaxPieceBytes];
        ranks.TokenEnds(utf8, ends);
        var chars = 0;
        var bytes = 0;
        var covered = 0;
        for (var token = 0; token < tokens; token++)
        {
            while (bytes < ends[token])
            {
                var c = slice[chars];
                if (char.IsHighSurrogate(c) && chars + 1 < slice.Length && char.IsLowSurrogate(slice[chars + 1]))
                {
                    bytes += 4;
                    chars += 2;
                }
                else
                {
                    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
                    chars++;
                }
            }

            if (bytes == ends[token])
            {
                covered = chars;
            }
        }

        return covered;
    }

    /// <summary>
    /// UTF-8 as the tokenizer makes it: a lone surrogate (JSON can carry one, <c>"\ud800"</c>) is written as its own three
    /// bytes, not as U+FFFD, so the counts stay the tokenizer's own.
    /// </summary>
    private static int ToBytes(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            uint c = text[i];
            if (c < 0x80)
            {
                destination[written++] = (byte)c;
            }
            else if (c < 0x800)
            {
                destination[written++] = (byte)(0xC0 | (c >> 6));
                destination[written++] = (byte)(0x80 | (c & 0x3F));
            }
            else if (char.IsHighSurrogate((char)c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var scalar = (uint)char.ConvertToUtf32((char)c, text[++i]);
                destination[written++] = (byte)(0xF0 | (scalar >> 18));
                destination[written++] = (byte)(0x80 | ((scalar >> 12) & 0x3F));
                destination[written++] = (byte)(0x80 | ((scalar >> 6) & 0x3F));
                destination[written++] = (byte)(0x80 | (scalar & 0x3F));
            }
            else
            {
                destination[written++] = (byte)(0xE0 | (c >> 12));
                destination[written++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                destination[written++] = (byte)(0x80 | (c & 0x3F));
            }
        }

        return written;
    }

    /// <summary>The work units of merging a slice of <paramref name="bytes"/> bytes (see <see cref="QuadraticCostDivisor"/>).</summary>
    internal static long Cost(long bytes) => bytes + (bytes * bytes / QuadraticCostDivisor);

    /// <summary>The length in chars of the longest prefix of <paramref name="piece"/> of at most <see cref="MaxPieceBytes"/>
    /// UTF-8 bytes that does not end between the two halves of a surrogate pair.</summary>
    internal static int SliceLength(ReadOnlySpan<char> piece)
    {
        // A char is at most 3 UTF-8 bytes (a surrogate pair is 4 for two), so this many chars always fit.
        if (piece.Length <= MaxPieceBytes / 3)
        {
            return piece.Length;
        }

        var bytes = 0;
        var i = 0;
        while (i < piece.Length)
        {
            var c = piece[i];
            var width = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            var chars = 1;
            if (char.IsHighSurrogate(c) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]))
            {
                width = 4;
                chars = 2;
            }

            if (bytes + width > MaxPieceBytes)
            {
                break;
            }

            bytes += width;
            i += chars;
        }

        return i;
    }
}
