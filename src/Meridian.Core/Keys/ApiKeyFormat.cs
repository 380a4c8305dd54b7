using System.Security.Cryptography;
using System.Text;

namespace Meridian.Core.Keys;

/// <summary>
/// Secrets look like <c>{scheme}{prefix}-{secret}</c>: API keys <c>mk-1a2b3c4d-…</c>, admin tokens <c>mat-1a2b3c4d-…</c>.
/// The prefix identifies a secret in lists and logs without revealing it; only a keyed hash of the whole secret is
/// stored, and it is what each request is looked up by.
/// </summary>
public static class ApiKeyFormat
{
    /// <summary>Data-plane API keys.</summary>
    public const string ApiKeyScheme = "mk-";

    /// <summary>Control-plane admin tokens.</summary>
    public const string AdminTokenScheme = "mat-";

    private const int PrefixLength = 8;
    private const int SecretBytes = 24;

    public static string NewKey() => New(ApiKeyScheme);

    public static string New(string scheme)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(PrefixLength / 2));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(SecretBytes));
        return $"{scheme}{prefix}-{secret}";
    }

    /// <summary>The visible part of an API key (<c>mk-1a2b3c4d</c>), or null when the text is not shaped like one.</summary>
    public static string? PrefixOf(string key) => PrefixOf(key, ApiKeyScheme);

    /// <summary>The visible part of a secret of <paramref name="scheme"/>, or null when the text is not shaped like one.</summary>
    public static string? PrefixOf(string key, string scheme) =>
        key.Length > scheme.Length + PrefixLength && key.StartsWith(scheme, StringComparison.Ordinal) && key[scheme.Length + PrefixLength] == '-'
            ? key[..(scheme.Length + PrefixLength)]
            : null;

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// HMAC-SHA256 with a server-side secret: fast enough for a per-request lookup (≈ 1 µs), and a stolen database
/// alone does not let anyone test guesses. Used for API keys and admin tokens alike. During a rotation of the secret
/// (docs/scale-out.md, "Rotation") it also holds the overlap's other secret: the staged next one (keys made by nodes
/// already promoted are stored under it) or the previous one (keys made before the rotation). New keys are hashed under
/// the current secret only; a key stored under another is still found through <see cref="OverlapHashes"/>. Thread-safe.
/// </summary>
public sealed class ApiKeyHasher
{
    private readonly byte[] _secret;
    private readonly byte[]? _next;
    private readonly byte[]? _previous;

    public ApiKeyHasher(byte[] secret, byte[]? next = null, byte[]? previous = null)
    {
        _secret = Checked(secret);
        _next = next is null ? null : Checked(next);
        _previous = previous is null ? null : Checked(previous);
    }

    /// <summary>Whether a rotation's overlap is under way: keys may be stored under another secret than the current one.</summary>
    public bool InOverlap => _next is not null || _previous is not null;

    public string Hash(string key) => Hash(_secret, key);

    /// <summary>The key's hashes under the overlap's other secrets (none outside a rotation), to find keys stored under them.</summary>
    public IEnumerable<string> OverlapHashes(string key)
    {
        if (_previous is not null)
        {
            yield return Hash(_previous, key);
        }

        if (_next is not null)
        {
            yield return Hash(_next, key);
        }
    }

    /// <summary>
    /// The key's hash under the previous secret of a rotation, or null outside one: a key stored so must move to the
    /// current secret before the overlap ends (one stored under the staged next one must not: it is the future).
    /// </summary>
    public string? PreviousHash(string key) => _previous is null ? null : Hash(_previous, key);

    private static byte[] Checked(byte[] secret) =>
        secret.Length >= 32 ? secret : throw new ArgumentException("The key-hashing secret must be at least 32 bytes.", nameof(secret));

    private static string Hash(byte[] secret, string key)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(key.Length, 256))];
        if (key.Length > 256)
        {
            // No real key is this long; hash a fixed stand-in so the lookup simply misses.
            return Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(key)));
        }

        var written = Encoding.UTF8.GetBytes(key, utf8);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, utf8[..written], hash);
        return Convert.ToHexStringLower(hash);
    }
}
