using System.Text.Json.Nodes;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Simulator.Tests;

public sealed class SimulatorBackendTests
{
    private const string Disclaimer = "I am the Meridian simulator, not a real model";

    [Fact]
    public async Task Same_request_twice_gives_byte_identical_streams()
    {
        var body = Sim.Ask("Tell me about harbours and lighthouses.");
        body["system"] = "You are a terse assistant.";

        var first = await Sim.RunAsync(body);
        var second = await Sim.RunAsync(JsonNode.Parse(body.ToJsonString())!);

        Assert.Equal(Sim.Sse(first), Sim.Sse(second));
    }

    [Fact]
    public async Task Different_conversations_get_different_filler()
    {
        var a = Sim.StreamedText(await Sim.RunAsync(Sim.Ask("first question")));
        var b = Sim.StreamedText(await Sim.RunAsync(Sim.Ask("second question")));

        Assert.NotEqual(Filler(a), Filler(b));
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("What is the capital of France?")]
    [InlineData("a b c d e f g")]
    [InlineData("Ünïcödé and emoji 🚀 survive")]
    public async Task Filler_length_is_between_30_and_80_words(string question)
    {
        var text = Sim.StreamedText(await Sim.RunAsync(Sim.Ask(question)));

        var words = Filler(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(words.Length, 30, 80);
    }

    [Fact]
    public async Task Text_answer_events_come_in_Anthropic_order()
    {
        var events = await Sim.RunAsync(Sim.Ask("Order, please."));

        Assert.Equal(
            ["message_start", "content_block_start(text)", "ping", "text_delta+", "content_block_stop", "message_delta", "message_stop"],
            Sim.CompactShape(events));
        Assert.All(events.OfType<TextDeltaEvent>(), e => Assert.Equal(0, e.Index));
        Assert.Equal(0, Assert.Single(events.OfType<ContentBlockStopEvent>()).Index);
        var start = Assert.IsType<MessageStartEvent>(events[0]);
        Assert.Equal("msg_test", start.MessageId);
        Assert.Equal(Sim.Model, start.Model);
    }

    [Fact]
    public async Task Each_text_delta_is_one_word_with_its_following_space()
    {
        var events = await Sim.RunAsync(Sim.Ask("Split me into words."));
        var deltas = events.OfType<TextDeltaEvent>().Select(e => e.Text).ToList();

        Assert.True(deltas.Count > 30);
        Assert.All(deltas[..^1], d => Assert.Matches("^[^ ]+ $", d));
        Assert.DoesNotContain(' ', deltas[^1]);
    }

    [Fact]
    public async Task Deltas_concatenate_to_the_aggregated_message_text()
    {
        var events = await Sim.RunAsync(Sim.Ask("Concatenate this."));

        var message = Sim.Aggregate(events);
        var block = Assert.IsType<AggregatedTextBlock>(Assert.Single(message.Blocks));
        Assert.Equal(Sim.StreamedText(events), block.Text);
        Assert.True(message.IsComplete);
    }

    [Fact]
    public async Task Answer_says_it_is_a_simulator_and_echoes_the_last_user_turn()
    {
        var text = Sim.StreamedText(await Sim.RunAsync(Sim.Ask("Is the ferry running on Sunday?")));

        Assert.StartsWith(Disclaimer, text, StringComparison.Ordinal);
        Assert.Contains("Is the ferry running on Sunday?", text, StringComparison.Ordinal);
        Assert.Contains("turn 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Echo_is_bounded_for_long_messages()
    {
        var longText = string.Concat(Enumerable.Repeat("lorem ipsum ", 500));

        var events = await Sim.RunAsync(Sim.Ask(longText, maxTokens: 100_000));

        var text = Sim.StreamedText(events);
        Assert.Contains(longText[..150], text, StringComparison.Ordinal);
        Assert.True(text.Length < 2000, $"answer was {text.Length} chars");
        Assert.Equal(StopReasons.EndTurn, Sim.Final(events).StopReason);
    }

    [Fact]
    public async Task System_prompt_is_acknowledged_by_its_first_words()
    {
        var body = Sim.Ask("Hi");
        body["system"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "You are Captain Nemo, master of the Nautilus, and you answer only in riddles." });

        var text = Sim.StreamedText(await Sim.RunAsync(body));

        Assert.Contains("You are Captain Nemo, master of the Nautilus,", text, StringComparison.Ordinal);
        Assert.DoesNotContain("riddles", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_system_prompt_none_is_mentioned()
    {
        var text = Sim.StreamedText(await Sim.RunAsync(Sim.Ask("Hi")));

        Assert.DoesNotContain("system prompt", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multi_turn_answer_names_the_turn_and_echoes_only_the_last_user_turn()
    {
        var body = new JsonObject
        {
            ["model"] = Sim.Model,
            ["max_tokens"] = 4096,
            ["messages"] = new JsonArray(
                Sim.User("first: pelicans"),
                Sim.Assistant("ok"),
                Sim.User("second: otters"),
                Sim.Assistant("ok"),
                Sim.User("third: herons")),
        };

        var text = Sim.StreamedText(await Sim.RunAsync(body));

        Assert.Contains("turn 3", text, StringComparison.Ordinal);
        Assert.Contains("third: herons", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pelicans", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_input_tokens_equal_TokenCounter_CountInput_in_start_and_delta()
    {
        var body = Sim.Ask("Count my tokens, please, all of them.");
        body["system"] = "Be brief.";
        using var request = Sim.Parse(body);

        var events = await Sim.RunAsync(request);

        var expected = TokenCounter.CountInput(request);
        Assert.Equal(expected, Assert.IsType<MessageStartEvent>(events[0]).Usage.InputTokens);
        Assert.Equal(1, Assert.IsType<MessageStartEvent>(events[0]).Usage.OutputTokens);
        Assert.Equal(expected, Sim.Final(events).Usage.InputTokens);
    }

    [Fact]
    public async Task Usage_output_tokens_count_the_emitted_text()
    {
        var events = await Sim.RunAsync(Sim.Ask("How many tokens did you say?"));

        Assert.Equal(TokenCounter.Count(Sim.StreamedText(events)), Sim.Final(events).Usage.OutputTokens);
    }

    [Fact]
    public async Task An_uncut_answer_ends_the_turn_with_no_stop_sequence()
    {
        var events = await Sim.RunAsync(Sim.Ask("Short one."));

        var final = Sim.Final(events);
        Assert.Equal(StopReasons.EndTurn, final.StopReason);
        Assert.Null(final.StopSequence);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(25)]
    [InlineData(60)]
    public async Task Max_tokens_cuts_the_answer_and_says_so(int maxTokens)
    {
        var question = "Please write a long answer about tides, currents and the moon.";
        var full = Sim.StreamedText(await Sim.RunAsync(Sim.Ask(question)));

        var events = await Sim.RunAsync(Sim.Ask(question, maxTokens));

        var text = Sim.StreamedText(events);
        var final = Sim.Final(events);
        Assert.Equal(StopReasons.MaxTokens, final.StopReason);
        Assert.Null(final.StopSequence);
        Assert.InRange(final.Usage.OutputTokens, 0, maxTokens);
        Assert.Equal(TokenCounter.Count(text), final.Usage.OutputTokens);
        Assert.StartsWith(text, full, StringComparison.Ordinal);
        Assert.True(text.Length < full.Length);
    }

    [Fact]
    public async Task Max_tokens_uses_the_whole_budget_when_cutting()
    {
        var events = await Sim.RunAsync(Sim.Ask("Tell me everything.", maxTokens: 12));

        Assert.Equal(12, Sim.Final(events).Usage.OutputTokens);
    }

    [Fact]
    public async Task Max_tokens_equal_to_the_answer_length_does_not_cut()
    {
        var question = "Exactly enough.";
        var full = Sim.Final(await Sim.RunAsync(Sim.Ask(question))).Usage.OutputTokens;

        var events = await Sim.RunAsync(Sim.Ask(question, (int)full));

        Assert.Equal(StopReasons.EndTurn, Sim.Final(events).StopReason);
        Assert.Equal(full, Sim.Final(events).Usage.OutputTokens);
    }

    [Fact]
    public async Task Stop_sequence_from_the_echoed_user_text_cuts_right_before_it()
    {
        var question = "alpha beta HALT-HERE gamma delta";
        var full = Sim.StreamedText(await Sim.RunAsync(Sim.Ask(question)));
        var body = Sim.Ask(question);
        body["stop_sequences"] = new JsonArray("HALT-HERE");

        var events = await Sim.RunAsync(body);

        var text = Sim.StreamedText(events);
        var final = Sim.Final(events);
        Assert.Equal(StopReasons.StopSequence, final.StopReason);
        Assert.Equal("HALT-HERE", final.StopSequence);
        Assert.Equal(full[..full.IndexOf("HALT-HERE", StringComparison.Ordinal)], text);
        Assert.EndsWith("alpha beta ", text, StringComparison.Ordinal);
        Assert.Equal(TokenCounter.Count(text), final.Usage.OutputTokens);
        Assert.Equal(text, Assert.IsType<AggregatedTextBlock>(Assert.Single(Sim.Aggregate(events).Blocks)).Text);
    }

    [Fact]
    public async Task Stop_sequence_that_never_appears_changes_nothing()
    {
        var plain = await Sim.RunAsync(Sim.Ask("nothing to see"));
        var body = Sim.Ask("nothing to see");
        body["stop_sequences"] = new JsonArray("\n\nHuman:", "ZZZ-NEVER");

        var events = await Sim.RunAsync(body);

        Assert.Equal(Sim.StreamedText(plain), Sim.StreamedText(events));
        Assert.Equal(StopReasons.EndTurn, Sim.Final(events).StopReason);
        Assert.Null(Sim.Final(events).StopSequence);
    }

    [Fact]
    public async Task Of_several_stop_sequences_the_first_to_complete_fires()
    {
        var body = Sim.Ask("one two three four");
        body["stop_sequences"] = new JsonArray("four", "two", "three");

        var events = await Sim.RunAsync(body);

        Assert.Equal("two", Sim.Final(events).StopSequence);
        Assert.EndsWith("one ", Sim.StreamedText(events), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shorter_stop_sequence_that_completes_first_wins_over_one_that_starts_earlier()
    {
        // A model streams token by token: "wo" is complete before "two three" is, so "wo" fires.
        var body = Sim.Ask("one two three four");
        body["stop_sequences"] = new JsonArray("two three", "wo");

        var events = await Sim.RunAsync(body);

        Assert.Equal("wo", Sim.Final(events).StopSequence);
        Assert.EndsWith("one t", Sim.StreamedText(events), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stop_sequence_beyond_max_tokens_does_not_fire()
    {
        var body = Sim.Ask("early words then LATE-MARKER at the end", maxTokens: 5);
        body["stop_sequences"] = new JsonArray("LATE-MARKER");

        var events = await Sim.RunAsync(body);

        Assert.Equal(StopReasons.MaxTokens, Sim.Final(events).StopReason);
        Assert.Null(Sim.Final(events).StopSequence);
        Assert.Equal(5, Sim.Final(events).Usage.OutputTokens);
    }

    [Fact]
    public async Task A_stop_sequence_within_max_tokens_wins_over_the_cut()
    {
        var body = Sim.Ask("xyzzy", maxTokens: 40);
        body["stop_sequences"] = new JsonArray("simulator");

        var events = await Sim.RunAsync(body);

        Assert.Equal(StopReasons.StopSequence, Sim.Final(events).StopReason);
        Assert.Equal("I am the Meridian ", Sim.StreamedText(events));
    }

    [Fact]
    public async Task A_stop_sequence_at_the_very_start_gives_an_empty_text_block()
    {
        var body = Sim.Ask("anything");
        body["stop_sequences"] = new JsonArray("I am");

        var events = await Sim.RunAsync(body);

        Assert.Equal(string.Empty, Sim.StreamedText(events));
        Assert.Equal(0, Sim.Final(events).Usage.OutputTokens);
        Assert.Equal(
            ["message_start", "content_block_start(text)", "ping", "content_block_stop", "message_delta", "message_stop"],
            Sim.CompactShape(events));
    }

    [Fact]
    public async Task Answer_depends_on_the_conversation_not_on_stream_or_model()
    {
        var a = Sim.Ask("same words");
        var b = Sim.Ask("same words");
        b["stream"] = true;
        b["model"] = "another-model";

        Assert.Equal(Sim.StreamedText(await Sim.RunAsync(a)), Sim.StreamedText(await Sim.RunAsync(b)));
    }

    [Fact]
    public async Task Text_holding_an_escaped_unpaired_surrogate_still_gets_a_complete_answer()
    {
        // Legal JSON that no .NET string can hold; the parser lets text blocks through unread.
        using var request = Sim.Parse("""{"model":"m","max_tokens":300,"messages":[{"role":"user","content":[{"type":"text","text":"odd \ud800 text"}]}]}""");

        var events = await Sim.RunAsync(request);

        Assert.IsType<MessageStopEvent>(events[^1]);
        Assert.StartsWith(Disclaimer, Sim.StreamedText(events), StringComparison.Ordinal);
    }

    /// <summary>The hash-chosen words after the turn sentence.</summary>
    private static string Filler(string text)
    {
        const string Marker = "of our conversation.";
        var index = text.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(index >= 0, text);
        return text[(index + Marker.Length)..];
    }
}
