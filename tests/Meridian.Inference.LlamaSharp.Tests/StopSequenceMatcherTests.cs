namespace Meridian.Inference.LlamaSharp.Tests;

public sealed class StopSequenceMatcherTests
{
    [Fact]
    public void Without_stop_sequences_text_passes_straight_through()
    {
        var matcher = new StopSequenceMatcher([]);

        Assert.Equal("hello", matcher.Push("hello", out var matched));
        Assert.Equal(-1, matched);
        Assert.Equal(string.Empty, matcher.Flush());
    }

    [Fact]
    public void A_match_spanning_pieces_is_found_and_none_of_it_is_emitted()
    {
        var matcher = new StopSequenceMatcher(["STOP"]);
        var emitted = string.Empty;

        emitted += matcher.Push("abc S", out var m1);
        emitted += matcher.Push("T", out var m2);
        emitted += matcher.Push("OP and more", out var m3);

        Assert.Equal((-1, -1, 0), (m1, m2, m3));
        Assert.Equal("abc ", emitted);
    }

    [Fact]
    public void Held_back_text_that_turns_out_not_to_match_is_emitted_in_order()
    {
        var matcher = new StopSequenceMatcher(["STOP"]);

        Assert.Equal("abc ", matcher.Push("abc ST", out _));
        Assert.Equal("STx", matcher.Push("x", out var matched));
        Assert.Equal(-1, matched);
        Assert.Equal("ST", matcher.Push("ST", out _) + matcher.Flush());
    }

    [Fact]
    public void The_earliest_match_wins_whichever_sequence_it_is()
    {
        var matcher = new StopSequenceMatcher(["world", "lo"]);

        Assert.Equal("hel", matcher.Push("hello world", out var matched));
        Assert.Equal(1, matched);
        Assert.Equal("lo", matcher.Sequence(matched));
    }

    [Fact]
    public void A_match_inside_one_piece_cuts_it()
    {
        var matcher = new StopSequenceMatcher(["\n\n"]);

        Assert.Equal("first", matcher.Push("first\n\nsecond", out var matched));
        Assert.Equal(0, matched);
    }

    [Fact]
    public void Empty_stop_sequences_never_match()
    {
        var matcher = new StopSequenceMatcher([string.Empty]);

        Assert.Equal("abc", matcher.Push("abc", out var matched));
        Assert.Equal(-1, matched);
    }

    [Fact]
    public void A_surrogate_pair_is_never_split_between_deltas()
    {
        var matcher = new StopSequenceMatcher([]);

        Assert.Equal("a", matcher.Push("a\uD83D", out _));
        Assert.Equal("\uD83D\uDE00", matcher.Push("\uDE00", out _));
    }

    [Fact]
    public void Multibyte_stop_sequences_match()
    {
        var matcher = new StopSequenceMatcher(["日本"]);

        Assert.Equal("x", matcher.Push("x日", out _));
        Assert.Equal(string.Empty, matcher.Push("本語", out var matched));
        Assert.Equal(0, matched);
    }
}
