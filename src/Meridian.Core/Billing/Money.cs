using System.Globalization;

namespace Meridian.Core.Billing;

/// <summary>
/// Money is USD in <see cref="decimal"/>, never floating point. Amounts are kept exact (a token at 3.125 USD per
/// million costs 0.000003125); only <see cref="RoundToCents"/> rounds, for the amount a person pays.
/// </summary>
public static class Money
{
    private const decimal Million = 1_000_000m;

    /// <summary>Two decimals always, then as many as the exact amount has (decimal holds at most 28).</summary>
    private static readonly string WireFormat = "0.00" + new string('#', 26);

    /// <summary>The exact cost of <paramref name="tokens"/> at <paramref name="pricePerMillion"/> USD per million tokens.</summary>
    public static decimal Cost(long tokens, decimal pricePerMillion) => tokens * pricePerMillion / Million;

    /// <summary>Half away from zero, to the cent: what an invoice asks to be paid.</summary>
    public static decimal RoundToCents(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);

    /// <summary>The wire form: invariant, no exponent, no trailing zeros beyond the cents (<c>12.5</c> → <c>"12.50"</c>).</summary>
    public static string Format(decimal amount) => amount.ToString(WireFormat, CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out decimal amount)
    {
        amount = 0;
        return text is { Length: > 0 and <= 40 }
            && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount);
    }
}
