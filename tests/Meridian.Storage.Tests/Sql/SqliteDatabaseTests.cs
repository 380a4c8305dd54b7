using System.Data.Common;
using System.Globalization;
using Meridian.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Meridian.Storage.Tests.Sql;

public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-sqlite-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    /// <summary>
    /// The pragmas are applied once per native connection, not on every open: a connection the pool hands out again
    /// must still have them (a fresh native connection would be FULL with no busy timeout).
    /// </summary>
    [Fact]
    public void Every_connection_writes_with_synchronous_normal_and_waits_for_the_write_lock_also_when_pooled()
    {
        var database = new SqliteDatabase(Path.Combine(_directory, "store.db"));
        database.Migrate(["CREATE TABLE t (x INTEGER);"], 0);

        object? firstHandle;
        using (var first = database.Open())
        {
            firstHandle = ((SqliteConnection)first).Handle;
            Assert.Equal((1L, 30_000L), Settings(first));
        }

        using var again = database.Open();
        Assert.Same(firstHandle, ((SqliteConnection)again).Handle);
        Assert.Equal((1L, 30_000L), Settings(again));
        Assert.Equal("wal", Scalar(again, "PRAGMA journal_mode"));
    }

    /// <summary>The admin API's handlers open connections asynchronously: those get the same per-connection settings.</summary>
    [Fact]
    public async Task A_connection_opened_asynchronously_has_the_same_settings()
    {
        var database = new SqliteDatabase(Path.Combine(_directory, "store.db"));
        database.Migrate(["CREATE TABLE t (x INTEGER);"], 0);
        using (var pooled = database.Open())
        {
            // So the next open is a fresh native connection, not one the synchronous path configured.
            SqliteConnection.ClearPool((SqliteConnection)pooled);
        }

        await using var connection = await database.OpenAsync(TestContext.Current.CancellationToken);

        Assert.Equal((1L, 30_000L), Settings(connection));
    }

    private static (long Synchronous, long BusyTimeout) Settings(DbConnection connection) =>
        (Convert.ToInt64(Scalar(connection, "PRAGMA synchronous"), CultureInfo.InvariantCulture),
         Convert.ToInt64(Scalar(connection, "PRAGMA busy_timeout"), CultureInfo.InvariantCulture));

    private static object? Scalar(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
