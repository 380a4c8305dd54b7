using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests.Classifiers;

/// <summary>A deployment's blocklist: whole-word terms in one automaton, patterns only where they run in linear time.</summary>
public sealed class BlocklistClassifierTests
{
    [Fact]
    public async Task Finds_every_term_as_a_whole_word_whatever_its_case_including_terms_inside_other_terms()
    {
        var classifier = Create(["red fox", "fox", "Fox Den"], []);
        const string Text = "A RED FOX near the fox den; foxes and redfox do not count.";

        var found = (await Classify(classifier, Text)).Select(f => Matched(Text, f).ToLowerInvariant()).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["fox", "fox", "fox den", "red fox"], found);
    }

    [Fact]
    public async Task Patterns_match_case_insensitively_and_are_findings_of_the_configured_category_and_severity()
    {
        var classifier = Create([], [@"\bticket-\d{4}\b"]);

        var finding = Assert.Single(await Classify(classifier, "see TICKET-2048 now"));

        Assert.Equal((SafetyCategory.Hate, Severity.Medium, BlocklistClassifier.PatternKind), (finding.Category, finding.Severity, finding.Kind));
        Assert.Equal("TICKET-2048", Matched("see TICKET-2048 now", finding));
    }

    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData("(?<=a)b")]
    [InlineData("(?>a+)b")]
    [InlineData("([a-z")]
    public void A_pattern_that_cannot_run_in_linear_time_or_does_not_parse_is_refused_naming_its_index(string pattern)
    {
        var classifier = BlocklistClassifier.Create([], ["ok", pattern], SafetyCategory.Hate, Severity.High, out var field, out var problem);

        Assert.Null(classifier);
        Assert.Equal("patterns[1]", field);
        Assert.Contains(pattern, problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terms_that_overlap_everywhere_find_whole_words_only_and_stop_at_the_findings_cap()
    {
        // Terms that are suffixes of one another: the worst case for an automaton's outputs.
        var classifier = Create([.. Enumerable.Range(1, 20).Select(n => new string('a', n))], []);

        Assert.Empty(await Classify(classifier, new string('a', 200_000))); // one long word: no term stands alone in it
        var words = await Classify(classifier, string.Join(' ', Enumerable.Repeat("aaa", 100_000)));
        Assert.Equal(32, words.Count);
        Assert.All(words, f => Assert.Equal(3, f.Length));
    }

    [Fact]
    public void Settings_errors_name_their_path()
    {
        Assert.False(DeploymentSafeguards.TryParse("""{"input":{"violence":{"extreme":"block"}}}""", out _, out var field, out _));
        Assert.Equal("safeguards.input.violence.extreme", field);
        Assert.False(DeploymentSafeguards.TryParse("""{"blocklist":{"terms":["x"]}}""", out _, out field, out _));
        Assert.Equal("safeguards.blocklist.category", field);
        Assert.False(DeploymentSafeguards.TryParse("""{"blocklist":{"terms":[""],"category":"hate"}}""", out _, out field, out _));
        Assert.Equal("safeguards.blocklist.terms[0]", field);
        Assert.False(DeploymentSafeguards.TryParse("""{"output":{"hate":{"high":"redact"}}}""", out _, out field, out _));
        Assert.Equal("safeguards.output.hate.high", field);
    }

    [Fact]
    public void Settings_apply_on_top_of_the_policy_and_report_what_they_would_loosen()
    {
        Assert.True(DeploymentSafeguards.TryParse("""{"input":{"violence":{"medium":"block","high":"annotate"}}}""", out var settings, out _, out _));

        var effective = settings.Apply(SafeguardPolicy.Default);

        Assert.Equal(SafeguardAction.Block, effective.ActionFor(ScreeningStage.Input, SafetyCategory.Violence, Severity.Medium));
        Assert.Equal(SafeguardAction.Annotate, effective.ActionFor(ScreeningStage.Input, SafetyCategory.Violence, Severity.High));
        Assert.Equal(["safeguards.input.violence.high"], settings.Loosened(SafeguardPolicy.Default));
    }

    private static BlocklistClassifier Create(string[] terms, string[] patterns)
    {
        var classifier = BlocklistClassifier.Create(terms, patterns, SafetyCategory.Hate, Severity.Medium, out var field, out var problem);
        Assert.True(classifier is not null, $"{field}: {problem}");
        return classifier;
    }
}
