using System.Text.Json;
using LLama.Native;
using Meridian.Protocol.Messages;

namespace Meridian.Inference.LlamaSharp;

/// <summary>
/// The request's sampling parameters as a llama.cpp sampler chain. Without <c>temperature</c>, or with 0, the choice is
/// greedy: the same request gets the same answer (Anthropic's own default is 1.0; a raw model is more useful, and
/// testable, when it is deterministic unless asked otherwise).
/// </summary>
internal readonly record struct Sampling(float Temperature, float? TopP, int? TopK)
{
    public bool IsGreedy => Temperature <= 0;

    public static Sampling Of(MessagesRequest request)
    {
        var root = request.Root;
        return new Sampling(
            Number(root, "temperature") is { } t ? (float)t : 0f,
            Number(root, "top_p") is { } p ? (float)p : null,
            Number(root, "top_k") is { } k ? (int)k : null);
    }

    /// <summary>A new chain for one request; the caller disposes it.</summary>
    public SafeLLamaSamplerChainHandle CreateChain(uint seed)
    {
        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        if (IsGreedy)
        {
            chain.AddGreedySampler();
            return chain;
        }

        if (TopK is > 0 and var k)
        {
            chain.AddTopK(k);
        }

        if (TopP is > 0 and < 1 and var p)
        {
            chain.AddTopP(p, 1);
        }

        chain.AddTemperature(Temperature);
        chain.AddDistributionSampler(seed);
        return chain;
    }

    private static double? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) ? number : null;
}
