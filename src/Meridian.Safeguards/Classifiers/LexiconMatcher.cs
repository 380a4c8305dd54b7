using System.Text;
using System.Text.RegularExpressions;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// Runs a set of <see cref="LexiconRule"/>s over a <see cref="NormalizedText"/>, allocation-free unless something
/// matches. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// One regex per rule, not one alternation per category: each rule then has a narrow set of leading chars the engine
/// searches for with vectorized IndexOfAny, where a big alternation starts a match attempt almost everywhere
/// (measured: 2–10x slower as alternations, more again with a capture group per rule). Separate regexes also find
/// overlapping matches of different rules, so a mention that starts earlier never hides a threat.
/// </remarks>
internal sealed class LexiconMatcher
{
    private readonly (LexiconRule Rule, Regex Regex)[] _rules;

    public LexiconMatcher(IEnumerable<LexiconRule> rules)
    {
        _rules = [.. rules.Select(rule => (rule, Compile(rule.Pattern)))];

        // Pay the JIT of the compiled matchers now, at startup, not on the first request (a text shorter than a rule's
        // minimum length would return before reaching the matching code).
        foreach (var (_, regex) in _rules)
        {
            _ = regex.Count("warm up the matcher with a sentence long enough to reach every part of the scanning loop and then some more words");
        }
    }

    /// <summary>
    /// The non-backtracking engine where the rule allows it (no lookarounds): linear time by construction and, on
    /// these alternation-heavy phrases, 2–20x faster than the compiled backtracking engine (measured per rule on
    /// ordinary prose). Rules with lookarounds use the compiled backtracking engine. No match timeout: the patterns are
    /// ours, a test holds them to linear time on adversarial input, and a timeout would turn a slow machine into
    /// "classifier unavailable". Word boundaries are \b rather than a lookbehind: the normalized text has only word
    /// chars and single spaces, so they mean the same, and \b keeps the engine's leading-char search.
    /// </summary>
    internal static Regex Compile(string pattern)
    {
        var source = $"\\b(?:{RelaxDoubles(pattern)})\\b";
        const RegexOptions common = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;
        try
        {
            return new Regex(source, common | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);
        }
        catch (NotSupportedException)
        {
            return new Regex(source, common | RegexOptions.Compiled, Regex.InfiniteMatchTimeout);
        }
    }

    /// <summary>Adds a finding per match; positions are mapped back to the original text.</summary>
    public void Match(NormalizedText normalized, List<Finding> findings)
    {
        var span = normalized.Span;
        foreach (var (rule, regex) in _rules)
        {
            foreach (var match in regex.EnumerateMatches(span))
            {
                var (start, end) = normalized.MapBack(match.Index, match.Length);
                findings.Add(new Finding(rule.Category, rule.Kind, rule.Severity, start, end - start));
            }
        }
    }

    /// <summary>Makes every doubled letter optional ("kill" → "kill?") so stretched words collapsed by the normalizer
    /// ("killlll" → "kil") still match.</summary>
    internal static string RelaxDoubles(string pattern)
    {
        var builder = new StringBuilder(pattern.Length + 8);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            builder.Append(c);
            if (c is >= 'a' and <= 'z' && i + 1 < pattern.Length && pattern[i + 1] == c && (i == 0 || pattern[i - 1] != '\\'))
            {
                builder.Append(c).Append('?');
                i++;
            }
        }

        return builder.ToString();
    }
}
