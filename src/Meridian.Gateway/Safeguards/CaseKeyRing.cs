using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Seals and opens case snapshots with AES-256-GCM, one key per geography, so a geography's store and its key can be
/// held apart. The case id and geography are the associated data: a sealed snapshot copied onto another case, or into
/// another geography's store, does not open. Sealed form: version (1) · nonce (12) · tag (16) · ciphertext. Thread-safe.
/// </summary>
public sealed class CaseKeyRing(SafeguardsOptions options, string dataDirectory)
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _createLock = new();

    public byte[] Seal(string geography, string caseId, ReadOnlySpan<byte> plaintext)
    {
        var sealedBytes = new byte[1 + NonceSize + TagSize + plaintext.Length];
        sealedBytes[0] = Version;
        var nonce = sealedBytes.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(KeyOf(geography), TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(1 + NonceSize + TagSize), sealedBytes.AsSpan(1 + NonceSize, TagSize), AssociatedData(geography, caseId));
        return sealedBytes;
    }

    /// <summary>Opens a sealed snapshot; throws <see cref="CryptographicException"/> when it was altered, moved or sealed with another key.</summary>
    public byte[] Open(string geography, string caseId, ReadOnlySpan<byte> sealedBytes)
    {
        if (sealedBytes.Length < 1 + NonceSize + TagSize || sealedBytes[0] != Version)
        {
            throw new CryptographicException("Not a sealed case snapshot.");
        }

        var plaintext = new byte[sealedBytes.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(KeyOf(geography), TagSize);
        aes.Decrypt(sealedBytes.Slice(1, NonceSize), sealedBytes[(1 + NonceSize + TagSize)..], sealedBytes.Slice(1 + NonceSize, TagSize), plaintext,
            AssociatedData(geography, caseId));
        return plaintext;
    }

    /// <summary>
    /// Loads (or creates) the key of every geography now, at start: a node's data folder then holds every key before it
    /// is copied to the cluster's other nodes, instead of each node creating its own on first use.
    /// </summary>
    public void EnsureKeys(IEnumerable<string> geographies)
    {
        foreach (var geography in geographies)
        {
            KeyOf(geography);
        }
    }

    /// <summary>A fingerprint of the geography's key (loaded or created), to compare across nodes; reveals nothing of the key.</summary>
    public string Fingerprint(string geography) => Hosting.NodeSecrets.Fingerprint(KeyOf(geography), "case-key:" + geography.ToLowerInvariant());

    /// <summary>Where the geography's key is read from, for messages.</summary>
    public string SourceOf(string geography) =>
        options.CaseKeys.ContainsKey(geography) ? $"Safeguards.CaseKeys[{geography}]"
        : Environment.GetEnvironmentVariable(SafeguardsOptions.KeyEnvPrefix + geography.ToUpperInvariant()) is { Length: > 0 } ? SafeguardsOptions.KeyEnvPrefix + geography.ToUpperInvariant()
        : Path.Combine(dataDirectory, $"ts-key-{geography.ToLowerInvariant()}.secret");

    private static byte[] AssociatedData(string geography, string caseId) => Encoding.UTF8.GetBytes($"meridian-case-v1|{geography.ToLowerInvariant()}|{caseId}");

    private byte[] KeyOf(string geography)
    {
        if (_keys.TryGetValue(geography, out var key))
        {
            return key;
        }

        lock (_createLock)
        {
            return _keys.GetOrAdd(geography, Load);
        }
    }

    private byte[] Load(string geography)
    {
        var env = SafeguardsOptions.KeyEnvPrefix + geography.ToUpperInvariant();
        var configured = options.CaseKeys.TryGetValue(geography, out var fromOptions) ? fromOptions : Environment.GetEnvironmentVariable(env);
        if (configured is { Length: > 0 })
        {
            return Decode(configured, $"the case key of geography '{geography}' (Safeguards.CaseKeys / {env})");
        }

        var file = Path.Combine(dataDirectory, $"ts-key-{geography.ToLowerInvariant()}.secret");
        if (File.Exists(file))
        {
            return Decode(File.ReadAllText(file).Trim(), file);
        }

        var created = RandomNumberGenerator.GetBytes(32);
        Storage.OwnerOnly.WriteNewSecret(file, Convert.ToBase64String(created));
        return created;
    }

    private static byte[] Decode(string base64, string setting)
    {
        try
        {
            var key = Convert.FromBase64String(base64);
            return key.Length == 32 ? key : throw new InvalidOperationException($"{setting} must be base64 of 32 bytes; it is {key.Length} bytes.");
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{setting} is not valid base64.");
        }
    }
}
