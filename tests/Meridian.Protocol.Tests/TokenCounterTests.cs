using System.Text;
using Meridian.Protocol.Messages;

namespace Meridian.Protocol.Tests;

public sealed class TokenCounterTests
{
    private const string Paragraph =
        "The quick brown fox jumps over the lazy dog. Meridian is an Anthropic-compatible gateway that " +
        "routes Messages requests to backends, meters their usage, and streams server-sent events back. " +
        "Tokenizers split text into sub-word pieces; punctuation, numbers like 12345.678, and émojis 😀 count too.";

    private static MessagesRequest Parse(string json, bool isCountTokens = true)
    {
        Assert.True(MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(json), isCountTokens, out var request, out var error), error?.Message);
        return request;
    }

    [Fact]
    public void The_empty_string_has_zero_tokens()
    {
        Assert.Equal(0, TokenCounter.Count(string.Empty));
    }

    [Fact]
    public void A_single_word_has_at_least_one_token()
    {
        Assert.True(TokenCounter.Count("hello") >= 1);
    }

    [Fact]
    public void A_longer_text_has_more_tokens()
    {
        var shortCount = TokenCounter.Count("The quick brown fox.");
        var longCount = TokenCounter.Count(Paragraph);

        Assert.True(longCount > shortCount, $"{longCount} should exceed {shortCount}");
        Assert.True(TokenCounter.Count(Paragraph + " " + Paragraph) > longCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(17)]
    [InlineData(30)]
    public void Index_after_tokens_yields_a_prefix_with_exactly_n_tokens(int n)
    {
        Assert.True(TokenCounter.Count(Paragraph) > n);

        var index = TokenCounter.IndexAfterTokens(Paragraph, n);

        Assert.InRange(index, 1, Paragraph.Length - 1);
        Assert.Equal(n, TokenCounter.Count(Paragraph[..index]));
    }

    [Fact]
    public void Index_after_tokens_yields_a_prefix_with_exactly_n_tokens_for_plain_words()
    {
        var text = string.Join(' ', Enumerable.Repeat("alpha beta gamma delta", 20));
        for (var n = 1; n < 40; n++)
        {
            var index = TokenCounter.IndexAfterTokens(text, n);
            Assert.Equal(n, TokenCounter.Count(text[..index]));
        }
    }

    [Fact]
    public void Index_after_tokens_of_at_least_the_whole_count_is_the_whole_text()
    {
        var total = TokenCounter.Count(Paragraph);

        Assert.Equal(Paragraph.Length, TokenCounter.IndexAfterTokens(Paragraph, total));
        Assert.Equal(Paragraph.Length, TokenCounter.IndexAfterTokens(Paragraph, total + 100));
    }

    [Fact]
    public void Count_input_is_positive_for_a_single_short_message()
    {
        using var request = Parse("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.True(TokenCounter.CountInput(request) > TokenCounter.Count("Hi"));
    }

    [Fact]
    public void Count_input_grows_when_a_system_prompt_is_added()
    {
        using var plain = Parse("""{"model":"m","messages":[{"role":"user","content":"What is the capital of France?"}]}""");
        using var withSystem = Parse("""{"model":"m","system":"You are a meticulous geography tutor.","messages":[{"role":"user","content":"What is the capital of France?"}]}""");
        using var withSystemBlocks = Parse("""{"model":"m","system":[{"type":"text","text":"You are a meticulous geography tutor."}],"messages":[{"role":"user","content":"What is the capital of France?"}]}""");

        Assert.True(TokenCounter.CountInput(withSystem) > TokenCounter.CountInput(plain));
        Assert.True(TokenCounter.CountInput(withSystemBlocks) > TokenCounter.CountInput(plain));
    }

    [Fact]
    public void Count_input_grows_when_tools_are_added()
    {
        using var plain = Parse("""{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}]}""");
        using var withTools = Parse("""
            {"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}],
             "tools":[{"name":"get_weather","description":"Current weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}
            """);

        Assert.True(TokenCounter.CountInput(withTools) > TokenCounter.CountInput(plain));
    }

    [Fact]
    public void Count_input_grows_with_more_messages()
    {
        using var one = Parse("""{"model":"m","messages":[{"role":"user","content":"Hello there"}]}""");
        using var three = Parse("""{"model":"m","messages":[{"role":"user","content":"Hello there"},{"role":"assistant","content":"Hi! How can I help?"},{"role":"user","content":"Tell me a joke."}]}""");

        Assert.True(TokenCounter.CountInput(three) > TokenCounter.CountInput(one));
    }

    [Fact]
    public void Count_input_is_the_same_for_a_message_and_its_count_tokens_body()
    {
        using var message = Parse("""{"model":"m","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Hello there"}]}""", isCountTokens: false);
        using var count = Parse("""{"model":"m","messages":[{"role":"user","content":"Hello there"}]}""");

        Assert.Equal(TokenCounter.CountInput(count), TokenCounter.CountInput(message));
    }

    [Fact]
    public void Count_input_counts_tool_use_and_tool_result_content()
    {
        using var bare = Parse("""
            {"model":"m","messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":""}]}]}
            """);
        using var rich = Parse("""
            {"model":"m","messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":{"query":"a fairly long search query about tokenizers"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"Many results were found about byte pair encoding."}]}]}]}
            """);

        Assert.True(TokenCounter.CountInput(rich) > TokenCounter.CountInput(bare));
    }

    [Fact]
    public void Count_input_does_not_throw_for_any_body_the_parser_accepts()
    {
        // The parser passes block types it does not know through unchecked, so a non-string "text" in one is accepted;
        // counting must still work (count_tokens and quotas call CountInput on every accepted request).
        using var request = Parse("""
            {"model":"m","messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"hologram","text":5},{"type":"text","text":"ok"}]}]}]}
            """);

        var count = TokenCounter.CountInput(request);

        Assert.True(count > 0);
    }
}
