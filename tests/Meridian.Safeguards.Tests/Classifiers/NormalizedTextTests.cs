using Meridian.Safeguards.Classifiers;

namespace Meridian.Safeguards.Tests.Classifiers;

public sealed class NormalizedTextTests
{
    [Theory]
    [InlineData("I'm GOING to k1ll", "im going to kill")]
    [InlineData("$uicide", "suicide")]
    [InlineData("h@te   speech!!!", "hate speech")]
    [InlineData("k i l l yourself", "kill yourself")]
    [InlineData("s.u.i.c.i.d.e", "suicide")]
    [InlineData("kiiiiill", "kill")]
    [InlineData("self-harm", "self harm")]
    [InlineData("in 1990, 3 people", "in 1990 3 people")] // numbers stay numbers
    [InlineData("I am a cat", "i am a cat")]                // two single letters are not glued
    [InlineData("ѕuісіdе", "suicide")]                      // Cyrillic look-alikes
    [InlineData("f*ck", "fck")]
    public void Folds_case_leet_spacing_and_look_alikes(string text, string normalized)
    {
        using var n = NormalizedText.Create(text);
        Assert.Equal(normalized, n.ToString());
    }

    [Fact]
    public void Every_normalized_span_maps_back_to_the_original_text()
    {
        const string text = "Well... I'm  g0ing to k i l l  it";
        using var n = NormalizedText.Create(text);
        var index = n.ToString().IndexOf("kill", StringComparison.Ordinal);

        var (start, end) = n.MapBack(index, 4);

        Assert.Equal("k i l l", text[start..end]);
    }
}
