using System.Security.Cryptography;
using System.Text;
using Meridian.Core.Billing;
using Meridian.Core.Receipts;
using Meridian.Gateway.Configuration;
using Meridian.Storage;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Meridian.Testing;

/// <summary>
/// The store engine this run of the suite uses: SQLite files by default, PostgreSQL when <c>MERIDIAN_TEST_STORE=postgres</c>
/// (<c>./build.sh test</c> runs the suite once per engine). Each data folder maps to its own schemas on the test server,
/// derived from the folder's path, so a fixture and the gateway it starts always meet in the same stores.
/// </summary>
public static class TestStores
{
    public static StoreEngine Engine { get; } =
        string.Equals(Environment.GetEnvironmentVariable("MERIDIAN_TEST_STORE"), "postgres", StringComparison.OrdinalIgnoreCase)
            ? StoreEngine.Postgres
            : StoreEngine.Sqlite;

    public static bool IsPostgres => Engine == StoreEngine.Postgres;

    /// <summary>The test server's connection string (small pools: a run starts hundreds of gateways against one server).</summary>
    public static string PostgresConnection =>
        new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("MERIDIAN_TEST_POSTGRES")
            ?? throw new InvalidOperationException("MERIDIAN_TEST_STORE=postgres needs MERIDIAN_TEST_POSTGRES (./build.sh test sets both)."))
        {
            MaxPoolSize = 8,
            ConnectionIdleLifetime = 2,
            ConnectionPruningInterval = 1,
        }.ConnectionString;

    /// <summary>The test server's data folder, for scans of everything it wrote (null when not known).</summary>
    public static string? PostgresDataDirectory => Environment.GetEnvironmentVariable("MERIDIAN_TEST_POSTGRES_DATA");

    /// <summary>
    /// Points <paramref name="options"/> at this run's engine, in the schemas of its data folder — unless the test chose
    /// a PostgreSQL server of its own.
    /// </summary>
    public static GatewayOptions OnTestStore(this GatewayOptions options)
    {
        if (IsPostgres && options.Postgres is null)
        {
            options.Store = StoreEngine.Postgres;
            options.Postgres = PostgresConnection;
            options.PostgresSchemaPrefix = SchemaPrefix(options.DataDirectory);
        }

        return options;
    }

    /// <summary>The <c>meridian serve</c> arguments that put a gateway process on this run's engine, in the schemas of its data folder.</summary>
    public static string[] ServeArguments(string dataDirectory) => IsPostgres
        ? ["--store", "postgres", "--postgres", PostgresConnection, "--postgres-schema", SchemaPrefix(dataDirectory)]
        : [];

    public static StorageSettings Settings(string dataDirectory) =>
        new GatewayOptions { DataDirectory = dataDirectory }.OnTestStore().StorageIn(Path.GetFullPath(dataDirectory));

    public static ControlStore Control(string dataDirectory) => new(Settings(dataDirectory).OpenControl());

    public static GeographyStores Geographies(string dataDirectory, params string[] geographies) => new(Settings(dataDirectory), geographies);

    /// <summary>
    /// Writes usage rows as the record writer would: each with the receipt it always comes with (a usage row never rests
    /// without one). Returns the rows that were new.
    /// </summary>
    public static IReadOnlyList<UsageRecord> InsertUsage(this ReceiptStore store, IEnumerable<UsageRecord> usage) =>
        store.InsertBatch([.. usage.Select(u => new RequestRecord(ReceiptOf(u), u, null))]);

    public static Receipt ReceiptOf(UsageRecord usage) => new()
    {
        RequestId = usage.RequestId,
        CreatedAt = usage.At,
        TenantId = usage.TenantId,
        KeyId = usage.KeyId,
        DeploymentId = usage.DeploymentId,
        DeploymentName = usage.DeploymentName,
        Model = usage.Model,
        PublisherId = usage.PublisherId,
        ResourceId = usage.ResourceId,
        IngressRegion = "eastus",
        StorageGeography = usage.StorageGeography,
        Endpoint = "messages",
        Status = 200,
        InputTokens = usage.Tokens.Input,
        OutputTokens = usage.Tokens.Output,
        CacheCreationInputTokens = usage.Tokens.CacheWrite,
        CacheReadInputTokens = usage.Tokens.CacheRead,
    };

    /// <summary>Releases pooled connections, so data folders can be deleted and servers do not run out of connections.</summary>
    public static void ClearPools()
    {
        SqliteConnection.ClearAllPools();
        if (IsPostgres)
        {
            NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>Releases the pools, then deletes a test's data folder; best effort: a temp folder left behind is not a test failure.</summary>
    public static void DeleteDataDirectory(string dataDirectory)
    {
        ClearPools();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Every file this run's stores wrote for the gateway of <paramref name="dataDirectory"/>: the data folder, and on
    /// PostgreSQL the server's whole data folder after a checkpoint (tables, indexes and write-ahead log).
    /// </summary>
    public static async Task<IReadOnlyList<string>> PersistedFilesAsync(string dataDirectory)
    {
        var files = Directory.GetFiles(dataDirectory, "*", SearchOption.AllDirectories).ToList();
        if (IsPostgres)
        {
            var serverData = PostgresDataDirectory
                ?? throw new InvalidOperationException("MERIDIAN_TEST_POSTGRES_DATA is not set: the server's files cannot be scanned.");
            await using var connection = new NpgsqlConnection(PostgresConnection);
            await connection.OpenAsync();
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
            await checkpoint.ExecuteNonQueryAsync();
            files.AddRange(Directory.GetFiles(serverData, "*", SearchOption.AllDirectories));
        }

        return files;
    }

    /// <summary>The first of <paramref name="files"/> holding <paramref name="text"/> as UTF-8 or UTF-16; null when none does.</summary>
    public static async Task<string?> FileContainingAsync(IEnumerable<string> files, string text)
    {
        byte[][] needles = [Encoding.UTF8.GetBytes(text), Encoding.Unicode.GetBytes(text)];
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                // Shared read: a running gateway or server may hold the file open for writing.
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer);
                bytes = buffer.ToArray();
            }
            catch (FileNotFoundException)
            {
                continue; // a temporary file the server removed meanwhile
            }

            if (needles.Any(n => bytes.AsSpan().IndexOf(n) >= 0))
            {
                return file;
            }
        }

        return null;
    }

    private static string SchemaPrefix(string dataDirectory) =>
        "t" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..16];
}
