using System.Security.Cryptography;

namespace Meridian.Gateway.Hosting;

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
    public static byte[] LoadOrCreateKeyHashSecret(string folder)
    {
        var file = System.IO.Path.Combine(folder, NodeSecretFiles.KeyHash);
        if (File.Exists(file))
        {
            return Convert.FromHexString(File.ReadAllText(file).Trim());
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        try
        {
            Storage.OwnerOnly.WriteNewSecret(file, Convert.ToHexString(secret));
            return secret;
        }
        catch (IOException) when (File.Exists(file))
        {
            // Another node on the same data folder created it first: use that one.
            return Convert.FromHexString(File.ReadAllText(file).Trim());
        }
    }
}
