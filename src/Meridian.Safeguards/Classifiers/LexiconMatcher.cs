using System.Text;
using System.Text.RegularExpressions;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// Runs a set of <see cref="LexiconRule"/>s over a <see cref="NormalizedText"/>: one compiled regex per category and
/// severity — a regex finds non-overlapping matches, so a mention starting earlier must not hide an overlapping threat —
/// scanned allocation-free; a match is resolved to its rule only when there is one, which on ordinary text is rare.
/// Immutable and thread-safe.
/// </summary>
internal sealed class LexiconMatcher
{
    private readonly CategoryRegex[] _categories;

    public LexiconMatcher(IEnumerable<LexiconRule> rules)
    {
        _categories = [.. rules
            .GroupBy(r => (r.Category, r.Severity))
            .OrderBy(g => g.Key.Category).ThenByDescending(g => g.Key.Severity)
            .Select(g => new CategoryRegex([.. g]))];
    }

    /// <summary>Adds a finding per match; positions are mapped back to the original text.</summary>
    public void Match(NormalizedText normalized, List<Finding> findings)
    {
        string? materialized = null;
        foreach (var category in _categories)
        {
            foreach (var match in category.Regex.EnumerateMatches(normalized.Span))
            {
                // Resolving the rule needs a Match (groups), which needs a string: only built when something matched.
                materialized ??= normalized.ToString();
                var rule = category.Resolve(materialized, match.Index);
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

    private sealed class CategoryRegex
    {
        private readonly LexiconRule[] _rules;
        private readonly int[] _groupNumbers;

        public CategoryRegex(LexiconRule[] rules)
        {
            _rules = rules;
            var alternatives = rules.Select((r, i) => $"(?<r{i}>{RelaxDoubles(r.Pattern)})");
            // No match timeout: the patterns are ours, reviewed for nested unbounded quantifiers, and a timeout would
            // turn a slow machine (or the first call's JIT under load) into "classifier unavailable".
            Regex = new Regex(
                $"(?<![a-z0-9])(?:{string.Join('|', alternatives)})(?![a-z0-9])",
                RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
                Regex.InfiniteMatchTimeout);
            _groupNumbers = [.. rules.Select((_, i) => Regex.GroupNumberFromName($"r{i}"))];

            // Pay the JIT of the compiled matcher now, at startup, not on the first request.
            _ = Regex.IsMatch("warm up the matcher");
        }

        public Regex Regex { get; }

        public LexiconRule Resolve(string text, int index)
        {
            var match = Regex.Match(text, index);
            for (var i = 0; i < _groupNumbers.Length; i++)
            {
                if (match.Groups[_groupNumbers[i]].Success)
                {
                    return _rules[i];
                }
            }

            return _rules[^1];
        }
    }
}
