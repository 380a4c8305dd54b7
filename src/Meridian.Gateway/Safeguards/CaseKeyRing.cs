using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Meridian.Gateway.Configuration;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Seals and opens case snapshots with AES-256-GCM under a data key of their own: each case gets a fresh random key,
/// which is stored wrapped (AES-256-GCM) by its geography's key, apart from the snapshot. Destroying the wrapped key
/// destroys the case (crypto-shredding): the snapshot's bytes, wherever a copy of them survives, no longer open with
/// anything this node holds. The case id and geography are the associated data of both: a snapshot or wrapped key
/// copied onto another case, or into another geography's store, does not open.
/// Sealed snapshot: version (2) · nonce (12) · tag (16) · ciphertext. Wrapped key: version (1) · nonce · tag · 32 bytes.
/// Snapshots sealed before per-case keys (version 1) were sealed directly under the geography key and still open.
/// During a rotation of a geography's key (docs/scale-out.md, "Rotation") new cases are sealed under the current key and
/// those sealed under the overlap's other key (the staged next, or the previous) still open; <see cref="Rewrap"/> moves
/// a case to the current key before the overlap ends. Thread-safe.
/// </summary>
public sealed class CaseKeyRing(SafeguardsOptions options, string dataDirectory)
{
    private const byte GeographyKeyVersion = 1;
    private const byte CaseKeyVersion = 2;
    private const byte WrapVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int KeySize = 32;

    private readonly ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte[][]> _overlap = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _createLock = new();

    /// <summary>Seals <paramref name="plaintext"/> under a new data key of the case; returns the snapshot and the wrapped key.</summary>
    public CaseContent Seal(string geography, string caseId, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> dataKey = stackalloc byte[KeySize];
        RandomNumberGenerator.Fill(dataKey);
        try
        {
            var snapshot = Encrypt(dataKey, CaseKeyVersion, plaintext, AssociatedData("meridian-case-v2", geography, caseId));
            var wrapped = Encrypt(KeyOf(geography), WrapVersion, dataKey, AssociatedData("meridian-case-key-v1", geography, caseId));
            return new CaseContent(snapshot, wrapped);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Opens a sealed snapshot with its wrapped key (null only for a snapshot sealed before per-case keys); throws
    /// <see cref="CryptographicException"/> when either was altered, moved, sealed with another key, or the key is missing.
    /// </summary>
    public byte[] Open(string geography, string caseId, ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> wrappedKey)
    {
        if (sealedBytes.Length > 0 && sealedBytes[0] == GeographyKeyVersion && wrappedKey.IsEmpty)
        {
            return DecryptUnderAny(geography, GeographyKeyVersion, sealedBytes, AssociatedData("meridian-case-v1", geography, caseId)).Plaintext;
        }

        if (wrappedKey.IsEmpty)
        {
            throw new CryptographicException("The data key of this case snapshot is gone.");
        }

        var dataKey = DecryptUnderAny(geography, WrapVersion, wrappedKey, AssociatedData("meridian-case-key-v1", geography, caseId)).Plaintext;
        try
        {
            return Decrypt(dataKey, CaseKeyVersion, sealedBytes, AssociatedData("meridian-case-v2", geography, caseId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// The case's wrapped key (or, for a snapshot sealed before per-case keys, its snapshot) sealed again under the
    /// geography's current key, or null when it already is: what ending a rotation's overlap does to every case first,
    /// so that no case depends on the key about to be retired. A case with a data key of its own keeps its snapshot as
    /// it is (only the small wrapped key changes). Throws
    /// <see cref="CryptographicException"/> when no key of the overlap opens it.
    /// </summary>
    public RewrappedCase? Rewrap(string geography, string caseId, byte[] sealedBytes, byte[] wrappedKey)
    {
        var (version, purpose, target) = wrappedKey.Length == 0 ? (GeographyKeyVersion, "meridian-case-v1", sealedBytes) : (WrapVersion, "meridian-case-key-v1", wrappedKey);
        var associated = AssociatedData(purpose, geography, caseId);
        var (plaintext, current) = DecryptUnderAny(geography, version, target, associated);
        try
        {
            if (current)
            {
                return null;
            }

            var resealed = Encrypt(KeyOf(geography), version, plaintext, associated);
            return wrappedKey.Length == 0 ? new RewrappedCase(resealed, null) : new RewrappedCase(null, resealed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Opens under the current key, else under each key of a rotation's overlap; says whether the current one did.</summary>
    private (byte[] Plaintext, bool Current) DecryptUnderAny(string geography, byte version, ReadOnlySpan<byte> sealedBytes, byte[] associatedData)
    {
        try
        {
            return (Decrypt(KeyOf(geography), version, sealedBytes, associatedData), true);
        }
        catch (CryptographicException) when (_overlap.TryGetValue(geography, out var others) && others.Length > 0)
        {
            foreach (var other in others)
            {
                try
                {
                    return (Decrypt(other, version, sealedBytes, associatedData), false);
                }
                catch (CryptographicException)
                {
                    // Not this key of the overlap: the next.
                }
            }

            throw;
        }
    }

    private static byte[] Encrypt(ReadOnlySpan<byte> key, byte version, ReadOnlySpan<byte> plaintext, byte[] associatedData)
    {
        var sealedBytes = new byte[1 + NonceSize + TagSize + plaintext.Length];
        sealedBytes[0] = version;
        var nonce = sealedBytes.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(1 + NonceSize + TagSize), sealedBytes.AsSpan(1 + NonceSize, TagSize), associatedData);
        return sealedBytes;
    }

    private static byte[] Decrypt(ReadOnlySpan<byte> key, byte version, ReadOnlySpan<byte> sealedBytes, byte[] associatedData)
    {
        if (sealedBytes.Length < 1 + NonceSize + TagSize || sealedBytes[0] != version)
        {
            throw new CryptographicException("Not a sealed case snapshot or key of the expected version.");
        }

        var plaintext = new byte[sealedBytes.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedBytes.Slice(1, NonceSize), sealedBytes[(1 + NonceSize + TagSize)..], sealedBytes.Slice(1 + NonceSize, TagSize), plaintext, associatedData);
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
    public string Fingerprint(string geography) => NodeSecretFiles.Fingerprint(KeyOf(geography), "case-key:" + geography.ToLowerInvariant());

    /// <summary>The fingerprints of the other keys of a rotation's overlap of the geography's key (none outside a rotation).</summary>
    public IReadOnlyList<string> OverlapFingerprints(string geography)
    {
        KeyOf(geography);
        return [.. _overlap.GetValueOrDefault(geography, []).Select(k => NodeSecretFiles.Fingerprint(k, "case-key:" + geography.ToLowerInvariant()))];
    }

    /// <summary>Where the geography's key is read from, for messages.</summary>
    public string SourceOf(string geography) =>
        options.CaseKeys.ContainsKey(geography) ? $"Safeguards.CaseKeys[{geography}] ({SafeguardsOptions.KeyEnvPrefix}{geography.ToUpperInvariant()})"
        : Path.Combine(dataDirectory, NodeSecretFiles.CaseKey(geography));

    private static byte[] AssociatedData(string purpose, string geography, string caseId) => Encoding.UTF8.GetBytes($"{purpose}|{geography.ToLowerInvariant()}|{caseId}");

    private byte[] KeyOf(string geography)
    {
        if (_keys.TryGetValue(geography, out var key))
        {
            return key;
        }

        lock (_createLock)
        {
            // A rotation's stages are files beside the key file, whichever way the current key is given.
            var file = NodeSecretFiles.CaseKey(geography);
            _overlap.GetOrAdd(geography, _ => [.. NodeSecretFiles.Overlap(dataDirectory, file)
                .Select(o => Decode(o.Text, Path.Combine(dataDirectory, NodeSecretFiles.Staged(file, o.Stage))))]);
            return _keys.GetOrAdd(geography, Load);
        }
    }

    private byte[] Load(string geography)
    {
        if (options.CaseKeys.TryGetValue(geography, out var configured) && configured is { Length: > 0 })
        {
            return Decode(configured, $"the case key of geography '{geography}' (Safeguards.CaseKeys / {SafeguardsOptions.KeyEnvPrefix}{geography.ToUpperInvariant()})");
        }

        var file = NodeSecretFiles.CaseKey(geography);
        return Decode(NodeSecretFiles.LoadOrCreate(dataDirectory, file, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), Path.Combine(dataDirectory, file));
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

/// <summary>What sealing a case again under the current key changed: its snapshot (sealed before per-case keys) or its wrapped key.</summary>
public sealed record RewrappedCase(byte[]? Snapshot, byte[]? WrappedKey);
