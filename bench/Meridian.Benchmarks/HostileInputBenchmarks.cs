using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Meridian.Protocol.Messages;
using Meridian.Safeguards;
using Meridian.Safeguards.Policies;
using Meridian.Testing;
using Microsoft.ML.Tokenizers;

namespace Meridian.Benchmarks;

/// <summary>
/// Issue 15: what counting and screening cost per MB for each entry of the adversarial corpus
/// (tests/Shared/AdversarialCorpus.cs), to compare with prose: the whole request's work before a backend sees it is
/// token counting plus input screening. Each text is 256 KB of UTF-8; screened as a tool result, so every built-in
/// classifier and pass runs on it. Divide by 0.25 for a MB (bench/PROFILE.md, "Hostile input").
/// </summary>
[MemoryDiagnoser]
public class HostileInputBenchmarks
{
    private const int Bytes = 256 * 1024;

    private static readonly TiktokenTokenizer Tokenizer = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    private readonly Screener _screener = Screener.CreateDefault();
    private string _text = null!;
    private MessagesRequest _request = null!;

    public static IEnumerable<string> Entries => AdversarialCorpus.Entries.Select(e => e.Name);

    [ParamsSource(nameof(Entries))]
    public string Entry { get; set; } = AdversarialCorpus.ProseName;

    [GlobalSetup]
    public void Setup()
    {
        var make = AdversarialCorpus.Entries.Single(e => e.Name == Entry).Make;
        var text = make(Bytes);
        while (AdversarialCorpus.Utf8Bytes(text) > Bytes)
        {
            text = text[..(text.Length * 15 / 16)];
        }

        _text = text;
        var body = Encoding.UTF8.GetBytes($$$"""
            {"model":"m","max_tokens":16,"messages":[
              {"role":"user","content":"Summarise this page"},
              {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"fetch","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":{{{JsonSerializer.Serialize(text)}}}}]}]}]}
            """);
        if (!MessagesRequestParser.TryParse(body, isCountTokens: false, out var request, out var error))
        {
            throw new InvalidOperationException(error.Message);
        }

        _request = request;
    }

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark(Description = "count tokens, 256 KB")]
    public int Count() => TokenCounter.Count(_text);

    /// <summary>What <see cref="TokenCounter.Count(string)"/> did before it merged slices itself: the same pieces and
    /// slices, each through the tokenizer's <c>CountTokens</c> and its cache (bench/PROFILE.md, "before").</summary>
    [Benchmark(Description = "count tokens through the tokenizer's cache, 256 KB")]
    public int CountThroughTokenizer()
    {
        var total = 0;
        foreach (var (offset, length) in Tokenizer.PreTokenizer!.PreTokenize(_text))
        {
            var piece = _text.AsSpan(offset, length);
            while (!piece.IsEmpty)
            {
                var slice = piece[..TokenCounter.SliceLength(piece)];
                total += Tokenizer.CountTokens(slice, considerPreTokenization: false);
                piece = piece[slice.Length..];
            }
        }

        return total;
    }

    [Benchmark(Description = "screen input, 256 KB tool result")]
    public async Task<SafeguardAction> Screen() =>
        (await _screener.ScreenInputAsync(_request, SafeguardPolicy.Default, CancellationToken.None)).Action;
}
