using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Meridian.Safeguards.Classifiers;

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
    [InlineData("kill", "kill?")]
    [InlineData("(?:sleeping|pills)", "(?:slee?ping|pill?s)")]
    [InlineData(@"a\bb", @"a\bb")]
    public void Doubled_letters_become_optional_so_stretched_words_still_match(string pattern, string relaxed)
    {
        Assert.Equal(relaxed, LexiconMatcher.RelaxDoubles(pattern));
    }

    /// <summary>
    /// The lexicon regexes run without a match timeout, so they must stay linear: long runs of the words their
    /// repetitions and optional parts are built from must not make them backtrack.
    /// </summary>
    [Theory]
    [InlineData("ignore the previous previous ")]
    [InlineData("the the the ")]
    [InlineData("i will i will ")]
    [InlineData("kill kill the ")]
    [InlineData("a b c d e f ")]
    [InlineData("k1ll $uicide h@te ")]
    public async Task Adversarial_repetition_is_screened_in_linear_time(string unit)
    {
        var text = new StringBuilder().Insert(0, unit, 20_000 / unit.Length).ToString();
        IClassifier[] classifiers = [new HarmLexiconClassifier(), new PromptInjectionClassifier(), new PiiClassifier()];
        foreach (var classifier in classifiers)
        {
            await classifier.ClassifyAsync(new ScreeningText("warm up", TextSource.User), TestContext.Current.CancellationToken);
        }

        var watch = Stopwatch.StartNew();
        foreach (var classifier in classifiers)
        {
            await classifier.ClassifyAsync(new ScreeningText(text, TextSource.User), TestContext.Current.CancellationToken);
        }

        // ~20 KB: linear scanning takes milliseconds; backtracking would take minutes. Generous for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{watch.Elapsed} for 20 KB of '{unit}'");
    }
}
