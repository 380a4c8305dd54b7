using System.Text.RegularExpressions;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Tests.Evaluation;

namespace Meridian.Safeguards.Tests.Classifiers;

public sealed class LexiconRuleTests
{
    public static TheoryData<string, int> AllRules()
    {
        var data = new TheoryData<string, int>();
        for (var i = 0; i < HarmLexicon.Rules.Count; i++)
        {
            data.Add("harm", i);
        }

        for (var i = 0; i < PromptInjectionClassifier.Rules.Count; i++)
        {
            data.Add("injection", i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllRules))]
    public void Every_rule_is_a_valid_pattern_on_its_own(string set, int index)
    {
        var rule = set == "harm" ? HarmLexicon.Rules[index] : PromptInjectionClassifier.Rules[index];
        var exception = Record.Exception(() => new Regex(LexiconMatcher.RelaxDoubles(rule.Pattern)));
        Assert.True(exception is null, $"{set} rule {index} ({rule.Category}/{rule.Kind}/{rule.Severity}): {exception?.Message}");
    }

    [Theory]
    [InlineData("nude(?! beach)|naked", "nude|naked")]
    [InlineData("(?:(?<!(?:docker|git) )kill(?:s|ed)?(?! (?:it|time))|bomb)", "(?:kill(?:s|ed)?|bomb)")]
    [InlineData("(?<=a)b(?=c)", "b")]
    [InlineData(@"\(?!x|[(?!]y", @"\(?!x|[(?!]y")]
    [InlineData("a(?![)]b)c", "ac")]
    public void Lookarounds_are_left_out_of_the_prefilter_pattern(string pattern, string expected)
    {
        Assert.Equal(expected, LexiconMatcher.WithoutLookarounds(pattern));
    }

    /// <summary>
    /// The matcher tests the union of its rules first and runs them one by one only when it matches; that
    /// shortcut must never lose a finding. Expected: every rule compiled and run on its own, as the matcher did before.
    /// </summary>
    [Theory]
    [InlineData("harm")]
    [InlineData("injection")]
    public void The_union_prefilter_finds_exactly_what_every_rule_finds_on_its_own(string set)
    {
        var rules = set == "harm" ? HarmLexicon.Rules : PromptInjectionClassifier.Rules;
        Assert.NotNull(LexiconMatcher.CompileUnion(rules.Select(r => r.Pattern)));

        var matcher = new LexiconMatcher(rules);
        var separately = rules.Select(rule => (Rule: rule, Regex: LexiconMatcher.Compile(rule.Pattern), Unless: rule.Unless is { } u ? LexiconMatcher.CompileUnless(u) : null)).ToList();
        var texts = EvaluationSet.LoadBoth().Select(c => c.Text)
            .Append("The committee reviewed the quarterly figures; nothing here should match any rule at all.");
        var textsWithFindings = 0;
        foreach (var text in texts)
        {
            using var normalized = NormalizedText.Create(text);
            var expected = new List<Finding>();
            foreach (var (rule, regex, unless) in separately)
            {
                foreach (var match in regex.EnumerateMatches(normalized.Span))
                {
                    var after = normalized.Span[(match.Index + match.Length)..];
                    if (unless is not null && unless.IsMatch(after[..Math.Min(64, after.Length)]))
                    {
                        continue;
                    }

                    var (start, end) = normalized.MapBack(match.Index, match.Length);
                    expected.Add(new Finding(rule.Category, rule.Kind, rule.Severity, start, end - start));
                }
            }

            var actual = new List<Finding>();
            matcher.Match(normalized, actual, work: null);
            Assert.Equal(Ordered(expected), Ordered(actual));
            textsWithFindings += expected.Count > 0 ? 1 : 0;
        }

        // The comparison means something only if the corpus makes the rules fire.
        Assert.True(textsWithFindings >= 20, $"only {textsWithFindings} texts had {set} findings");

        static List<Finding> Ordered(List<Finding> findings) =>
            [.. findings.OrderBy(f => f.Start).ThenBy(f => f.Length).ThenBy(f => f.Kind, StringComparer.Ordinal).ThenBy(f => f.Severity).ThenBy(f => f.Category)];
    }

    [Theory]
    [InlineData("kill", "kill?")]
    [InlineData("(?:sleeping|pills)", "(?:slee?ping|pill?s)")]
    [InlineData(@"a\bb", @"a\bb")]
    public void Doubled_letters_become_optional_so_stretched_words_still_match(string pattern, string relaxed)
    {
        Assert.Equal(relaxed, LexiconMatcher.RelaxDoubles(pattern));
    }
}
