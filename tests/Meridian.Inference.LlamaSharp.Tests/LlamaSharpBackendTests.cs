using Meridian.Protocol;
using Meridian.Protocol.Streaming;

namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>Real generation with llama.cpp on the tiny random-weight GGUF.</summary>
public sealed class LlamaSharpBackendTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LlamaSharpBackend Backend => model.Backend;

    [Fact]
    public async Task Generates_real_tokens_in_the_exact_Anthropic_event_order()
    {
        using var call = Requests.Simple(12);
        var (events, message) = await Requests.RunAsync(Backend, call.Value, Ct);

        Assert.IsType<MessageStartEvent>(events[0]);
        Assert.Equal(new ContentBlockStartEvent(0, TextBlockHeader.Instance), events[1]);
        var deltas = events.Skip(2).TakeWhile(e => e is TextDeltaEvent).Cast<TextDeltaEvent>().ToList();
        Assert.NotEmpty(deltas);
        Assert.All(deltas, d => Assert.Equal(0, d.Index));
        Assert.Equal(new ContentBlockStopEvent(0), events[2 + deltas.Count]);
        Assert.IsType<MessageDeltaEvent>(events[3 + deltas.Count]);
        Assert.Same(MessageStopEvent.Instance, events[4 + deltas.Count]);
        Assert.Equal(5 + deltas.Count, events.Count);

        var start = (MessageStartEvent)events[0];
        Assert.Equal("msg_test", start.MessageId);
        Assert.Equal("tiny-llama", start.Model);
        Assert.True(start.Usage.InputTokens > 0);

        Assert.True(message.IsComplete);
        Assert.Equal(string.Concat(deltas.Select(d => d.Text)), message.Text());
        Assert.False(string.IsNullOrWhiteSpace(message.Text()));
        Assert.Equal(start.Usage.InputTokens, message.Usage.InputTokens);
    }

    [Fact]
    public async Task The_same_request_gets_the_same_answer()
    {
        using var first = Requests.Simple(24);
        using var second = Requests.Simple(24);
        var (_, a) = await Requests.RunAsync(Backend, first.Value, Ct);
        var (_, b) = await Requests.RunAsync(Backend, second.Value, Ct);

        Assert.Equal(a.Text(), b.Text());
        Assert.Equal(a.Usage, b.Usage);
    }

    [Fact]
    public async Task Max_tokens_is_respected_and_reported()
    {
        foreach (var maxTokens in new[] { 1, 7, 40 })
        {
            using var call = Requests.Simple(maxTokens);
            var (_, message) = await Requests.RunAsync(Backend, call.Value, Ct);

            Assert.Equal(StopReasons.MaxTokens, message.StopReason);
            Assert.Null(message.StopSequence);
            Assert.Equal(maxTokens, message.Usage.OutputTokens);
        }
    }

    [Fact]
    public async Task Input_tokens_are_the_prompt_length_in_the_models_tokens()
    {
        using var shortCall = Requests.Simple(1);
        using var longCall = Requests.Call("""
            {"model":"tiny","max_tokens":1,"system":"You are terse.","messages":[
              {"role":"user","content":"Hello there, tiny model!"},
              {"role":"assistant","content":"Hello."},
              {"role":"user","content":[{"type":"text","text":"Tell me about the quick brown fox."}]}]}
            """);
        var (_, a) = await Requests.RunAsync(Backend, shortCall.Value, Ct);
        var (_, b) = await Requests.RunAsync(Backend, longCall.Value, Ct);

        Assert.True(a.Usage.InputTokens > 5);
        Assert.Equal(Backend.CountInputTokens(shortCall.Value.Request), a.Usage.InputTokens);
        Assert.True(b.Usage.InputTokens > a.Usage.InputTokens + 20);
    }

    [Fact]
    public async Task A_stop_sequence_from_the_answer_cuts_the_next_answer_before_it()
    {
        using var first = Requests.Simple(48);
        var (referenceEvents, reference) = await Requests.RunAsync(Backend, first.Value, Ct);
        var text = reference.Text();

        // A stop sequence that spans two deltas of the first answer (the end of one, the start of the next), so the
        // matcher must hold text back across tokens to find it.
        var deltas = referenceEvents.OfType<TextDeltaEvent>().Select(d => d.Text).ToList();
        var at = Enumerable.Range(deltas.Count / 2, deltas.Count / 2 - 1).First(i => deltas[i].Length >= 2 && deltas[i + 1].Length >= 1);
        var stop = deltas[at][^2..] + deltas[at + 1][..1];
        var expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];
        using var second = Requests.Simple(48, $$""","stop_sequences":["zzzz-not-there",{{System.Text.Json.JsonSerializer.Serialize(stop)}}]""");
        var (events, cut) = await Requests.RunAsync(Backend, second.Value, Ct);

        Assert.Equal(StopReasons.StopSequence, cut.StopReason);
        Assert.Equal(stop, cut.StopSequence);
        Assert.Equal(expected, cut.Text());
        Assert.DoesNotContain(stop, string.Concat(events.OfType<TextDeltaEvent>().Select(d => d.Text)), StringComparison.Ordinal);
        Assert.True(cut.Usage.OutputTokens <= at + 2, $"generation stopped at the token that completed the match ({cut.Usage.OutputTokens} tokens)");
    }

    [Fact]
    public async Task Cancellation_stops_generation_between_tokens()
    {
        using var call = Requests.Simple(200);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var deltas = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var streamEvent in Backend.StreamAsync(call.Value, cancellation.Token))
            {
                if (streamEvent is TextDeltaEvent && ++deltas == 3)
                {
                    await cancellation.CancelAsync();
                }
            }
        });

        Assert.Equal(3, deltas);

        // The context went back to the pool: the backend still answers.
        using var next = Requests.Simple(3);
        var (_, message) = await Requests.RunAsync(Backend, next.Value, Ct);
        Assert.Equal(StopReasons.MaxTokens, message.StopReason);
    }

    [Fact]
    public async Task Concurrent_requests_all_complete_with_the_same_answer()
    {
        using var reference = Requests.Simple(32);
        var (_, expected) = await Requests.RunAsync(Backend, reference.Value, Ct);

        var calls = Enumerable.Range(0, 6).Select(_ => Requests.Simple(32)).ToList();
        try
        {
            var answers = await Task.WhenAll(calls.Select(c => Task.Run(() => Requests.RunAsync(Backend, c.Value, Ct), Ct)));
            Assert.All(answers, a =>
            {
                Assert.Equal(expected.Text(), a.Message.Text());
                Assert.Equal(32, a.Message.Usage.OutputTokens);
            });
        }
        finally
        {
            calls.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_required_tool_call_is_refused_before_the_first_event()
    {
        using var call = Requests.Call("""
            {"model":"tiny","max_tokens":8,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],
             "tool_choice":{"type":"any"},"messages":[{"role":"user","content":"Weather?"}]}
            """);

        var error = await Assert.ThrowsAsync<BackendException>(async () => await Requests.RunAsync(Backend, call.Value, Ct));

        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.ErrorType);
        Assert.Contains("does not support tools", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tools_that_are_merely_offered_are_ignored()
    {
        using var call = Requests.Call("""
            {"model":"tiny","max_tokens":4,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":"Weather?"}]}
            """);
        var (_, message) = await Requests.RunAsync(Backend, call.Value, Ct);

        Assert.Equal(StopReasons.MaxTokens, message.StopReason);
        Assert.Single(message.Blocks);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_refused_before_the_first_event()
    {
        var words = string.Join(' ', Enumerable.Repeat("hello", TinyGguf.Context));
        using var call = Requests.Call($$"""{"model":"tiny","max_tokens":4,"messages":[{"role":"user","content":"{{words}}"}]}""");

        var error = await Assert.ThrowsAsync<BackendException>(async () => await Requests.RunAsync(Backend, call.Value, Ct));

        Assert.Equal(400, error.Status);
        Assert.Contains("prompt is too long", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_tokens_beyond_the_context_stops_at_the_context_end()
    {
        using var call = Requests.Simple(4096);
        var (_, message) = await Requests.RunAsync(Backend, call.Value, Ct);

        Assert.Equal(StopReasons.MaxTokens, message.StopReason);
        Assert.Equal(TinyGguf.Context, message.Usage.InputTokens + message.Usage.OutputTokens);
    }

    [Fact]
    public async Task A_sampled_request_still_completes()
    {
        using var call = Requests.Simple(16, ""","temperature":1.0,"top_p":0.9,"top_k":20""");
        var (_, message) = await Requests.RunAsync(Backend, call.Value, Ct);

        Assert.Equal(16, message.Usage.OutputTokens);
        Assert.NotEmpty(message.Text());
    }
}
