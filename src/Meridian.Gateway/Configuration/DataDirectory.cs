using System.Security.Cryptography;

namespace Meridian.Gateway.Configuration;

/// <summary>The embedded data folder: control.db, one geo-*.db per geography, and the key-hashing secret.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Storage.OwnerOnly.CreateDirectory(Path);
    }

    public string Path { get; }

    public string ControlStorePath => System.IO.Path.Combine(Path, "control.db");

    /// <summary>
    /// The secret API keys are hashed with. Created once with owner-only permissions; losing it invalidates every key,
    /// which is the point: the database alone cannot be used to check guessed keys.
    /// </summary>
    public byte[] LoadOrCreateKeyHashSecret() => LoadOrCreateKeyHashSecret(Path);

    /// <summary>The key-hashing secret of <paramref name="folder"/> (the data folder, or a secrets folder where it exists already).</summary>
    public static byte[] LoadOrCreateKeyHashSecret(string folder) =>
        Convert.FromHexString(NodeSecretFiles.LoadOrCreate(folder, NodeSecretFiles.KeyHash, () => Convert.ToHexString(RandomNumberGenerator.GetBytes(32))));
}
