using Meridian.Safeguards.Policies;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests;

/// <summary>
/// A case keeps a bounded excerpt around each finding, labelled with the field it came from (issue 15), instead of the
/// request's whole body.
/// </summary>
public sealed class CaseExcerptsTests
{
    private const string Threat = "I will kill you";

    private static readonly Dictionary<string, string> ExpectedLocation = new()
    {
        ["system string"] = "system",
        ["system block"] = "system[0].text",
        ["user string"] = "messages[0].content",
        ["user block"] = "messages[0].content[0].text",
        ["assistant text"] = "messages[1].content",
        ["assistant thinking"] = "messages[1].content[0].thinking",
        ["tool_use input"] = "messages[1].content[0].input.message",
        ["tool_use input key"] = "messages[1].content[0].input." + Threat,
        ["tool_result string"] = "messages[2].content[0].content",
        ["tool_result block"] = "messages[2].content[0].content[0].text",
        ["tool_result JSON text"] = "messages[2].content[0].content",
        ["document text"] = "messages[0].content[0].source.data",
        ["document content"] = "messages[0].content[0].source.content[0].text",
        ["document title"] = "messages[0].content[0].title",
        ["document context"] = "messages[0].content[0].context",
        ["search result"] = "messages[0].content[0].content[0].text",
        ["unknown block"] = "messages[0].content[0].caption",
        ["tool description"] = "tools[0].description",
        ["tool schema"] = "tools[0].input_schema.properties.x.description",
    };

    private readonly Screener _screener = Screener.CreateDefault();

    [Theory]
    [MemberData(nameof(ScreenerTests.PlacesTextCanHide), MemberType = typeof(ScreenerTests))]
    public async Task The_excerpt_of_a_finding_names_the_field_it_was_found_in(string place, string body)
    {
        using var request = Request("""{"model":"m","max_tokens":10,""" + body.Replace("THREAT", Threat, StringComparison.Ordinal)[1..]);
        var verdict = await _screener.ScreenInputAsync(request, SafeguardPolicy.Default, Ct);

        var set = CaseExcerpts.Build(request, verdict);

        var excerpt = Assert.Single(set.Excerpts, e => e.Text.Contains(Threat, StringComparison.Ordinal));
        Assert.Equal(ExpectedLocation[place], excerpt.Location);
        Assert.Contains(excerpt.Findings, f => f.StartsWith("violence:", StringComparison.Ordinal));
        Assert.False(set.Truncated);
    }

    [Fact]
    public async Task Findings_close_together_share_one_excerpt_and_distant_ones_get_their_own()
    {
        var gap = new string('x', 20);
        var far = string.Join(' ', Enumerable.Repeat("calm harbor water", 200));
        var text = $"start {Threat}. {gap} {Threat} again. {far} Later: {Threat}. end";
        using var request = Request(RequestWithUserText(text));
        var verdict = await _screener.ScreenInputAsync(request, SafeguardPolicy.Default, Ct);

        var set = CaseExcerpts.Build(request, verdict, new ExcerptLimits { ContextChars = 20 });

        Assert.Equal(2, set.Excerpts.Count);
        Assert.Equal(2, CountOf(set.Excerpts[0].Text, Threat));
        Assert.Equal(1, CountOf(set.Excerpts[1].Text, Threat));
        Assert.All(set.Excerpts, e => Assert.Equal(text[e.Start..e.End], e.Text));
        Assert.All(set.Excerpts, e => Assert.Equal(text.Length, e.FieldChars));
        Assert.DoesNotContain("calm harbor water calm harbor water calm", string.Concat(set.Excerpts.Select(e => e.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Excerpts_stay_within_their_count_and_size_bounds_and_say_so_when_cut()
    {
        var text = string.Join(" lots of calm words in between here ", Enumerable.Repeat(Threat + ".", 100));
        using var request = Request(RequestWithUserText(text));
        var verdict = await _screener.ScreenInputAsync(request, SafeguardPolicy.Default, Ct);
        var limits = new ExcerptLimits { ContextChars = 5, MaxExcerpts = 4, MaxTotalChars = 60 };

        var set = CaseExcerpts.Build(request, verdict, limits);

        Assert.True(set.Truncated);
        Assert.InRange(set.Excerpts.Count, 1, limits.MaxExcerpts);
        Assert.InRange(set.Excerpts.Sum(e => e.Text.Length), 1, limits.MaxTotalChars);
    }

    private static string RequestWithUserText(string text) =>
        $$"""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":{{System.Text.Json.JsonSerializer.Serialize(text)}}}]}""";

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
