using Microsoft.Data.Sqlite;

namespace Meridian.Storage.Sqlite;

/// <summary>
/// One SQLite file: opens pooled connections with WAL and a busy timeout, and applies numbered migrations once.
/// Thread-safe: every caller gets its own connection.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Applies the migrations whose number is above the file's <c>user_version</c>, each in its own transaction.</summary>
    public void Migrate(IReadOnlyList<string> migrations)
    {
        using var connection = Open();
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = version; i < migrations.Count; i++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = migrations[i] + $"\nPRAGMA user_version = {i + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}
