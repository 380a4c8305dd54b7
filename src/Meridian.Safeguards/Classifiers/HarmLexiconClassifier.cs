namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// The built-in harm classifier (hate, sexual, violence, self-harm): a lexicon of terms and phrases with severities,
/// matched word by word on a normalized view of the text (case, leet, spacing and stretching folded). A baseline, not a
/// model — see docs/safeguards.md for its limits. Stateless and thread-safe; completes synchronously.
/// </summary>
public sealed class HarmLexiconClassifier : IClassifier, IWindowedClassifier
{
    public const string DefaultName = "harm_lexicon";

    private static readonly Lazy<LexiconMatcher> SharedMatcher = new(() => new LexiconMatcher(HarmLexicon.Rules));

    public string Name => DefaultName;

    /// <summary>The longest original text a rule is expected to match; phrases longer than this (padded with many
    /// spaces, say) may be missed when screening a stream.</summary>
    public int MaxMatchChars => 120;

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken)
    {
        var span = text.Text.Span;
        if (span.IsEmpty)
        {
            return ValueTask.FromResult(ClassifierResult.None);
        }

        using var normalized = NormalizedText.Create(span);
        var findings = new List<Finding>();
        SharedMatcher.Value.Match(normalized, findings);
        if (findings.Count == 0)
        {
            return ValueTask.FromResult(ClassifierResult.None);
        }

        for (var i = 0; i < findings.Count; i++)
        {
            findings[i] = Contextualize(span, findings[i]);
        }

        return ValueTask.FromResult(ClassifierResult.Of(findings));
    }

    /// <summary>
    /// Threats and intentions inside quotation marks are reported speech or dialogue (fiction, news, a victim quoting a
    /// message); they drop to <c>low</c>. Anything about minors, and requests for weapons instructions, never drop.
    /// </summary>
    private static Finding Contextualize(ReadOnlySpan<char> text, Finding finding)
    {
        if (finding.Severity <= Severity.Low || finding.Kind is HarmKinds.Minors or HarmKinds.Weapons or HarmKinds.Instructions)
        {
            return finding;
        }

        return Quoting.IsQuoted(text, finding.Start, finding.End) ? finding with { Severity = Severity.Low } : finding;
    }
}

/// <summary>A built-in classifier the stream screener may run on its sliding window: it completes synchronously, is
/// cheap, and never matches more than <see cref="MaxMatchChars"/> of original text.</summary>
internal interface IWindowedClassifier
{
    int MaxMatchChars { get; }
}

/// <summary>Whether a span sits inside quotation marks on its own line (dialogue, a quoted example).</summary>
internal static class Quoting
{
    private const int MaxLookBehind = 400;

    public static bool IsQuoted(ReadOnlySpan<char> text, int start, int end)
    {
        // Straight double quotes: an odd number before the span on the same line, and one after it.
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
