using Microsoft.ML.Tokenizers;

namespace Meridian.Protocol.Messages;

/// <summary>
/// Counts tokens with a real BPE tokenizer (cl100k), so the simulator's <c>usage</c> and <c>count_tokens</c> agree
/// and quotas see realistic numbers. It is not Claude's tokenizer; counts are close, not identical.
/// The tokenizer is immutable and safe to share across threads.
/// </summary>
public static class TokenCounter
{
    // A few tokens of framing per message, as chat formats spend on role markers.
    private const int PerMessageOverhead = 3;
    private const int PerRequestOverhead = 3;

    private static readonly Lazy<Tokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    public static int Count(string text) => text.Length == 0 ? 0 : Tokenizer.Value.CountTokens(text);

    /// <summary>The index in <paramref name="text"/> after which exactly <paramref name="maxTokens"/> tokens fit.</summary>
    public static int IndexAfterTokens(string text, int maxTokens) =>
        Tokenizer.Value.GetIndexByTokenCount(text, maxTokens, out _, out _);

    public static int CountInput(MessagesRequest request)
    {
        var total = PerRequestOverhead;
        if (request.System is { } system)
        {
            total += Count(ContentText.Of(system)) + PerMessageOverhead;
        }

        foreach (var message in request.Messages.EnumerateArray())
        {
            total += PerMessageOverhead + Count(ContentText.Of(message.GetProperty("content")));
        }

        if (request.Tools is { } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                total += Count(tool.GetRawText());
            }
        }

        return total;
    }

}
