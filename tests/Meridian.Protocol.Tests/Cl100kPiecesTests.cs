using System.Text;
using Meridian.Protocol.Messages;
using Meridian.Testing;
using Microsoft.ML.Tokenizers;

namespace Meridian.Protocol.Tests;

/// <summary>
/// The counter's own cl100k pre-tokenizer must cut every text into exactly the pieces the tokenizer's regex cuts it into:
/// the counts of prose are the tokenizer's only if the pieces are.
/// </summary>
public sealed class Cl100kPiecesTests
{
    private static readonly TiktokenTokenizer Tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    public static TheoryData<string> CorpusEntries() => [.. AdversarialCorpus.Entries.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(CorpusEntries))]
    public void Every_corpus_entry_is_cut_into_the_tokenizers_pieces(string entry)
    {
        AssertSamePieces(AdversarialCorpus.Entries.Single(e => e.Name == entry).Make(20_000));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Random_text_of_every_kind_of_char_is_cut_into_the_tokenizers_pieces(int seed)
    {
        string[] alphabets =
        [
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=", " \t\n\r", " \t\n\r\v\f\u0085\u00A0\u2028\u2029\u3000\u200B\u180E",
            ".,;:!?'\"()[]{}<>-_*&^%$#@~`|\\", "'sSdDmMtTlLvVeErR\u017F\u212A", "éèêëàâäôöûüçñßøåæœÉÀÇ", "東京日本首都人口約千四百万世界大都市圏一", "Здравствуймир",
            "😀👨‍👩‍👧🇪🇺✨🔥", "\uD800\uDC00\uDBFF\uDFFF\uD83D", "\u0301\u0308\u200D\uFEFF", "٣४๕Ⅻ½²",
        ];
        string[] specials = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>", "<|", "<|endoftext|"];
        var random = new Random(seed);
        for (var sample = 0; sample < 300; sample++)
        {
            var text = new StringBuilder();
            var length = random.Next(1, sample < 200 ? 40 : 2_000);
            while (text.Length < length)
            {
                if (random.Next(12) == 0)
                {
                    text.Append(specials[random.Next(specials.Length)]);
                    continue;
                }

                var alphabet = alphabets[random.Next(alphabets.Length)];
                var run = random.Next(1, random.Next(2) == 0 ? 4 : 30);
                for (var i = 0; i < run; i++)
                {
                    text.Append(alphabet[random.Next(alphabet.Length)]);
                }
            }

            AssertSamePieces(text.ToString());
        }
    }

    /// <summary>Every UTF-16 char, in the places where its class decides a cut: after an apostrophe (the contractions
    /// match case-insensitively), as the char before a run of letters, inside runs of numbers, white space and
    /// punctuation, and at the end of the text.</summary>
    [Fact]
    public void Every_char_is_classified_as_the_tokenizers_regex_classifies_it()
    {
        var text = new StringBuilder();
        for (var c = 0; c <= char.MaxValue; c++)
        {
            var x = (char)c;
            text.Append('\'').Append(x).Append("a '").Append(x).Append("la '").Append(x).Append("ea 'l").Append(x).Append("a 'v").Append(x)
                .Append("a 'r").Append(x).Append("a ").Append(x).Append(x).Append("b1").Append(x).Append("22 ").Append(x).Append("\n\n")
                .Append(x).Append("  ").Append(x).Append(",.").Append(x).Append('\r');
            if (c % 512 == 511)
            {
                AssertSamePieces(text.ToString());
                AssertSamePieces(text.Append(x).ToString());
                text.Clear();
            }
        }
    }

    [Fact]
    public void The_special_tokens_are_the_tokenizers()
    {
        Assert.Equal(Tokenizer.SpecialTokens!.Keys.Order(StringComparer.Ordinal), Cl100kPieces.SpecialTokens.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_special_token_is_a_piece_of_its_own_and_ends_the_text_before_it()
    {
        const string Text = "words   <|endoftext|>  after<|fim_prefix|><|endofprompt|>\n";

        AssertSamePieces(Text);
        var special = new List<string>();
        var pieces = new Cl100kPieces(Text);
        while (pieces.MoveNext())
        {
            if (pieces.IsSpecial)
            {
                special.Add(Text.Substring(pieces.Offset, pieces.Length));
            }
        }

        Assert.Equal(["<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>"], special);
    }

    private static void AssertSamePieces(string text)
    {
        var expected = Tokenizer.PreTokenizer!.PreTokenize(text).ToList();
        var actual = new List<(int Offset, int Length)>();
        var pieces = new Cl100kPieces(text);
        while (pieces.MoveNext())
        {
            actual.Add((pieces.Offset, pieces.Length));
        }

        if (!expected.SequenceEqual(actual))
        {
            var i = 0;
            while (i < Math.Min(expected.Count, actual.Count) && expected[i] == actual[i])
            {
                i++;
            }

            Assert.Fail($"Piece {i} differs: the tokenizer's {(i < expected.Count ? expected[i] : "none")}, ours {(i < actual.Count ? actual[i] : "none")}, near {Escape(Near(text, i < expected.Count ? expected[i].Offset : 0))}");
        }
    }

    private static string Near(string text, int offset)
    {
        var start = Math.Max(0, offset - 8);
        return text.Substring(start, Math.Min(24, text.Length - start));
    }

    private static string Escape(string text) => string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString()));
}
