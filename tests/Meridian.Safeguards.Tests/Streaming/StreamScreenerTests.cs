using System.Text;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;
using Meridian.Safeguards.Streaming;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests.Streaming;

public sealed class StreamScreenerTests
{
    private static readonly SafeguardPolicy RedactEmails =
        SafeguardPolicy.Default.WithAction(ScreeningStage.Output, SafetyCategory.Pii, Severity.Low, SafeguardAction.Redact);

    private readonly Screener _screener = Screener.CreateDefault();

    /// <summary>A backend's stream: message start, one text block of these deltas, stop events.</summary>
    private static async IAsyncEnumerable<StreamEvent> Upstream(IEnumerable<string> deltas, Action? onDisposed = null)
    {
        try
        {
            yield return new MessageStartEvent("msg_1", "m", new Usage(10, 0));
            yield return new ContentBlockStartEvent(0, TextBlockHeader.Instance);
            foreach (var delta in deltas)
            {
                await Task.Yield();
                yield return new TextDeltaEvent(0, delta);
            }

            yield return new ContentBlockStopEvent(0);
            yield return new MessageDeltaEvent(StopReasons.EndTurn, null, new Usage(10, 5));
            yield return MessageStopEvent.Instance;
        }
        finally
        {
            onDisposed?.Invoke();
        }
    }

    private static async Task<List<StreamEvent>> Collect(StreamScreener screener, IAsyncEnumerable<StreamEvent> events)
    {
        var list = new List<StreamEvent>();
        await foreach (var e in screener.ScreenAsync(events, Ct))
        {
            list.Add(e);
        }

        return list;
    }

    private static string Text(IEnumerable<StreamEvent> events) => string.Concat(events.OfType<TextDeltaEvent>().Select(d => d.Text));

    private static IEnumerable<string> Split(string text, Random random, int maxDelta)
    {
        for (var i = 0; i < text.Length;)
        {
            var n = Math.Min(text.Length - i, random.Next(1, maxDelta + 1));
            yield return text.Substring(i, n);
            i += n;
        }
    }

    private static string LongAnswer(int chars)
    {
        var b = new StringBuilder();
        string[] words = ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog.", "Gateways", "screen", "streams", "incrementally,", "🙂", "naïve", "façade", "\n"];
        var random = new Random(7);
        while (b.Length < chars)
        {
            b.Append(words[random.Next(words.Length)]).Append(' ');
        }

        return b.ToString();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Deltas_concatenate_to_exactly_the_original_text_when_nothing_is_redacted(int seed)
    {
        var answer = LongAnswer(5_000);
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);

        var events = await Collect(screener, Upstream(Split(answer, new Random(seed), 40)));

        Assert.Equal(answer, Text(events));
        Assert.All(events.OfType<TextDeltaEvent>(), d => Assert.False(d.Text.Length > 0 && char.IsHighSurrogate(d.Text[^1]), "a delta ends inside a surrogate pair"));
        Assert.Equal("allow", screener.Verdict.Compact);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_deployments_blocklist_term_split_across_deltas_far_into_a_long_answer_blocks_it_before_release(int seed)
    {
        var blocklist = BlocklistClassifier.Create(["project nightjar"], [@"\bacct-\d{6}\b"], SafetyCategory.Violence, Severity.High, out _, out _)!;
        var answer = LongAnswer(3_000) + " the codename is Project Nightjar, as agreed. " + LongAnswer(3_000);
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default, [blocklist]);

        var events = await Collect(screener, Upstream(Split(answer, new Random(seed), 7)));

        Assert.IsType<ErrorEvent>(events[^1]);
        Assert.DoesNotContain("Nightjar", Text(events), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("block:violence=high", screener.Verdict.Compact);
        Assert.Contains(BlocklistClassifier.ClassifierName, screener.Verdict.Classifiers);
    }

    [Fact]
    public async Task A_blocklist_pattern_on_an_answer_is_seen_whole_and_the_same_answer_passes_without_the_blocklist()
    {
        var blocklist = BlocklistClassifier.Create([], [@"\bacct-\d{6}\b"], SafetyCategory.Violence, Severity.High, out _, out _)!;
        var answer = LongAnswer(2_000) + " close ACCT-123456 today " + LongAnswer(500);

        var listed = _screener.CreateStreamScreener(SafeguardPolicy.Default, [blocklist]);
        var blocked = await Collect(listed, Upstream(Split(answer, new Random(5), 3)));
        var plain = _screener.CreateStreamScreener(SafeguardPolicy.Default);
        var passed = await Collect(plain, Upstream(Split(answer, new Random(5), 3)));

        Assert.IsType<ErrorEvent>(blocked[^1]);
        Assert.DoesNotContain("ACCT-123456", Text(blocked), StringComparison.Ordinal);
        Assert.Equal(answer, Text(passed));
    }

    [Fact]
    public async Task Non_text_events_keep_their_order_after_the_text_of_their_block()
    {
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);

        var events = await Collect(screener, Upstream(["Hello ", "world."]));

        Assert.IsType<MessageStartEvent>(events[0]);
        Assert.IsType<ContentBlockStartEvent>(events[1]);
        Assert.Equal("Hello world.", Assert.IsType<TextDeltaEvent>(events[2]).Text); // short answers are released at the block's end
        Assert.IsType<ContentBlockStopEvent>(events[3]);
        Assert.IsType<MessageDeltaEvent>(events[4]);
        Assert.IsType<MessageStopEvent>(events[5]);
    }

    [Fact]
    public async Task Held_back_text_never_exceeds_the_window_and_a_word_and_text_flows_before_the_answer_ends()
    {
        var answer = LongAnswer(20_000);
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);
        var produced = 0;
        var releasedWhileProducing = 0;
        var maxHeld = 0;

        await foreach (var e in screener.ScreenAsync(Counting(Upstream(Split(answer, new Random(3), 25))), Ct))
        {
            if (e is TextDeltaEvent)
            {
                releasedWhileProducing += produced < answer.Length ? 1 : 0;
            }

            maxHeld = Math.Max(maxHeld, screener.HeldChars);
        }

        // A word crossing the release point is held back whole, so the window may grow by the longest word.
        var longestWord = answer.Split([' ', '\n']).Max(w => w.Length);
        Assert.True(maxHeld <= _screener.WindowChars + longestWord, $"held {maxHeld} > window {_screener.WindowChars} + longest word {longestWord}");
        Assert.True(screener.MaxHeldChars <= _screener.WindowChars + longestWord);
        Assert.True(releasedWhileProducing > 100, "text must be released while the backend is still producing");

        async IAsyncEnumerable<StreamEvent> Counting(IAsyncEnumerable<StreamEvent> inner)
        {
            await foreach (var e in inner)
            {
                if (e is TextDeltaEvent d)
                {
                    produced += d.Text.Length;
                }

                yield return e;
            }
        }
    }

    [Fact]
    public async Task A_minimum_release_batches_rescans_and_bounds_held_text_by_window_plus_batch()
    {
        var answer = LongAnswer(5_000);
        var screener = new Screener(Screener.BuiltInClassifiers(), options: new ScreenerOptions { StreamMinReleaseChars = 64 });
        var stream = screener.CreateStreamScreener(SafeguardPolicy.Default);
        var maxHeld = 0;
        var deltas = 0;
        var text = new StringBuilder();

        await foreach (var e in stream.ScreenAsync(Upstream(Split(answer, new Random(9), 8)), Ct))
        {
            maxHeld = Math.Max(maxHeld, stream.HeldChars);
            if (e is TextDeltaEvent d)
            {
                deltas++;
                text.Append(d.Text);
            }
        }

        Assert.Equal(answer, text.ToString());
        Assert.True(maxHeld <= screener.WindowChars + 64 + 8, $"held {maxHeld}");
        Assert.True(deltas < answer.Length / 64 + 2, $"{deltas} releases for {answer.Length} chars");
    }

    [Fact]
    public async Task A_card_number_split_across_two_deltas_is_found_and_redacted()
    {
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);
        var padding = new string('x', 300) + " ";

        var events = await Collect(screener, Upstream([padding + "Your card 4111 1111 ", "1111 1111 is on file. " + padding]));

        Assert.Equal(padding + "Your card [REDACTED:payment_card] is on file. " + padding, Text(events));
        Assert.Equal("redact:pii=high", screener.Verdict.Compact);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public async Task Redaction_rewrites_held_text_however_the_deltas_fall(int maxDelta)
    {
        var before = LongAnswer(700);
        var answer = before + "Contact jane.doe@contoso.com or call +44 20 7946 0958 today. " + before;
        var screener = _screener.CreateStreamScreener(RedactEmails);

        var events = await Collect(screener, Upstream(Split(answer, new Random(maxDelta), maxDelta)));

        Assert.Equal(before + "Contact [REDACTED:email] or call [REDACTED:phone] today. " + before, Text(events));
        Assert.True(screener.MaxHeldChars <= 2 * _screener.WindowChars);
    }

    /// <summary>Issue 15: a secret split across deltas is redacted whole, and a path passes untouched, however the
    /// deltas fall.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(40)]
    public async Task A_secret_split_across_deltas_is_redacted_whole_and_a_path_passes_untouched(int maxDelta)
    {
        var before = LongAnswer(400);
        const string path = "/home/dev/.claude/projects/-work-main/e1a6f0c2-7b3d-4c9e-8f21-Zx8Kq2Lm9Rt4Vb7N/tasks/btcy65k4u.output";
        var answer = $"{before}The JWT is {Classifiers.PiiClassifierTests.Jwt} and the key {Classifiers.PiiClassifierTests.AnthropicKey}; logs in {path} now. {before}";
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);

        var events = await Collect(screener, Upstream(Split(answer, new Random(maxDelta), maxDelta)));

        Assert.Equal($"{before}The JWT is [REDACTED:secret] and the key [REDACTED:secret]; logs in {path} now. {before}", Text(events));
    }

    [Fact]
    public async Task A_secret_is_redacted_whole_when_the_answer_is_screened_at_once()
    {
        var text = $"Use {Classifiers.PiiClassifierTests.AnthropicKey} with the file ~/work/tasks/btcy65k4u.output please.";

        var screened = await _screener.ScreenTextAsync(text, TextSource.Output, SafeguardPolicy.Default, Ct);

        Assert.Equal("Use [REDACTED:secret] with the file ~/work/tasks/btcy65k4u.output please.", screened.Text);
    }

    [Fact]
    public async Task A_redactable_match_never_leaks_in_part_before_it_is_complete()
    {
        // The email grows one char per delta: no released delta may contain any prefix of it long enough to identify.
        var answer = new string('a', 200) + " write to someone.very.long.name@subdomain.contoso.com now " + new string('b', 200);
        var screener = _screener.CreateStreamScreener(RedactEmails);

        var events = await Collect(screener, Upstream(answer.Select(c => c.ToString())));

        Assert.DoesNotContain(events.OfType<TextDeltaEvent>(), d => d.Text.Contains("someone", StringComparison.Ordinal) || d.Text.Contains("contoso", StringComparison.Ordinal));
        Assert.Contains("[REDACTED:email]", Text(events), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_block_ends_the_stream_with_an_error_event_and_no_further_text()
    {
        var disposed = false;
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);
        var safe = LongAnswer(1_000);
        var deltas = Split(safe + "First, here is how to make a pipe bomb at home: take " + safe, new Random(1), 12);

        var events = await Collect(screener, Upstream(deltas, () => disposed = true));

        var error = Assert.IsType<ErrorEvent>(events[^1]);
        Assert.Equal(ErrorTypes.InvalidRequest, error.ErrorType);
        Assert.Equal("Output blocked by content filtering policy 'default': violence (high).", error.Message);
        Assert.DoesNotContain("pipe bomb", Text(events), StringComparison.Ordinal);
        Assert.StartsWith(Text(events), safe, StringComparison.Ordinal); // only text from before the match was released
        Assert.DoesNotContain(events, e => e is MessageStopEvent or ContentBlockStopEvent);
        Assert.True(disposed, "the upstream (and so the backend) is released when the stream is blocked");
        Assert.True(screener.Completed);
        Assert.Equal("block:violence=high", screener.Verdict.Compact);
    }

    [Fact]
    public async Task A_flag_lets_the_text_through_and_records_the_finding()
    {
        const string answer = "Some say that someone should shoot that politician, but violence is never the answer.";
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);

        var events = await Collect(screener, Upstream(Split(answer, new Random(2), 5)));

        Assert.Equal(answer, Text(events));
        Assert.Equal("flag:violence=medium", screener.Verdict.Compact);
        Assert.True(screener.Verdict.RequiresReview);
    }

    [Fact]
    public async Task Pings_pass_straight_through_without_releasing_held_text()
    {
        async IAsyncEnumerable<StreamEvent> WithPing()
        {
            yield return new ContentBlockStartEvent(0, TextBlockHeader.Instance);
            yield return new TextDeltaEvent(0, "Hello ");
            yield return PingEvent.Instance;
            yield return new TextDeltaEvent(0, "world");
            yield return new ContentBlockStopEvent(0);
            await Task.CompletedTask;
        }

        var events = await Collect(_screener.CreateStreamScreener(SafeguardPolicy.Default), WithPing());

        Assert.IsType<PingEvent>(events[1]);
        Assert.Equal("Hello world", Assert.IsType<TextDeltaEvent>(events[2]).Text);
    }

    [Fact]
    public async Task Text_of_separate_blocks_is_screened_and_released_per_block()
    {
        async IAsyncEnumerable<StreamEvent> TwoBlocks()
        {
            yield return new ContentBlockStartEvent(0, TextBlockHeader.Instance);
            yield return new TextDeltaEvent(0, "Call me at jane@");
            yield return new ContentBlockStopEvent(0);
            yield return new ContentBlockStartEvent(1, new ToolUseBlockHeader("t1", "lookup"));
            yield return new InputJsonDeltaEvent(1, "{\"q\":\"x\"}");
            yield return new ContentBlockStopEvent(1);
            yield return new ContentBlockStartEvent(2, TextBlockHeader.Instance);
            yield return new TextDeltaEvent(2, "contoso.com later");
            yield return new ContentBlockStopEvent(2);
            await Task.CompletedTask;
        }

        var events = await Collect(_screener.CreateStreamScreener(RedactEmails), TwoBlocks());
        var deltas = events.OfType<TextDeltaEvent>().ToList();

        // Blocks are separate texts: no email spans two blocks, and each delta keeps its block index.
        Assert.Equal([(0, "Call me at jane@"), (2, "contoso.com later")], deltas.Select(d => (d.Index, d.Text)));
        Assert.Equal("{\"q\":\"x\"}", Assert.Single(events.OfType<InputJsonDeltaEvent>()).PartialJson);
    }

    [Fact]
    public async Task External_classifiers_see_the_output_in_segments_and_can_end_the_stream()
    {
        var external = new ScriptedClassifier("llama_guard", t =>
            t.Text.Span.Contains("forbidden", StringComparison.Ordinal)
                ? ClassifierResult.Of([new Finding(SafetyCategory.Violence, HarmKinds.External, Severity.High, 0, t.Text.Length)])
                : ClassifierResult.None);
        var screener = new Screener([.. Screener.BuiltInClassifiers(), external], options: new ScreenerOptions { StreamSegmentChars = 500 });
        var answer = LongAnswer(2_000) + " the forbidden part " + LongAnswer(2_000);
        var stream = screener.CreateStreamScreener(SafeguardPolicy.Default);

        var events = await Collect(stream, Upstream(Split(answer, new Random(4), 30)));

        Assert.IsType<ErrorEvent>(events[^1]);
        Assert.DoesNotContain("forbidden", Text(events), StringComparison.Ordinal);
        Assert.InRange(external.Calls, 3, 6); // a few segments, not one call per delta
        Assert.All(external.Seen, s => Assert.True(s.Length >= 500 || s.Contains("forbidden", StringComparison.Ordinal)));
        Assert.Equal("block:violence=high", stream.Verdict.Compact);
    }

    [Fact]
    public async Task An_unavailable_external_classifier_annotates_when_failing_open_and_ends_the_stream_when_failing_closed()
    {
        var down = new ScriptedClassifier("llama_guard", _ => ClassifierResult.Unavailable("timeout"));
        var screener = new Screener([.. Screener.BuiltInClassifiers(), down]);
        const string answer = "A perfectly ordinary answer.";

        var open = screener.CreateStreamScreener(SafeguardPolicy.Default);
        var openEvents = await Collect(open, Upstream([answer]));
        var closed = screener.CreateStreamScreener(SafeguardPolicy.Default.WithFailureMode(ClassifierFailureMode.Closed));
        var closedEvents = await Collect(closed, Upstream([answer]));

        Assert.Equal(answer, Text(openEvents));
        Assert.Equal("annotate:unavailable=llama_guard", open.Verdict.Compact);
        var error = Assert.IsType<ErrorEvent>(closedEvents[^1]);
        Assert.Contains("classifier 'llama_guard' was unavailable (timeout)", error.Message, StringComparison.Ordinal);
        Assert.Equal("", Text(closedEvents));
    }

    [Fact]
    public async Task A_screener_screens_one_stream_only()
    {
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);
        await Collect(screener, Upstream(["a"]));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Collect(screener, Upstream(["b"])));
    }

    [Fact]
    public async Task The_verdict_is_final_even_when_the_client_goes_away_mid_stream()
    {
        var screener = _screener.CreateStreamScreener(SafeguardPolicy.Default);
        var count = 0;
        await foreach (var _ in screener.ScreenAsync(Upstream(Split(LongAnswer(3_000) + " card 4111111111111111 " + LongAnswer(3_000), new Random(5), 20)), Ct))
        {
            if (++count == 5)
            {
                break;
            }
        }

        Assert.True(screener.Completed);
        Assert.Equal(0, screener.HeldChars);
    }
}
