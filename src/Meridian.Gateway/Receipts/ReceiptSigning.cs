using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Core.Receipts;
using NSec.Cryptography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// The canonical form a receipt's signature covers: the receipt's JSON (as <c>GET /v1/receipts/…</c> serves it)
/// without its <c>signature</c> member, with every null member left out, object members sorted by name (UTF-16 code
/// units), no whitespace, strings escaped as RFC 8785 (JCS) does — only <c>"</c>, <c>\</c> and control characters —
/// and numbers exactly as the document spells them. Leaving nulls out lets receipts gain nullable fields later
/// without breaking the signatures of older ones.
/// </summary>
public static class ReceiptCanonicalJson
{
    public const string SignatureMember = "signature";

    /// <summary>
    /// The Trust &amp; Safety case of the request, added when the receipt is served: it changes after the receipt was
    /// signed (a reviewer decides), so like the signature it is not part of what the signature covers.
    /// </summary>
    public const string CaseMember = "case";

    public static byte[] Of(JsonElement receipt)
    {
        if (receipt.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("A receipt is a JSON object.", nameof(receipt));
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        WriteObject(buffer, receipt, top: true);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Of(Receipt receipt)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(receipt with { Signature = null }, ReceiptJsonContext.Default.Receipt);
        using var document = JsonDocument.Parse(json);
        return Of(document.RootElement);
    }

    private static void WriteValue(ArrayBufferWriter<byte> output, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(output, value, top: false);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    first = false;
                    WriteValue(output, item);
                }

                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                WriteString(output, value.GetString()!);
                break;
            case JsonValueKind.Number:
                output.Write(Encoding.UTF8.GetBytes(value.GetRawText()));
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    private static void WriteObject(ArrayBufferWriter<byte> output, JsonElement value, bool top)
    {
        var members = value.EnumerateObject()
            .Where(p => p.Value.ValueKind != JsonValueKind.Null && !(top && p.Name is SignatureMember or CaseMember))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        output.Write("{"u8);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            WriteString(output, members[i].Name);
            output.Write(":"u8);
            WriteValue(output, members[i].Value);
        }

        output.Write("}"u8);
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string text)
    {
        var escaped = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': escaped.Append("\\\""); break;
                case '\\': escaped.Append("\\\\"); break;
                case '\b': escaped.Append("\\b"); break;
                case '\f': escaped.Append("\\f"); break;
                case '\n': escaped.Append("\\n"); break;
                case '\r': escaped.Append("\\r"); break;
                case '\t': escaped.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        escaped.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        escaped.Append(c);
                    }

                    break;
            }
        }

        output.Write(Encoding.UTF8.GetBytes(escaped.Append('"').ToString()));
    }
}

/// <summary>
/// The operator's Ed25519 receipt key. Its public half is published at <c>/.well-known/meridian-receipt-key</c>;
/// the private half comes from <c>MERIDIAN_RECEIPT_SIGNING_KEY</c> (base64 of the 32-byte seed) or, without it, from
/// <c>receipt-signing.key</c> in the data folder, created with owner-only permissions on first start. Nodes sharing a
/// data folder share the key. Thread-safe; never logs or exposes the private key.
/// </summary>
public sealed class ReceiptSigner : IDisposable
{
    public const string Algorithm = "Ed25519";
    public const string KeyEnvironmentVariable = "MERIDIAN_RECEIPT_SIGNING_KEY";
    public const string KeyFileName = "receipt-signing.key";

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    public ReceiptSigner(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.PrivateKeySize)
        {
            throw new InvalidOperationException($"The receipt signing key must be {Ed25519.PrivateKeySize} bytes (base64 of an Ed25519 seed); it is {seed.Length}.");
        }

        _key = Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        PublicKey = _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        KeyId = KeyIdOf(PublicKey);
    }

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary><c>rk_</c> and the first 16 hex digits of the public key's SHA-256: names the key in every signature.</summary>
    public string KeyId { get; }

    /// <summary>The key configured by <paramref name="configured"/> or the environment, else the data folder's (created when missing).</summary>
    public static ReceiptSigner LoadOrCreate(string dataDirectory, string? configured)
    {
        var text = configured ?? Environment.GetEnvironmentVariable(KeyEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(text))
        {
            return new ReceiptSigner(DecodeSeed(text, KeyEnvironmentVariable));
        }

        var file = Path.Combine(dataDirectory, KeyFileName);
        if (File.Exists(file))
        {
            return new ReceiptSigner(DecodeSeed(File.ReadAllText(file), file));
        }

        var seed = RandomNumberGenerator.GetBytes(32);
        try
        {
            // Created with owner-only permissions from the start, so the key is never readable by others, even briefly.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(file, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(Convert.ToBase64String(seed));
            }

            return new ReceiptSigner(seed);
        }
        catch (IOException) when (File.Exists(file))
        {
            // Another node on the same data folder created it first: use that one.
            return new ReceiptSigner(DecodeSeed(File.ReadAllText(file), file));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public static string KeyIdOf(ReadOnlySpan<byte> publicKey) => "rk_" + Convert.ToHexStringLower(SHA256.HashData(publicKey))[..16];

    /// <summary>The receipt with its signature over <see cref="ReceiptCanonicalJson"/>.</summary>
    public Receipt Sign(Receipt receipt)
    {
        var signature = Ed25519.Sign(_key, ReceiptCanonicalJson.Of(receipt));
        return receipt with { Signature = new ReceiptSignature(Algorithm, KeyId, Convert.ToBase64String(signature)) };
    }

    public void Dispose() => _key.Dispose();

    private static byte[] DecodeSeed(string text, string source)
    {
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The receipt signing key from {source} is not base64.");
        }
    }
}

/// <summary>The outcome of checking one receipt's signature.</summary>
public sealed record ReceiptVerification(bool Valid, string? RequestId, string? KeyId, string Reason);

/// <summary>Checks receipts offline, against a public key the verifier trusts (published at <c>/.well-known/meridian-receipt-key</c>).</summary>
public static class ReceiptVerifier
{
    public static ReceiptVerification Verify(JsonElement receipt, ReadOnlySpan<byte> publicKey)
    {
        var requestId = receipt.ValueKind == JsonValueKind.Object && receipt.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;
        if (receipt.ValueKind != JsonValueKind.Object
            || !receipt.TryGetProperty(ReceiptCanonicalJson.SignatureMember, out var signature)
            || signature.ValueKind != JsonValueKind.Object)
        {
            return new ReceiptVerification(false, requestId, null, "the receipt has no signature");
        }

        var keyId = signature.TryGetProperty("key_id", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        if (!signature.TryGetProperty("algorithm", out var algorithm) || algorithm.GetString() != ReceiptSigner.Algorithm)
        {
            return new ReceiptVerification(false, requestId, keyId, $"the signature's algorithm is not {ReceiptSigner.Algorithm}");
        }

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return new ReceiptVerification(false, requestId, keyId, "the public key is not an Ed25519 key");
        }

        if (keyId != ReceiptSigner.KeyIdOf(publicKey))
        {
            return new ReceiptVerification(false, requestId, keyId, $"signed with key {keyId ?? "(none)"}, not with the given key {ReceiptSigner.KeyIdOf(publicKey)}");
        }

        byte[] value;
        try
        {
            value = Convert.FromBase64String(signature.TryGetProperty("value", out var v) ? v.GetString() ?? string.Empty : string.Empty);
        }
        catch (FormatException)
        {
            return new ReceiptVerification(false, requestId, keyId, "the signature is not base64");
        }

        return SignatureAlgorithm.Ed25519.Verify(key, ReceiptCanonicalJson.Of(receipt), value)
            ? new ReceiptVerification(true, requestId, keyId, "genuine and unaltered")
            : new ReceiptVerification(false, requestId, keyId, "the signature does not match: the receipt was altered or not signed by this key");
    }
}
