using System.Security.Cryptography;

namespace Meridian.Gateway.Http;

/// <summary>Every response carries a <c>request-id</c> (PROTOCOL.md); receipts are keyed by it.</summary>
public static class RequestIds
{
    private const string ItemKey = "meridian.request-id";

    public static string New(string prefix) => prefix + RandomId(24);

    public static string Of(HttpContext context) => context.Items[ItemKey] as string ?? Assign(context);

    public static string Assign(HttpContext context)
    {
        var id = New("req_");
        context.Items[ItemKey] = id;
        context.Response.Headers["request-id"] = id;
        return id;
    }

    private static string RandomId(int length)
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        return string.Create(length, 0, static (span, _) =>
        {
            Span<byte> random = stackalloc byte[span.Length];
            RandomNumberGenerator.Fill(random);
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[random[i] % alphabet.Length];
            }
        });
    }
}
