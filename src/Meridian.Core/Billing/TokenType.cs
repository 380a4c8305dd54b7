using System.Text.Json.Serialization;
using Meridian.Core.Marketplace;

namespace Meridian.Core.Billing;

/// <summary>The metered dimensions of a request: the four token types an offer prices separately.</summary>
public enum TokenType
{
    /// <summary>Uncached input tokens (Anthropic's <c>input_tokens</c>, which excludes cache writes and reads).</summary>
    [JsonStringEnumMemberName("input_tokens")]
    Input,

    [JsonStringEnumMemberName("output_tokens")]
    Output,

    [JsonStringEnumMemberName("cache_creation_input_tokens")]
    CacheWrite,

    [JsonStringEnumMemberName("cache_read_input_tokens")]
    CacheRead,
}

public static class TokenTypes
{
    public static IReadOnlyList<TokenType> All { get; } = [TokenType.Input, TokenType.Output, TokenType.CacheWrite, TokenType.CacheRead];

    /// <summary>The wire name, as Anthropic's <c>usage</c> object spells the field.</summary>
    public static string Of(TokenType type) => type switch
    {
        TokenType.Input => "input_tokens",
        TokenType.Output => "output_tokens",
        TokenType.CacheWrite => "cache_creation_input_tokens",
        _ => "cache_read_input_tokens",
    };

    /// <summary>The offer's price per million tokens of this type.</summary>
    public static decimal PriceOf(Prices prices, TokenType type) => type switch
    {
        TokenType.Input => prices.Input,
        TokenType.Output => prices.Output,
        TokenType.CacheWrite => prices.CacheWrite,
        _ => prices.CacheRead,
    };
}

/// <summary>Token counts of one request or a sum of requests, by type.</summary>
public readonly record struct TokenCounts(long Input, long Output, long CacheWrite, long CacheRead)
{
    public static TokenCounts Zero => default;

    public bool IsZero => Input == 0 && Output == 0 && CacheWrite == 0 && CacheRead == 0;

    public long Of(TokenType type) => type switch
    {
        TokenType.Input => Input,
        TokenType.Output => Output,
        TokenType.CacheWrite => CacheWrite,
        _ => CacheRead,
    };

    public static TokenCounts operator +(TokenCounts a, TokenCounts b) =>
        new(a.Input + b.Input, a.Output + b.Output, a.CacheWrite + b.CacheWrite, a.CacheRead + b.CacheRead);

    /// <summary>What these tokens cost at <paramref name="prices"/>, exactly (decimal, never floating point).</summary>
    public decimal CostAt(Prices prices)
    {
        var total = 0m;
        foreach (var type in TokenTypes.All)
        {
            total += Money.Cost(Of(type), TokenTypes.PriceOf(prices, type));
        }

        return total;
    }
}
