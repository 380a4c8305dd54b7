using System.Security.Cryptography;

namespace Meridian.Gateway.Hosting;

/// <summary>The embedded data folder: control.db, one geo-*.db per geography, and the key-hashing secret.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string ControlStorePath => System.IO.Path.Combine(Path, "control.db");

    /// <summary>
    /// The secret API keys are hashed with. Created once with owner-only permissions; losing it invalidates every key,
    /// which is the point: the database alone cannot be used to check guessed keys.
    /// </summary>
    public byte[] LoadOrCreateKeyHashSecret()
    {
        var file = System.IO.Path.Combine(Path, "keyhash.secret");
        if (File.Exists(file))
        {
            return Convert.FromHexString(File.ReadAllText(file).Trim());
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        File.WriteAllText(file, Convert.ToHexString(secret));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return secret;
    }
}
