using Meridian.Protocol;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// A lower-case, leet-folded, punctuation-collapsed view of a text for lexicon matching, with a map from every
/// normalized char back to the original span so findings keep original positions (for redaction).
/// </summary>
/// <remarks>
/// What it folds: case; common leet digits and symbols inside words (<c>k1ll</c>, <c>$uicide</c>, <c>h@te</c>);
/// apostrophes (<c>i'm</c> → <c>im</c>); runs of three or more identical letters (<c>kiiiill</c> → <c>kil</c>; rules
/// make doubled letters optional to match); letters spaced out with single separators (<c>k i l l</c>,
/// <c>s.u.i.c.i.d.e</c> → one word); a few Cyrillic and Greek look-alikes; Latin-1 accents. Every other run of
/// non-word chars becomes one space. Buffers are pooled: dispose it.
/// </remarks>
internal sealed class NormalizedText : IDisposable
{
    private char[] _chars;
    private int[] _starts;
    private int[] _ends;

    private NormalizedText(char[] chars, int[] starts, int[] ends, int length)
    {
        _chars = chars;
        _starts = starts;
        _ends = ends;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<char> Span => _chars.AsSpan(0, Length);

    /// <summary>The original span [start, end) behind normalized chars [index, index + length).</summary>
    public (int Start, int End) MapBack(int index, int length) => (_starts[index], _ends[index + length - 1]);

    public override string ToString() => new(Span);

    public void Dispose()
    {
        if (_chars.Length > 0)
        {
            LargeArrays.Return(_chars);
            LargeArrays.Return(_starts);
            LargeArrays.Return(_ends);
            _chars = [];
            _starts = [];
            _ends = [];
        }
    }

    public static NormalizedText Create(ReadOnlySpan<char> text)
    {
        var capacity = Math.Max(16, text.Length + 1);
        var chars = LargeArrays.Rent<char>(capacity);
        var starts = LargeArrays.Rent<int>(capacity);
        var ends = LargeArrays.Rent<int>(capacity);
        var length = 0;

        // Where the previous token was written, so spaced-out letters ("k i l l") can be glued together.
        var lastTokenLength = 0;
        var lastTokenEnd = -1;
        var singleRun = 0;

        var i = 0;
        while (i < text.Length)
        {
            if (!IsTokenChar(text[i]))
            {
                i++;
                continue;
            }

            var tokenStart = i;
            while (i < text.Length && IsTokenChar(text[i]))
            {
                i++;
            }

            var tokenEnd = i;

            // Write the token one slot further on, leaving room for the separating space.
            var outStart = length;
            var at = length > 0 ? outStart + 1 : outStart;
            var written = WriteToken(text, tokenStart, tokenEnd, chars, starts, ends, at);
            if (written == 0)
            {
                continue;
            }

            // A single char between two single letters of a spaced-out word ("k i l l") glues them instead.
            var gapOfOne = lastTokenEnd >= 0 && tokenStart - lastTokenEnd == 1 && IsGlueSeparator(text[lastTokenEnd]);
            var glue = written == 1 && lastTokenLength == 1 && gapOfOne && ShouldGlue(text, tokenEnd, singleRun);
            if (at == outStart)
            {
                length = outStart + written;
            }
            else if (glue)
            {
                Array.Copy(chars, at, chars, outStart, written);
                Array.Copy(starts, at, starts, outStart, written);
                Array.Copy(ends, at, ends, outStart, written);
                length = outStart + written;
            }
            else
            {
                chars[outStart] = ' ';
                starts[outStart] = lastTokenEnd;
                ends[outStart] = tokenStart;
                length = at + written;
            }

            singleRun = written == 1 ? (glue ? singleRun + 1 : 1) : 0;
            lastTokenLength = written;
            lastTokenEnd = tokenEnd;
        }

        return new NormalizedText(chars, starts, ends, length);
    }

    /// <summary>
    /// Glue a single-letter token to the previous single letter only inside a run of at least three
    /// (<c>k i l l</c>), so ordinary "a" and "I" stay words: look ahead for a third single letter.
    /// </summary>
    private static bool ShouldGlue(ReadOnlySpan<char> text, int tokenEnd, int singleRun)
    {
        if (singleRun >= 2)
        {
            return true;
        }

        // Two singles so far; glue when the next token is also a single letter after one separator.
        return tokenEnd + 2 <= text.Length
            && IsGlueSeparator(text[tokenEnd])
            && IsTokenChar(text[tokenEnd + 1])
            && (tokenEnd + 2 == text.Length || !IsTokenChar(text[tokenEnd + 2]));
    }

    /// <summary>Writes the normalized form of text[start..end) at <paramref name="at"/>; returns how many chars.</summary>
    private static int WriteToken(ReadOnlySpan<char> text, int start, int end, char[] chars, int[] starts, int[] ends, int at)
    {
        // Leading and trailing symbols are punctuation, not leet ("!", "kill!", "@user").
        while (start < end && IsSymbol(text[start]) && !(text[start] == '$' && start + 1 < end && char.IsLetter(text[start + 1])))
        {
            start++;
        }

        while (end > start && IsSymbol(text[end - 1]))
        {
            end--;
        }

        if (start == end)
        {
            return 0;
        }

        var hasLetter = false;
        for (var k = start; k < end; k++)
        {
            if (char.IsLetter(text[k]))
            {
                hasLetter = true;
                break;
            }
        }

        var n = 0;
        var previous = '\0';
        var run = 0;
        for (var k = start; k < end; k++)
        {
            var c = text[k];
            char folded;
            if (char.IsLetter(c))
            {
                folded = FoldLetter(c);
            }
            else if (c is >= '0' and <= '9')
            {
                folded = hasLetter ? Leet(c) : c;
            }
            else if (c is '\'' or '\u2019' or '*')
            {
                continue;
            }
            else
            {
                folded = hasLetter ? Leet(c) : '\0';
                if (folded == '\0')
                {
                    continue;
                }
            }

            // Collapse runs of three or more identical letters to one ("kiiiill" → "kil").
            if (folded == previous && char.IsLetter(folded))
            {
                run++;
                if (run == 3)
                {
                    n -= 1; // drop the second copy written earlier
                    ends[at + n - 1] = k + 1;
                    continue;
                }

                if (run > 3)
                {
                    ends[at + n - 1] = k + 1;
                    continue;
                }
            }
            else
            {
                run = 1;
                previous = folded;
            }

            chars[at + n] = folded;
            starts[at + n] = k;
            ends[at + n] = k + 1;
            n++;
        }

        return n;
    }

    private static bool IsGlueSeparator(char c) => c is ' ' or '.' or '-' or '_';

    private static bool IsTokenChar(char c) => char.IsLetterOrDigit(c) || IsSymbol(c) || c is '\'' or '\u2019' or '*';

    private static bool IsSymbol(char c) => c is '@' or '$' or '!' or '|';

    private static char Leet(char c) => c switch
    {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        '@' => 'a',
        '$' => 's',
        '!' => 'i',
        '|' => 'i',
        _ => c,
    };

    private static char FoldLetter(char c)
    {
        if (c < 128)
        {
            return (char)(c | 0x20);
        }

        c = char.ToLowerInvariant(c);
        return c switch
        {
            'à' or 'á' or 'â' or 'ã' or 'ä' or 'å' or 'а' or 'α' => 'a',
            'ç' or 'с' => 'c',
            'ѕ' => 's',
            'ј' => 'j',
            'è' or 'é' or 'ê' or 'ë' or 'е' or 'ε' => 'e',
            'ì' or 'í' or 'î' or 'ï' or 'і' or 'ι' => 'i',
            'ñ' => 'n',
            'ò' or 'ó' or 'ô' or 'õ' or 'ö' or 'ø' or 'о' or 'ο' => 'o',
            'ù' or 'ú' or 'û' or 'ü' or 'υ' => 'u',
            'ý' or 'ÿ' or 'у' => 'y',
            'р' or 'ρ' => 'p',
            'х' or 'χ' => 'x',
            'к' or 'κ' => 'k',
            'т' or 'τ' => 't',
            'н' => 'h',
            'м' => 'm',
            'в' => 'b',
            'ν' => 'v',
            _ => c,
        };
    }
}
