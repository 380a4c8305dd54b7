using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Core.Receipts;
using Meridian.Gateway.Configuration;
using NSec.Cryptography;

namespace Meridian.Gateway.Receipts;

/// <summary>
/// A receipt's canonical form, what its leaf in the receipt log hashes (and what the signature of a receipt from before
/// the log covers): the receipt's JSON (as <c>GET /v1/receipts/…</c> serves it) without its <c>signature</c> member, with every null member left out, object members sorted by name (UTF-16 code
/// units), no whitespace, strings escaped as RFC 8785 (JCS) does — only <c>"</c>, <c>\</c> and control characters —
/// and numbers exactly as the document spells them. Leaving nulls out lets receipts gain nullable fields later
/// without breaking the signatures of older ones.
/// </summary>
internal static class ReceiptCanonicalJson
{
    public const string SignatureMember = "signature";

    /// <summary>
    /// The Trust &amp; Safety case of the request, added when the receipt is served: it changes after the receipt was
    /// signed (a reviewer decides), so like the signature it is not part of what the signature covers.
    /// </summary>
    public const string CaseMember = "case";

    /// <summary>
    /// Where the receipt sits in the receipt log and the proof of it (docs/receipts.md, "The receipt log"), added when the
    /// receipt is served: the leaf is the hash of the canonical form, so the canonical form cannot hold it.
    /// </summary>
    public const string LogMember = "log";

    /// <summary>
    /// The request's access records and its complete list of content recipients (docs/receipts.md, "Access records"),
    /// added when the receipt is served: records are appended after the receipt was logged, each a leaf of its own.
    /// </summary>
    public const string AccessMember = "access";

    public const string ContentRecipientsMember = "content_recipients";

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

    /// <summary>
    /// Writes the canonical bytes of <paramref name="receipt"/> straight from its fields — the same bytes as
    /// <see cref="Of(JsonElement)"/> of the receipt's JSON — with its members already in canonical order. Serializing,
    /// parsing and sorting instead cost 29 KB and most of 44 µs per receipt (bench/PROFILE.md); this allocates nothing.
    /// Numbers and times go through <see cref="Utf8JsonWriter"/>, as the serializer writes them, so they are spelled
    /// exactly as the served JSON spells them. <c>ReceiptSigningTests</c> hold the two forms equal.
    /// </summary>
    public static void Write(Utf8JsonWriter json, Receipt receipt)
    {
        // Members in ordinal order of their snake_case names; null members left out.
        json.WriteStartObject();
        if (receipt.Attempts is { } attempts)
        {
            // Indexed loops: foreach over an IReadOnlyList boxes an enumerator per list.
            json.WriteStartArray(Names.Attempts);
            for (var i = 0; i < attempts.Count; i++)
            {
                var attempt = attempts[i];
                json.WriteStartObject();
                WriteString(json, Names.Backend, attempt.Backend);
                WriteString(json, Names.DataZone, attempt.DataZone);
                WriteString(json, Names.Operator, attempt.Operator);
                WriteString(json, Names.Outcome, attempt.Outcome);
                WriteString(json, Names.Region, attempt.Region);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        WriteString(json, Names.Backend, receipt.Backend);
        json.WriteNumber(Names.CacheCreationInputTokens, receipt.CacheCreationInputTokens);
        json.WriteNumber(Names.CacheReadInputTokens, receipt.CacheReadInputTokens);
        json.WriteString(Names.CreatedAt, receipt.CreatedAt);
        if (receipt.DataRecipients is { } recipients)
        {
            json.WriteStartArray(Names.DataRecipients);
            for (var i = 0; i < recipients.Count; i++)
            {
                var recipient = recipients[i];
                json.WriteStartObject();
                json.WriteStartArray(Names.Classes);
                for (var j = 0; j < recipient.Classes.Count; j++)
                {
                    WriteStringValue(json, recipient.Classes[j]);
                }

                json.WriteEndArray();
                WriteString(json, Names.Party, recipient.Party);
                WriteString(json, Names.Region, recipient.Region);
                WriteString(json, Names.Role, recipient.Role);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        WriteString(json, Names.DeploymentId, receipt.DeploymentId);
        WriteString(json, Names.DeploymentName, receipt.DeploymentName);
        WriteString(json, Names.DeploymentType, receipt.DeploymentType);
        json.WriteNumber(Names.DurationMs, receipt.DurationMs);
        WriteString(json, Names.Endpoint, receipt.Endpoint);
        WriteString(json, Names.ErrorType, receipt.ErrorType);
        WriteString(json, Names.HostingOption, receipt.HostingOption);
        WriteString(json, Names.IngressDataZone, receipt.IngressDataZone);
        if (receipt.IngressOutsideBoundary is { } outside)
        {
            json.WriteBoolean(Names.IngressOutsideBoundary, outside);
        }

        WriteString(json, Names.IngressRegion, receipt.IngressRegion);
        json.WriteNumber(Names.InputTokens, receipt.InputTokens);
        WriteString(json, Names.KeyId, receipt.KeyId);
        WriteString(json, Names.Model, receipt.Model);
        json.WriteNumber(Names.OutputTokens, receipt.OutputTokens);
        WriteString(json, Names.ProcessingDataZone, receipt.ProcessingDataZone);
        WriteString(json, Names.ProcessingOperator, receipt.ProcessingOperator);
        WriteString(json, Names.ProcessingRegion, receipt.ProcessingRegion);
        WriteString(json, Names.PublisherId, receipt.PublisherId);
        WriteString(json, Names.RequestId, receipt.RequestId);
        WriteString(json, Names.ResourceDataZone, receipt.ResourceDataZone);
        WriteString(json, Names.ResourceId, receipt.ResourceId);
        WriteString(json, Names.ResourceRegion, receipt.ResourceRegion);
        WriteString(json, Names.RoutingFailure, receipt.RoutingFailure);
        WriteString(json, Names.SafeguardVerdict, receipt.SafeguardVerdict);
        json.WriteNumber(Names.Status, receipt.Status);
        WriteString(json, Names.StopReason, receipt.StopReason);
        WriteString(json, Names.StorageGeography, receipt.StorageGeography);
        json.WriteBoolean(Names.Streamed, receipt.Streamed);
        WriteString(json, Names.TenantId, receipt.TenantId);
        if (receipt.WorldVersion is { } worldVersion)
        {
            json.WriteNumber(Names.WorldVersion, worldVersion);
        }

        json.WriteEndObject();
    }

    private static void WriteString(Utf8JsonWriter json, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            json.WritePropertyName(name);
            WriteStringValue(json, value);
        }
    }

    /// <summary>A string escaped the canonical way (not the writer's way, which also escapes non-ASCII and HTML characters).</summary>
    private static void WriteStringValue(Utf8JsonWriter json, string value)
    {
        var text = value.AsSpan();
        if (!text.ContainsAny(MustEscape))
        {
            var length = Encoding.UTF8.GetMaxByteCount(text.Length) + 2;
            byte[]? rented = null;
            Span<byte> buffer = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
            buffer[0] = (byte)'"';
            var written = Encoding.UTF8.GetBytes(text, buffer[1..]);
            buffer[written + 1] = (byte)'"';
            json.WriteRawValue(buffer[..(written + 2)], skipInputValidation: true);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            return;
        }

        // Rare (free text from a publisher or an error message with a quote or a control character): the general path.
        var output = new ArrayBufferWriter<byte>(text.Length + 16);
        WriteString(output, value);
        json.WriteRawValue(output.WrittenSpan, skipInputValidation: true);
    }

    private static readonly SearchValues<char> MustEscape = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(c => (char)c), '"', '\\']);

    /// <summary>The receipt's member names as the serializer spells them (snake_case).</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Attempts = JsonEncodedText.Encode("attempts");
        public static readonly JsonEncodedText Backend = JsonEncodedText.Encode("backend");
        public static readonly JsonEncodedText CacheCreationInputTokens = JsonEncodedText.Encode("cache_creation_input_tokens");
        public static readonly JsonEncodedText CacheReadInputTokens = JsonEncodedText.Encode("cache_read_input_tokens");
        public static readonly JsonEncodedText Classes = JsonEncodedText.Encode("classes");
        public static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("created_at");
        public static readonly JsonEncodedText DataRecipients = JsonEncodedText.Encode("data_recipients");
        public static readonly JsonEncodedText DataZone = JsonEncodedText.Encode("data_zone");
        public static readonly JsonEncodedText DeploymentId = JsonEncodedText.Encode("deployment_id");
        public static readonly JsonEncodedText DeploymentName = JsonEncodedText.Encode("deployment_name");
        public static readonly JsonEncodedText DeploymentType = JsonEncodedText.Encode("deployment_type");
        public static readonly JsonEncodedText DurationMs = JsonEncodedText.Encode("duration_ms");
        public static readonly JsonEncodedText Endpoint = JsonEncodedText.Encode("endpoint");
        public static readonly JsonEncodedText ErrorType = JsonEncodedText.Encode("error_type");
        public static readonly JsonEncodedText HostingOption = JsonEncodedText.Encode("hosting_option");
        public static readonly JsonEncodedText IngressDataZone = JsonEncodedText.Encode("ingress_data_zone");
        public static readonly JsonEncodedText IngressOutsideBoundary = JsonEncodedText.Encode("ingress_outside_boundary");
        public static readonly JsonEncodedText IngressRegion = JsonEncodedText.Encode("ingress_region");
        public static readonly JsonEncodedText InputTokens = JsonEncodedText.Encode("input_tokens");
        public static readonly JsonEncodedText KeyId = JsonEncodedText.Encode("key_id");
        public static readonly JsonEncodedText Model = JsonEncodedText.Encode("model");
        public static readonly JsonEncodedText Operator = JsonEncodedText.Encode("operator");
        public static readonly JsonEncodedText Outcome = JsonEncodedText.Encode("outcome");
        public static readonly JsonEncodedText OutputTokens = JsonEncodedText.Encode("output_tokens");
        public static readonly JsonEncodedText Party = JsonEncodedText.Encode("party");
        public static readonly JsonEncodedText ProcessingDataZone = JsonEncodedText.Encode("processing_data_zone");
        public static readonly JsonEncodedText ProcessingOperator = JsonEncodedText.Encode("processing_operator");
        public static readonly JsonEncodedText ProcessingRegion = JsonEncodedText.Encode("processing_region");
        public static readonly JsonEncodedText PublisherId = JsonEncodedText.Encode("publisher_id");
        public static readonly JsonEncodedText Region = JsonEncodedText.Encode("region");
        public static readonly JsonEncodedText RequestId = JsonEncodedText.Encode("request_id");
        public static readonly JsonEncodedText ResourceDataZone = JsonEncodedText.Encode("resource_data_zone");
        public static readonly JsonEncodedText ResourceId = JsonEncodedText.Encode("resource_id");
        public static readonly JsonEncodedText ResourceRegion = JsonEncodedText.Encode("resource_region");
        public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
        public static readonly JsonEncodedText RoutingFailure = JsonEncodedText.Encode("routing_failure");
        public static readonly JsonEncodedText SafeguardVerdict = JsonEncodedText.Encode("safeguard_verdict");
        public static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
        public static readonly JsonEncodedText StopReason = JsonEncodedText.Encode("stop_reason");
        public static readonly JsonEncodedText StorageGeography = JsonEncodedText.Encode("storage_geography");
        public static readonly JsonEncodedText Streamed = JsonEncodedText.Encode("streamed");
        public static readonly JsonEncodedText TenantId = JsonEncodedText.Encode("tenant_id");
        public static readonly JsonEncodedText WorldVersion = JsonEncodedText.Encode("world_version");
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
            .Where(p => p.Value.ValueKind != JsonValueKind.Null && !(top && p.Name is SignatureMember or CaseMember or LogMember or AccessMember or ContentRecipientsMember))
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

    private static void WriteString(IBufferWriter<byte> output, string text)
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
/// The operator's Ed25519 receipt key, which signs the receipt log's tree heads (and signed each receipt before the log
/// existed). Its public half is published at <c>/.well-known/meridian-receipt-key</c>;
/// the private half comes from <c>MERIDIAN_RECEIPT_SIGNING_KEY</c> (base64 of the 32-byte seed) or, without it, from
/// <c>receipt-signing.key</c> in the data folder, created with owner-only permissions on first start. Nodes sharing a
/// data folder share the key. Thread-safe; never logs or exposes the private key.
/// </summary>
public sealed class ReceiptSigner : IDisposable
{
    public const string Algorithm = "Ed25519";
    public const string KeyEnvironmentVariable = NodeSecretFiles.ReceiptSigningKeyVariable;
    public const string KeyFileName = NodeSecretFiles.ReceiptSigningKey;

    /// <summary>The public keys of signing keys whose rotation ended (<see cref="NodeSecretFiles.RetiredReceiptKeys"/>).</summary>
    public const string RetiredKeysFileName = NodeSecretFiles.RetiredReceiptKeys;

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    // Canonical bytes are written into a buffer each hashing thread keeps (a record writer's loop, a report checking
    // stored receipts), so a leaf hash allocates only the hash.
    [ThreadStatic]
    private static CanonicalBuffer? t_buffer;

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
        Keys = [new ReceiptKey(KeyId, PublicKey, "current")];
    }

    /// <summary>
    /// Every key whose signatures this node accepts, this one first: during a rotation (docs/scale-out.md, "Rotation")
    /// also the staged next and the previous key, and the public keys of keys retired by earlier rotations. Only this
    /// one signs.
    /// </summary>
    public IReadOnlyList<ReceiptKey> Keys { get; private set; }

    /// <summary>The public key named <paramref name="keyId"/> among <see cref="Keys"/>, or null.</summary>
    public byte[]? PublicKeyOf(string? keyId) => Keys.FirstOrDefault(k => k.KeyId == keyId)?.PublicKey;

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary><c>rk_</c> and the first 16 hex digits of the public key's SHA-256: names the key in every signature.</summary>
    public string KeyId { get; }

    /// <summary>
    /// The key configured by <paramref name="configured"/> (<see cref="GatewayOptions.ReceiptSigningKey"/>, which
    /// <c>serve</c> binds from <see cref="KeyEnvironmentVariable"/>), else the data folder's (created when missing), accepting with it the rotation stages and retired keys the folder holds.
    /// </summary>
    public static ReceiptSigner LoadOrCreate(string dataDirectory, string? configured)
    {
        var signer = LoadOrCreateCurrent(dataDirectory, configured);
        var others = NodeSecretFiles.Overlap(dataDirectory, KeyFileName).Select(o =>
        {
            using var staged = new ReceiptSigner(DecodeSeed(o.Text, Path.Combine(dataDirectory, NodeSecretFiles.Staged(KeyFileName, o.Stage))));
            return new ReceiptKey(staged.KeyId, staged.PublicKey, o.Stage);
        }).ToList();
        var retired = Path.Combine(dataDirectory, RetiredKeysFileName);
        if (File.Exists(retired))
        {
            others.AddRange(File.ReadAllLines(retired).Where(line => line.Trim().Length > 0).Select(line =>
            {
                var publicKey = DecodeSeed(line, retired);
                return new ReceiptKey(KeyIdOf(publicKey), publicKey, "retired");
            }));
        }

        signer.Keys = [.. signer.Keys, .. others.Where(k => k.KeyId != signer.KeyId)];
        return signer;
    }

    private static ReceiptSigner LoadOrCreateCurrent(string dataDirectory, string? configured) =>
        !string.IsNullOrWhiteSpace(configured)
            ? new ReceiptSigner(DecodeSeed(configured, $"ReceiptSigningKey ({KeyEnvironmentVariable})"))
            : new ReceiptSigner(DecodeSeed(
                NodeSecretFiles.LoadOrCreate(dataDirectory, KeyFileName, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
                Path.Combine(dataDirectory, KeyFileName)));

    public static string KeyIdOf(ReadOnlySpan<byte> publicKey) => "rk_" + Convert.ToHexStringLower(SHA256.HashData(publicKey))[..16];

    /// <summary>
    /// The base64 Ed25519 signature of <paramref name="data"/>, for the receipt log's tree heads: one per batch, which
    /// authenticates every receipt of the batch through its leaf. Their signed form starts with a text tag
    /// (<see cref="TreeHeadSigning"/>), receipts' canonical form with <c>{</c>, so a head's signature can never pass for
    /// the signature of a receipt from before the log.
    /// </summary>
    public string SignData(ReadOnlySpan<byte> data)
    {
        Span<byte> signature = stackalloc byte[64];
        Ed25519.Sign(_key, data, signature);
        return Convert.ToBase64String(signature);
    }

    /// <summary>
    /// SHA-256(0x00 || canonical receipt): the receipt's leaf in the receipt log (RFC 9162 §2.1.1). The canonical bytes
    /// are written once, straight from the receipt's fields, into this thread's buffer and hashed there.
    /// </summary>
    public static byte[] LeafHash(Receipt receipt)
    {
        var buffer = t_buffer ??= new CanonicalBuffer();
        return Core.Receipts.MerkleTree.HashLeaf(buffer.Write(receipt));
    }

    /// <summary>Whether a receipt from before the receipt log carries this key's valid signature over its canonical form.</summary>
    public bool Verifies(Receipt receipt)
    {
        if (receipt.Signature is not { Algorithm: Algorithm } signature || PublicKeyOf(signature.KeyId) is not { } publicKey)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[64];
        if (!Convert.TryFromBase64String(signature.Value, bytes, out var written) || written != 64)
        {
            return false;
        }

        var buffer = t_buffer ??= new CanonicalBuffer();
        return signature.KeyId == KeyId
            ? Ed25519.Verify(_key.PublicKey, buffer.Write(receipt with { Signature = null }), bytes)
            : NSec.Cryptography.PublicKey.TryImport(Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var other) && other is not null
                && Ed25519.Verify(other, buffer.Write(receipt with { Signature = null }), bytes);
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

/// <summary>A receipt-signing public key and its place in a rotation: current, next, previous or retired.</summary>
public sealed record ReceiptKey(string KeyId, byte[] PublicKey, string Status);

/// <summary>One thread's reusable output for canonical bytes. Not thread-safe.</summary>
internal sealed class CanonicalBuffer
{
    // Big receipts (long routing failures) grow it once; it is never shrunk, as receipts stay about the same size.
    private readonly ArrayBufferWriter<byte> _output = new(2048);
    private readonly Utf8JsonWriter _json;

    public CanonicalBuffer() => _json = new Utf8JsonWriter(_output, new JsonWriterOptions { SkipValidation = true });

    public ReadOnlySpan<byte> Write(Receipt receipt)
    {
        _output.ResetWrittenCount();
        _json.Reset(_output);
        ReceiptCanonicalJson.Write(_json, receipt);
        _json.Flush();
        return _output.WrittenSpan;
    }
}

/// <summary>
/// The outcome of checking one receipt: <see cref="Valid"/> when it is in the operator's signed receipt log (or, from
/// before the log, carries the operator's signature) and unaltered; <see cref="Pending"/> when it is neither yet — a
/// receipt still queued in the writer, to be fetched again; <see cref="Log"/> where the receipt says it sits in a log.
/// </summary>
public sealed record ReceiptVerification(bool Valid, string? RequestId, string? KeyId, string Reason, ReceiptLogView? Log = null, bool Pending = false)
{
    /// <summary>The checks of the receipt's access records (<c>access</c>), when it was served with them.</summary>
    public IReadOnlyList<AccessRecordCheck> Access { get; init; } = [];
}

/// <summary>
/// Checks receipts offline, against a public key the verifier trusts (published at <c>/.well-known/meridian-receipt-key</c>).
/// A receipt is authenticated by its leaf: it hashes to the leaf, the inclusion proof leads from the leaf to the root of
/// a tree head, and the head carries the operator's signature (<see cref="ReceiptLogVerifier"/>). A receipt written
/// before the receipt log carries its own signature instead, checked as it always was; when it has both, both must hold.
/// </summary>
public static class ReceiptVerifier
{
    /// <summary>
    /// The receipt, then its access records: each must be bound to this request, hash to its leaf and be included under a
    /// signed tree head, and <c>content_recipients</c> must be what the receipt and the records say. A receipt whose
    /// records fail is not valid, and the reason names the record.
    /// </summary>
    public static ReceiptVerification Verify(JsonElement receipt, ReadOnlySpan<byte> publicKey)
    {
        var result = VerifyReceipt(receipt, publicKey);
        if (receipt.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        // Checked even when the receipt failed, so an auditor sees where each record is served.
        var access = AccessRecordVerifier.Check(receipt, result.RequestId, publicKey, out var failure);
        return failure is null || !result.Valid ? result with { Access = access } : result with { Valid = false, Reason = failure, Access = access };
    }

    private static ReceiptVerification VerifyReceipt(JsonElement receipt, ReadOnlySpan<byte> publicKey)
    {
        var requestId = receipt.ValueKind == JsonValueKind.Object && receipt.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;
        if (receipt.ValueKind != JsonValueKind.Object)
        {
            return new ReceiptVerification(false, requestId, null, "a receipt is a JSON object");
        }

        var log = ReceiptLogVerifier.Check(receipt, publicKey);
        if (log.Failure is { } failure)
        {
            return new ReceiptVerification(false, requestId, log.View?.TreeHead?.Signature?.KeyId, failure, log.View);
        }

        var signed = receipt.TryGetProperty(ReceiptCanonicalJson.SignatureMember, out var signature) && signature.ValueKind != JsonValueKind.Null;
        if (signed)
        {
            var own = VerifySignature(receipt, signature, requestId, publicKey);
            return own with { Log = log.View };
        }

        if (log.View is { } view)
        {
            return new ReceiptVerification(true, requestId, view.TreeHead.Signature.KeyId, "genuine and unaltered", view);
        }

        // "log": null is how a receipt still queued is served; no log member at all, how the list serves receipts.
        return receipt.TryGetProperty(ReceiptCanonicalJson.LogMember, out _)
            ? new ReceiptVerification(false, requestId, null, "not in a receipt log yet and not signed: the receipt is still queued; fetch it again once written", Pending: true)
            : new ReceiptVerification(false, requestId, null, "it carries no inclusion proof (receipts as GET /v1/receipts lists them do not): fetch it with GET /v1/receipts/{id}");
    }

    /// <summary>The own signature of a receipt from before the receipt log.</summary>
    private static ReceiptVerification VerifySignature(JsonElement receipt, JsonElement signature, string? requestId, ReadOnlySpan<byte> publicKey)
    {
        if (signature.ValueKind != JsonValueKind.Object)
        {
            return new ReceiptVerification(false, requestId, null, "the receipt's signature is not a signature object");
        }

        var keyId = signature.TryGetProperty("key_id", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        if (!signature.TryGetProperty("algorithm", out var algorithm) || algorithm.ValueKind != JsonValueKind.String || algorithm.GetString() != ReceiptSigner.Algorithm)
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
            value = Convert.FromBase64String(signature.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty);
        }
        catch (FormatException)
        {
            return new ReceiptVerification(false, requestId, keyId, "the signature is not base64");
        }

        return SignatureAlgorithm.Ed25519.Verify(key, ReceiptCanonicalJson.Of(receipt), value)
            ? new ReceiptVerification(true, requestId, keyId, "genuine and unaltered (signed before the receipt log)")
            : new ReceiptVerification(false, requestId, keyId, "the signature does not match: the receipt was altered or not signed by this key");
    }
}
