using System.Security.Cryptography;

namespace Meridian.Storage.Control;

/// <summary>
/// Object ids: a type prefix, the creation time in milliseconds (12 hex digits) and 40 random bits, so ids sort by
/// creation and lists page by id without an extra column. Not secrets: keys and tokens have their own.
/// </summary>
internal static class StoreIds
{
    public static string New(string prefix, DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[5];
        RandomNumberGenerator.Fill(random);
        return prefix + now.ToUnixTimeMilliseconds().ToString("x12", System.Globalization.CultureInfo.InvariantCulture) + Convert.ToHexStringLower(random);
    }
}
