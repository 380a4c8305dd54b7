using System.Globalization;

namespace Meridian.Protocol.Messages;

/// <summary>
/// cl100k's pre-tokenizer, hand-written: the pieces (and special tokens) that <c>TiktokenTokenizer</c>'s
/// <c>PreTokenizer</c> yields for a text, the same offsets and lengths, in one pass over the text.
/// </summary>
/// <remarks>
/// <para>The tokenizer splits with a regex (Microsoft.ML.Tokenizers 2.0.1, source generated, culture-invariant here):
/// <c>'(?i:[sdmt]|ll|ve|re)|(?&gt;[^\r\n\p{L}\p{N}]?)(?&gt;\p{L}+)|(?&gt;\p{N}{1,3})| ?(?&gt;[^\s\p{L}\p{N}]+)(?&gt;[\r\n]*)|(?&gt;\s+)$|\s*[\r\n]|\s+(?!\S)|\s</c>,
/// run on each stretch between special tokens (<c>&lt;|endoftext|&gt;</c> and the others), which are pieces of their own.
/// The regex costs a match's setup per piece: text whose pieces are one or two chars (<c>a a a</c>, <c>a@a@</c>, digits)
/// cost 4–8× prose per MB in the pre-tokenizer alone (issue 15). <see cref="PieceLength"/> takes the alternatives in the
/// regex's order, over UTF-16 chars as .NET's regex does (a surrogate is neither letter nor number), so the pieces are the
/// tokenizer's exactly (<c>Cl100kPiecesTests</c> compares them on every corpus entry and on random text of every script).</para>
/// <para>Linear: a piece is found by reading it and at most its following run of white space, and every alternative
/// consumes what it reads except white space, which the at most three pieces of one run read again.</para>
/// </remarks>
internal ref struct Cl100kPieces
{
    /// <summary>cl100k's special tokens, each counted as one token.</summary>
    internal static readonly string[] SpecialTokens = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"];

    private const byte Letter = 1;
    private const byte Number = 2;
    private const byte Space = 3;
    private const byte Newline = 4;
    private const byte Other = 5;

    private static readonly byte[] Latin1Kinds = BuildLatin1Kinds();

    private readonly ReadOnlySpan<char> _text;
    private int _position;
    private int _specialStart;
    private int _specialLength;

    internal Cl100kPieces(ReadOnlySpan<char> text)
    {
        _text = text;
        _specialStart = -1;
        Offset = 0;
        Length = 0;
    }

    /// <summary>Where the current piece starts in the text.</summary>
    internal int Offset { get; private set; }

    /// <summary>The current piece's length in chars.</summary>
    internal int Length { get; private set; }

    /// <summary>Whether the current piece is a special token (one token whatever its length).</summary>
    internal readonly bool IsSpecial => Offset == _specialStart;

    internal readonly Cl100kPieces GetEnumerator() => this;

    internal readonly (int Offset, int Length) Current => (Offset, Length);

    internal bool MoveNext()
    {
        if (_position >= _text.Length)
        {
            return false;
        }

        if (_specialStart < _position)
        {
            FindSpecialToken();
        }

        Offset = _position;
        Length = _position == _specialStart
            ? _specialLength
            : PieceLength(_text[_position.._specialStart]);
        _position += Length;
        return true;
    }

    /// <summary>The length of the piece at the start of <paramref name="text"/> (not empty; the text up to the next
    /// special token or the end), the alternatives tried in the regex's order.</summary>
    internal static int PieceLength(ReadOnlySpan<char> text)
    {
        var c = text[0];
        var kind = Kind(c);

        // '(?i:[sdmt]|ll|ve|re)
        if (c == '\'' && text.Length >= 2)
        {
            var d = text[1];
            if (Is(d, 's') || Is(d, 'd') || Is(d, 'm') || Is(d, 't'))
            {
                return 2;
            }

            if (text.Length >= 3 && ((Is(d, 'l') && Is(text[2], 'l')) || (Is(d, 'v') && Is(text[2], 'e')) || (Is(d, 'r') && Is(text[2], 'e'))))
            {
                return 3;
            }
        }

        // (?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+): one char of anything but a newline, letter or number may lead a run of letters.
        var start = kind is Space or Other ? 1 : 0;
        if (start < text.Length && Kind(text[start]) == Letter)
        {
            return RunEnd(text, start + 1, Letter);
        }

        // (?>\p{N}{1,3})
        if (kind == Number)
        {
            var end = 1;
            while (end < 3 && end < text.Length && Kind(text[end]) == Number)
            {
                end++;
            }

            return end;
        }

        // ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)
        start = c == ' ' ? 1 : 0;
        if (start < text.Length && Kind(text[start]) == Other)
        {
            var end = RunEnd(text, start + 1, Other);
            while (end < text.Length && text[end] is '\r' or '\n')
            {
                end++;
            }

            return end;
        }

        // What is left starts with white space: its run, and the last newline in it.
        var run = 1;
        var lastNewline = kind == Newline ? 0 : -1;
        for (; run < text.Length; run++)
        {
            var k = Kind(text[run]);
            if (k == Newline)
            {
                lastNewline = run;
            }
            else if (k != Space)
            {
                break;
            }
        }

        if (run == text.Length)
        {
            return run; // (?>\s+)$
        }

        if (lastNewline >= 0)
        {
            return lastNewline + 1; // \s*[\r\n]
        }

        return run >= 2 ? run - 1 : 1; // \s+(?!\S) leaves the last one to lead what follows; else \s
    }

    private static int RunEnd(ReadOnlySpan<char> text, int from, byte kind)
    {
        while (from < text.Length && Kind(text[from]) == kind)
        {
            from++;
        }

        return from;
    }

    /// <summary>A case-insensitive match of an ASCII letter as the tokenizer's regex makes it: the letter in either case
    /// and nothing else (not the long s, U+017F, nor the Kelvin sign; checked over every char).</summary>
    private static bool Is(char c, char lower) => (c | 0x20) == lower;

    private static byte Kind(char c) => c < 256 ? Latin1Kinds[c] : KindOf(c);

    /// <summary>.NET's regex classes: <c>\p{L}</c> and <c>\p{N}</c> by the char's Unicode category, <c>\s</c> as
    /// <see cref="char.IsWhiteSpace(char)"/>; a surrogate is <see cref="Other"/>.</summary>
    private static byte KindOf(char c) => CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
        _ when c is '\r' or '\n' => Newline,
        _ when char.IsWhiteSpace(c) => Space,
        _ => Other,
    };

    private static byte[] BuildLatin1Kinds()
    {
        var kinds = new byte[256];
        for (var c = 0; c < kinds.Length; c++)
        {
            kinds[c] = KindOf((char)c);
        }

        return kinds;
    }

    /// <summary>Finds the first special token at or after the current position (the tokenizer's regex of them takes the
    /// leftmost). Each search reads on from where the last special token ended, so the text is read once.</summary>
    private void FindSpecialToken()
    {
        var from = _position;
        while (from < _text.Length)
        {
            var at = _text[from..].IndexOf("<|", StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            at += from;
            foreach (var token in SpecialTokens)
            {
                if (_text[at..].StartsWith(token, StringComparison.Ordinal))
                {
                    _specialStart = at;
                    _specialLength = token.Length;
                    return;
                }
            }

            from = at + 1;
        }

        _specialStart = _text.Length; // none left: no further search
        _specialLength = 0;
    }
}
