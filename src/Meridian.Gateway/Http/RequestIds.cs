using System.Security.Cryptography;

namespace Meridian.Gateway.Http;

/// <summary>
/// Every response carries a <c>request-id</c> (PROTOCOL.md); receipts, usage rows and cases are keyed by it. An id is
/// 24 base62 characters: 8 for the time in milliseconds, then 16 random (95 bits). Ids made later sort later, so
/// the stores' indexes on request ids grow at their end: with fully random ids every insert dirtied a random index
/// page, and the ledger wrote half as many rows per second (bench/Meridian.Benchmarks, <c>ledger</c>).
/// </summary>
internal static class RequestIds
{
    private const string ItemKey = "meridian.request-id";
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int TimeChars = 8;
    private const int RandomChars = 16;

    public static string New(string prefix) => New(prefix, DateTimeOffset.UtcNow);

    public static string New(string prefix, DateTimeOffset now) => string.Create(prefix.Length + TimeChars + RandomChars, (prefix, now), static (span, state) =>
    {
        state.prefix.AsSpan().CopyTo(span);
        var time = (ulong)Math.Max(0, state.now.ToUnixTimeMilliseconds());
        for (var i = state.prefix.Length + TimeChars - 1; i >= state.prefix.Length; i--)
        {
            span[i] = Alphabet[(int)(time % (ulong)Alphabet.Length)];
            time /= (ulong)Alphabet.Length;
        }

        // 248 is the largest multiple of 62 in a byte: rejecting larger bytes keeps every character equally likely.
        Span<byte> random = stackalloc byte[RandomChars * 2];
        var next = state.prefix.Length + TimeChars;
        while (next < span.Length)
        {
            RandomNumberGenerator.Fill(random);
            foreach (var b in random)
            {
                if (b < 248 && next < span.Length)
                {
                    span[next++] = Alphabet[b % Alphabet.Length];
                }
            }
        }
    });

    public static string Of(HttpContext context) => context.Items[ItemKey] as string ?? Assign(context);

    public static string Assign(HttpContext context)
    {
        var id = New("req_");
        context.Items[ItemKey] = id;
        context.Response.Headers["request-id"] = id;
        return id;
    }
}
