using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meridian.Gateway.Configuration;

/// <summary>
/// The files that hold a node's secrets (issue 22): <c>keyhash.secret</c> (API keys are hashed with it),
/// <c>receipt-signing.key</c> (the Ed25519 seed receipts are signed with) and one <c>ts-key-&lt;geography&gt;.secret</c>
/// per geography (cases are sealed with it). They live in the data folder, created there on first start, or in a
/// secrets folder of their own (<c>--secrets-dir</c>): a platform's mounted secret, read and never written.
/// </summary>
public static class NodeSecretFiles
{
    public const string KeyHash = "keyhash.secret";

    /// <summary>The Ed25519 seed receipts are signed with (base64).</summary>
    public const string ReceiptSigningKey = "receipt-signing.key";

    /// <summary>
    /// The public keys of signing keys whose rotation ended (one base64 key a line): receipts and heads they signed stay
    /// verifiable, and the keys stay published, after their private halves are gone.
    /// </summary>
    public const string RetiredReceiptKeys = "receipt-signing.retired";

    /// <summary>The environment variable <c>serve</c> reads the receipt-signing seed from before the file.</summary>
    public const string ReceiptSigningKeyVariable = "MERIDIAN_RECEIPT_SIGNING_KEY";

    public static string CaseKey(string geography) => $"ts-key-{geography.ToLowerInvariant()}.secret";

    /// <summary>An HMAC of a fixed label under the secret: equal secrets give equal fingerprints, and it reveals nothing of the secret.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> secret, string name) =>
        "fp_" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes("meridian-secret-fingerprint|" + name)))[..16];

    /// <summary>A rotation's staged successor of a secret: accepted, not used for new material yet.</summary>
    public const string Next = "next";

    /// <summary>A rotation's predecessor of a secret: still accepted until the overlap ends, no longer used for new material.</summary>
    public const string Previous = "previous";

    /// <summary>
    /// The file of a secret's rotation stage beside its own file (docs/scale-out.md, "Rotation"):
    /// <c>keyhash.secret</c> → <c>keyhash.next.secret</c>, <c>receipt-signing.key</c> → <c>receipt-signing.previous.key</c>.
    /// </summary>
    public static string Staged(string file, string stage)
    {
        var dot = file.LastIndexOf('.');
        return $"{file[..dot]}.{stage}{file[dot..]}";
    }

    /// <summary>
    /// The texts of a secret's rotation stages that <paramref name="folder"/> holds beside <paramref name="file"/>: the
    /// other secrets of an overlap, accepted with the current one (none outside a rotation).
    /// </summary>
    public static IReadOnlyList<(string Stage, string Text)> Overlap(string folder, string file) =>
        [.. new[] { Next, Previous }.Select(stage => (Stage: stage, Path: Path.Combine(folder, Staged(file, stage))))
            .Where(f => File.Exists(f.Path)).Select(f => (f.Stage, File.ReadAllText(f.Path).Trim()))];

    /// <summary>
    /// The text of the secret file <paramref name="file"/> in <paramref name="folder"/>, created from
    /// <paramref name="create"/> when missing: owner-only (0600) in an owner-only folder (0700) from its first byte. Two
    /// nodes starting on one data folder at once both use the file the first of them wrote. The one loader of every
    /// node secret: the key-hash secret, the receipt-signing seed, the case keys.
    /// </summary>
    public static string LoadOrCreate(string folder, string file, Func<string> create)
    {
        var path = Path.Combine(folder, file);
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        Storage.OwnerOnly.CreateDirectory(folder);
        var text = create();
        try
        {
            Storage.OwnerOnly.WriteNewSecret(path, text);
            return text;
        }
        catch (IOException) when (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
    }

    /// <summary>Whether <paramref name="fileName"/> is one of the node's secret files (a rotation's stages and retired public keys included).</summary>
    public static bool IsSecret(string fileName) =>
        fileName is KeyHash or ReceiptSigningKey or RetiredReceiptKeys
        || fileName == Staged(KeyHash, Next) || fileName == Staged(KeyHash, Previous)
        || fileName == Staged(ReceiptSigningKey, Next) || fileName == Staged(ReceiptSigningKey, Previous)
        || (fileName.StartsWith("ts-key-", StringComparison.Ordinal) && fileName.EndsWith(".secret", StringComparison.Ordinal));

    /// <summary>
    /// The secret files a node needs from its secrets folder for these geographies, less those its settings
    /// supply otherwise (the signing key or a case key given as an option, which <c>serve</c> binds from its variable).
    /// </summary>
    public static IReadOnlyList<string> Needed(IEnumerable<string> geographies, GatewayOptions options)
    {
        var needed = new List<string> { KeyHash };
        if (string.IsNullOrWhiteSpace(options.ReceiptSigningKey))
        {
            needed.Add(ReceiptSigningKey);
        }

        foreach (var geography in geographies.Order(StringComparer.OrdinalIgnoreCase))
        {
            if (!options.Safeguards.CaseKeys.ContainsKey(geography))
            {
                needed.Add(CaseKey(geography));
            }
        }

        return needed;
    }

    /// <summary>
    /// The full path of a secrets folder a node reads without writing; throws, naming every missing file and how to make
    /// them, when the folder or one of <paramref name="needed"/> is missing (a node must not mint secrets of its own there).
    /// </summary>
    public static string RequireMounted(string folder, IEnumerable<string> needed)
    {
        var path = Path.GetFullPath(folder);
        if (!Directory.Exists(path))
        {
            throw new InvalidOperationException($"The secrets folder {path} (--secrets-dir / MERIDIAN_SECRETS_DIR) does not exist.");
        }

        var missing = needed.Where(name => !File.Exists(Path.Combine(path, name))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The secrets folder {path} (--secrets-dir / MERIDIAN_SECRETS_DIR) lacks {string.Join(", ", missing)}; a node never creates secrets " +
                "there. Copy them from a running node's data folder, or create a new set with `meridian secrets create --out <folder>`.");
        }

        return path;
    }

    /// <summary>A fresh set of secrets for a new cluster: the key-hash secret, a signing seed and a case key per geography.</summary>
    public static IReadOnlyDictionary<string, string> Create(IEnumerable<string> geographies)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [KeyHash] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            [ReceiptSigningKey] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        foreach (var geography in geographies)
        {
            files[CaseKey(geography)] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        }

        return files;
    }

    /// <summary>Every secret file of <paramref name="folder"/>, by name, with its text.</summary>
    public static IReadOnlyDictionary<string, string> Read(string folder) =>
        new SortedDictionary<string, string>(
            Directory.EnumerateFiles(folder).Where(f => IsSecret(Path.GetFileName(f))).ToDictionary(f => Path.GetFileName(f), File.ReadAllText),
            StringComparer.Ordinal);

    /// <summary>
    /// Writes <paramref name="files"/> into <paramref name="folder"/> owner-only (0700 folder, 0600 files). A file that
    /// exists with other content is never overwritten: the names of such files are returned and nothing is written.
    /// </summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyDictionary<string, string> files)
    {
        Storage.OwnerOnly.CreateDirectory(folder);
        var conflicts = files.Where(f => File.Exists(Path.Combine(folder, f.Key)) && File.ReadAllText(Path.Combine(folder, f.Key)).Trim() != f.Value.Trim())
            .Select(f => f.Key).ToList();
        if (conflicts.Count > 0)
        {
            return conflicts;
        }

        foreach (var (name, text) in files)
        {
            if (!File.Exists(Path.Combine(folder, name)))
            {
                Storage.OwnerOnly.WriteNewSecret(Path.Combine(folder, name), text);
            }
        }

        return [];
    }
}

/// <summary>
/// A node's secret files sealed under a passphrase, to carry them to another node or into a platform's secret store:
/// AES-256-GCM under a key derived with PBKDF2-HMAC-SHA256 (600,000 iterations, random salt); the file names are
/// authenticated with the contents. Nothing of a secret is readable without the passphrase.
/// </summary>
public static class SealedSecrets
{
    public const string Format = "meridian-secrets-v1";
    private const int Iterations = 600_000;

    public static string Seal(IReadOnlyDictionary<string, string> files, string passphrase)
    {
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(files.ToDictionary(f => f.Key, f => f.Value), SealedSecretsJson.Default.DictionaryStringString);
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var key = Derive(passphrase, salt);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        try
        {
            using var aes = new AesGcm(key, tag.Length);
            aes.Encrypt(nonce, plaintext, ciphertext, tag, Encoding.UTF8.GetBytes(Format));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plaintext);
        }

        var envelope = new SealedEnvelope(Format, Iterations, Convert.ToBase64String(salt), Convert.ToBase64String(nonce), Convert.ToBase64String(tag),
            Convert.ToBase64String(ciphertext));
        return JsonSerializer.Serialize(envelope, SealedSecretsJson.Default.SealedEnvelope);
    }

    /// <summary>The files sealed in <paramref name="text"/>; throws <see cref="CryptographicException"/> on a wrong passphrase or a changed file.</summary>
    public static IReadOnlyDictionary<string, string> Open(string text, string passphrase)
    {
        SealedEnvelope envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(text, SealedSecretsJson.Default.SealedEnvelope)
                ?? throw new CryptographicException("The file is not a sealed secrets file.");
        }
        catch (JsonException)
        {
            throw new CryptographicException("The file is not a sealed secrets file.");
        }

        if (envelope.Format != Format || envelope.Iterations is < 100_000 or > 10_000_000)
        {
            throw new CryptographicException($"The file is not a {Format} file.");
        }

        var ciphertext = Convert.FromBase64String(envelope.Ciphertext);
        var plaintext = new byte[ciphertext.Length];
        var key = Derive(passphrase, Convert.FromBase64String(envelope.Salt), envelope.Iterations);
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(Convert.FromBase64String(envelope.Nonce), ciphertext, Convert.FromBase64String(envelope.Tag), plaintext, Encoding.UTF8.GetBytes(Format));
            var files = JsonSerializer.Deserialize(plaintext, SealedSecretsJson.Default.DictionaryStringString)!;
            if (files.Keys.FirstOrDefault(name => !NodeSecretFiles.IsSecret(name)) is { } stranger)
            {
                throw new CryptographicException($"The sealed file names '{stranger}', which is not a secret file name.");
            }

            return files;
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CryptographicException("Wrong passphrase, or the file was changed.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] Derive(string passphrase, byte[] salt, int iterations = Iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, iterations, HashAlgorithmName.SHA256, 32);
}

internal sealed record SealedEnvelope(string Format, int Iterations, string Salt, string Nonce, string Tag, string Ciphertext);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SealedEnvelope))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class SealedSecretsJson : JsonSerializerContext;
