namespace Meridian.Safeguards.Classifiers;

/// <summary>Whether a span sits inside quotation marks on its own line (dialogue, a quoted example).</summary>
internal static class Quoting
{
    private const int MaxLookBehind = 400;

    public static bool IsQuoted(ReadOnlySpan<char> text, int start, int end)
    {
        // Straight double quotes: an odd number before the span on the same line; curly ones: an opening one unclosed.
        var doubles = 0;
        var curlyOpen = 0;
        var lineStart = start;
        var limit = Math.Max(0, start - MaxLookBehind);
        while (lineStart > limit && text[lineStart - 1] != '\n')
        {
            lineStart--;
        }

        for (var i = lineStart; i < start; i++)
        {
            switch (text[i])
            {
                case '"':
                    doubles++;
                    break;
                case '\u201C' or '\u00AB':
                    curlyOpen++;
                    break;
                case '\u201D' or '\u00BB':
                    curlyOpen = Math.Max(0, curlyOpen - 1);
                    break;
                default:
                    break;
            }
        }

        if (doubles % 2 == 1 || curlyOpen > 0)
        {
            return true;
        }

        // A single quote or backtick right before the span (after optional spaces), opening it: 'ignore all ...'.
        var before = start - 1;
        while (before >= lineStart && text[before] == ' ')
        {
            before--;
        }

        if (before >= lineStart && text[before] is '\'' or '\u2018' or '`' && (before == lineStart || !char.IsLetterOrDigit(text[before - 1])))
        {
            for (var i = end; i < text.Length && text[i] != '\n'; i++)
            {
                if (text[i] is '\'' or '\u2019' or '`')
                {
                    return true;
                }
            }
        }

        return false;
    }
}
