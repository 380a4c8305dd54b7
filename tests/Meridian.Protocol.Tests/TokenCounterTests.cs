using System.Text;
using Meridian.Protocol.Messages;
using Meridian.Testing;
using Microsoft.ML.Tokenizers;

namespace Meridian.Protocol.Tests;

public sealed class TokenCounterTests
{
    private const string Paragraph =
        "The quick brown fox jumps over the lazy dog. Meridian is an Anthropic-compatible gateway that " +
        "routes Messages requests to backends, meters their usage, and streams server-sent events back. " +
        "Tokenizers split text into sub-word pieces; punctuation, numbers like 12345.678, and émojis 😀 count too.";

    /// <summary>The tokenizer counting whole texts at once, as the counter did before issue 15: the reference for prose.</summary>
    private static readonly TiktokenTokenizer Whole = TiktokenTokenizer.CreateForEncoding("cl100k_base");

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

    public static TheoryData<string> ProseSamples() =>
    [
        Paragraph,
        AdversarialCorpus.Entries[0].Make(20_000),
        "Donaudampfschiffahrtsgesellschaftskapitän und Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz.",
        "public static int CountInput(MessagesRequest request, WorkBudget? budget) => ReserveCountTokensAsyncWithRetries(x);",
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"description\":\"The city, e.g. Paris\"}}}",
        "See https://docs.example.com/en/api/messages?lang=en&v=2#errors and /home/user/.claude/tasks/btcy65k4u.output for details.",
        "東京は日本の首都です。人口は約千四百万人で、世界で最も大きな都市圏の一つです。",
        "Ünïcödé ñoñsense — “curly quotes”, «guillemets», and emoji 👨‍👩‍👧 🇪🇺 in one line.\r\n\tIndented line.",
        "a line before <|endoftext|> a line after",
        "    indented code\n        more indented\n\n\n\nafter blank lines   trailing spaces   \n",
    ];

    [Theory]
    [MemberData(nameof(ProseSamples))]
    public void Prose_counts_exactly_as_the_tokenizer_counts_the_whole_text(string text)
    {
        Assert.Equal(Whole.CountTokens(text), TokenCounter.Count(text));
    }

    [Theory]
    [InlineData("one_letter")]
    [InlineData("random_letters")]
    [InlineData("cjk")]
    [InlineData("spaces")]
    [InlineData("emoji")]
    public void A_run_longer_than_a_piece_counts_within_a_few_per_cent_of_whole_run_BPE(string entry)
    {
        var text = Make(entry, 3_000);

        var whole = Whole.CountTokens(text);
        var sliced = TokenCounter.Count(text);

        Assert.InRange(sliced, whole * 0.95, whole * 1.05);
    }

    [Theory]
    [InlineData("one_letter", 700)]
    [InlineData("random_letters", 900)]
    public void Index_after_tokens_in_a_long_run_yields_a_prefix_with_exactly_n_tokens(string entry, int n)
    {
        var text = Make(entry, 10_000);

        var index = TokenCounter.IndexAfterTokens(text, n);

        Assert.InRange(index, 1, text.Length - 1);
        Assert.Equal(n, TokenCounter.Count(text[..index]));
    }

    /// <summary>A CJK char or an emoji may be several tokens: the cut never splits a char, so it may fall a token short.</summary>
    [Theory]
    [InlineData("cjk", 1_000)]
    [InlineData("emoji", 800)]
    public void Index_after_tokens_in_a_long_run_of_multi_token_chars_yields_at_most_n_tokens_and_whole_chars(string entry, int n)
    {
        var text = Make(entry, 10_000);

        var index = TokenCounter.IndexAfterTokens(text, n);

        Assert.InRange(index, 1, text.Length - 1);
        Assert.False(char.IsLowSurrogate(text[index]));
        Assert.InRange(TokenCounter.Count(text[..index]), n - 3, n);
    }

    public static TheoryData<string> CorpusEntries() => [.. AdversarialCorpus.Entries.Select(e => e.Name)];

    /// <summary>
    /// The work measure is what <see cref="WorkBudget"/> is charged: the pre-tokenizer's pass plus each piece's BPE cost
    /// model (quadratic in the piece, so a run handed to BPE whole shows up as superlinear work).
    /// </summary>
    [Theory]
    [MemberData(nameof(CorpusEntries))]
    public void Counting_work_doubles_when_the_input_doubles(string entry)
    {
        var single = CountingWork(Make(entry, 64_000));
        var twice = CountingWork(Make(entry, 128_000));

        Assert.InRange((double)twice / single, 1.8, 2.2);
    }

    [Theory]
    [MemberData(nameof(CorpusEntries))]
    public void Counting_work_per_MB_is_within_twice_that_of_prose(string entry)
    {
        var prose = Make(AdversarialCorpus.ProseName, 128_000);
        var text = Make(entry, 128_000);

        var prosePerByte = (double)CountingWork(prose) / AdversarialCorpus.Utf8Bytes(prose);
        var perByte = (double)CountingWork(text) / AdversarialCorpus.Utf8Bytes(text);

        Assert.True(perByte <= 2 * prosePerByte, $"{entry}: {perByte:F2} units per byte, prose {prosePerByte:F2}");
    }

    /// <summary>A run of one char or of a short unit repeats its 128-byte slices: only the first is merged, each other one
    /// is compared with the one before it and charged its bytes (the pre-tokenizer's pass is charged its chars).</summary>
    [Theory]
    [InlineData("one_letter")]
    [InlineData("equals")]
    [InlineData("newlines")]
    [InlineData("alternating_quotes")]
    public void A_long_run_of_a_repeated_unit_merges_one_slice_and_compares_the_others(string entry)
    {
        var text = Make(entry, 128_000);

        Assert.Equal(2L * text.Length + TokenCounter.Cost(TokenCounter.MaxPieceBytes) - TokenCounter.MaxPieceBytes, CountingWork(text));
        Assert.Equal(PieceByPiece(text), TokenCounter.Count(text));
    }

    [Fact]
    public void Counting_stops_when_the_request_is_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => TokenCounter.Count(Make("one_letter", 10_000), WorkBudget.Unlimited(cancelled.Token)));
    }

    [Fact]
    public void Counting_past_the_budget_is_refused()
    {
        var text = Make("random_letters", 10_000);
        var needed = CountingWork(text);

        Assert.Throws<WorkBudgetExceededException>(() => TokenCounter.Count(text, new WorkBudget(needed / 2)));
        Assert.Equal(TokenCounter.Count(text), TokenCounter.Count(text, new WorkBudget(needed)));
    }

    /// <summary>
    /// The counter merges each piece with its own byte-pair merge (no cache to miss); it must count every piece and slice
    /// exactly as the tokenizer itself does, on every corpus entry and on random text of every script, with lone
    /// surrogates and every byte width.
    /// </summary>
    [Theory]
    [MemberData(nameof(CorpusEntries))]
    public void Each_piece_counts_exactly_as_the_tokenizer_counts_it(string entry)
    {
        var text = Make(entry, 20_000);

        Assert.Equal(PieceByPiece(text), TokenCounter.Count(text));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_text_of_every_script_counts_exactly_as_the_tokenizer_counts_its_pieces(int seed)
    {
        var random = new Random(seed);
        string[] alphabets =
        [
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=",
            "0123456789abcdef", " \t\n\r", ".,;:!?'\"()[]{}<>-_*&^%$#@~`|\\",
            "éèêëàâäôöûüçñßøåæœÉÀÇ", "東京日本首都人口約千四百万世界大都市圏一", "한국어텍스트", "Здравствуймир", "😀👨‍👩‍👧🇪🇺✨🔥",
            "\uD800\uDC00\uDBFF\uDFFF\uD83D", "\u0301\u0308\u200D\uFEFF",
        ];
        var text = new StringBuilder();
        while (text.Length < 50_000)
        {
            var alphabet = alphabets[random.Next(alphabets.Length)];
            var run = random.Next(1, random.Next(2) == 0 ? 12 : 400);
            for (var i = 0; i < run; i++)
            {
                text.Append(alphabet[random.Next(alphabet.Length)]);
            }
        }

        var sample = text.ToString();
        Assert.Equal(PieceByPiece(sample), TokenCounter.Count(sample));
    }

    /// <summary>The reference: the tokenizer's own count of each pre-tokenizer piece, cut in the counter's slices.</summary>
    private static int PieceByPiece(string text)
    {
        var total = 0;
        foreach (var (offset, length) in Whole.PreTokenizer!.PreTokenize(text))
        {
            var piece = text.AsSpan(offset, length);
            while (!piece.IsEmpty)
            {
                var slice = piece[..TokenCounter.SliceLength(piece)];
                total += Whole.CountTokens(slice, considerPreTokenization: false);
                piece = piece[slice.Length..];
            }
        }

        return total;
    }

    private static string Make(string entry, int length) => AdversarialCorpus.Entries.Single(e => e.Name == entry).Make(length);

    private static long CountingWork(string text)
    {
        var meter = WorkBudget.Unlimited();
        TokenCounter.Count(text, meter);
        return meter.Spent;
    }
}
