using System.Text;

namespace Meridian.Storage;

/// <summary>
/// Files and folders that hold data or secrets are created readable by their owner only (0600 / 0700), from the first
/// byte: databases, their WAL and shared-memory files (SQLite gives those the database file's mode), node secrets.
/// On Windows the folder's ACLs apply instead.
/// </summary>
public static class OwnerOnly
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the folder (and any missing parent) owner-only; a folder that exists keeps its mode.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, FolderMode);
        }
    }

    /// <summary>
    /// Makes sure a database file exists owner-only before the engine opens it, so the engine never creates it with the
    /// process's umask; an existing file (from an older version) is tightened.
    /// </summary>
    public static void PrepareDatabaseFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            using (new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode }))
            {
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            if ((File.GetUnixFileMode(path) & ~FileMode) != 0)
            {
                File.SetUnixFileMode(path, FileMode);
            }
        }
    }

    /// <summary>Writes a new secret file, owner-only from its creation; fails if the file exists (another node won the race).</summary>
    public static void WriteNewSecret(string path, string text)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        using var writer = new StreamWriter(path, Encoding.ASCII, options);
        writer.Write(text);
    }
}
