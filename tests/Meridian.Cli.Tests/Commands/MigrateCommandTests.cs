using Meridian.Storage.Control;
using Npgsql;

namespace Meridian.Cli.Tests.Commands;

/// <summary><c>meridian migrate</c>: every store brought to the current schema once, on either engine, and reported.</summary>
public sealed class MigrateCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-migrate-tests", Guid.NewGuid().ToString("N"));
    private readonly CliRunner _cli = new(new Dictionary<string, string?>());

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Migrates_the_embedded_stores_once_and_reports_each()
    {
        var first = await _cli.RunAsync("migrate", "--data", _data);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains(Path.Combine(_data, "control.db"), first.Out, StringComparison.Ordinal);
        Assert.Contains("no regions yet", first.Out, StringComparison.Ordinal);

        using (var control = new ControlStore(Path.Combine(_data, "control.db")))
        {
            Assert.Equal(0, control.MigrationsApplied);
            DemoSeed.SeedIfEmpty(control, DateTimeOffset.UtcNow);
        }

        var second = await _cli.RunAsync("migrate", "--data", _data);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("geography us", second.Out, StringComparison.Ordinal);
        Assert.Contains("geography eu", second.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_data, "geo-us.db")), second.ToString());
        Assert.Contains("current schema", second.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_lists_what_would_change_and_changes_nothing()
    {
        // Nothing there yet: every migration of the control store is pending, and no file is created.
        var empty = await _cli.RunAsync("migrate", "--dry-run", "--data", _data);
        Assert.Equal(0, empty.ExitCode);
        Assert.Contains("to be created", empty.Out, StringComparison.Ordinal);
        Assert.Contains("control v1: CREATE TABLE regions", empty.Out, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", empty.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_data, "control.db")), "the dry run created the control store");

        // A control store one migration behind, and a geography whose store does not exist yet.
        using (var control = new ControlStore(Path.Combine(_data, "control.db")))
        {
            DemoSeed.SeedIfEmpty(control, DateTimeOffset.UtcNow);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var behind = ControlStore.SchemaMigrations.Count - 1;
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_data, "control.db")}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {behind}";
            command.ExecuteNonQuery();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var plan = await _cli.RunAsync("migrate", "--dry-run", "--data", _data);
        Assert.Equal(0, plan.ExitCode);
        Assert.Contains($"control v{behind + 1}:", plan.Out, StringComparison.Ordinal);
        Assert.Contains("geography us", plan.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_data, "geo-us.db")), "the dry run created a geography store");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_data, "control.db")}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version";
            Assert.Equal(behind, Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Migrates_postgres_schemas_and_a_second_run_applies_nothing()
    {
        var server = Environment.GetEnvironmentVariable("MERIDIAN_TEST_POSTGRES");
        Assert.True(server is not null, "MERIDIAN_TEST_POSTGRES is not set; run the tests through ./build.sh test, which starts PostgreSQL.");
        var prefix = "cli" + Guid.NewGuid().ToString("N")[..12];
        string[] args = ["migrate", "--data", _data, "--store", "postgres", "--postgres", server, "--postgres-schema", prefix];

        var first = await _cli.RunAsync(args);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains($"schema {prefix}_control", first.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_data, "control.db")), "the postgres store wrote a SQLite file");

        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand($"SELECT COUNT(*) FROM {prefix}_control.schema_migrations", connection);
        var applied = Convert.ToInt64(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(applied > 0);

        var again = await _cli.RunAsync(args);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(applied, Convert.ToInt64(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_store_ahead_of_the_binary_is_reported_and_refused_unless_it_declares_this_binary_compatible(bool compatible)
    {
        Assert.Equal(0, (await _cli.RunAsync("migrate", "--data", _data)).ExitCode);
        // A newer binary migrated the control store one step further.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_data, "control.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT user_version FROM pragma_user_version";
            var version = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            command.CommandText = $"CREATE TABLE future_things (id TEXT); PRAGMA user_version = {version + 1}; " +
                $"UPDATE schema_compatibility SET oldest_binary_schema = {(compatible ? version : version + 1)}";
            command.ExecuteNonQuery();
        }

        var result = await _cli.RunAsync("migrate", "--data", _data);
        if (compatible)
        {
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("ahead of this binary", result.Out, StringComparison.Ordinal);
            Assert.DoesNotContain("current schema", result.Out, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("needs a binary that knows schema", result.Error, StringComparison.Ordinal);

            // A node refuses to serve it (serve writes its refusal to the terminal, which the runner does not capture).
            var run = _cli.RunAsync("serve", "--port", "0", "--data", _data);
            Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken)));
            var serve = await run;
            Assert.Equal(2, serve.ExitCode);
        }
    }

    [Fact]
    public async Task A_postgres_store_without_a_connection_string_is_refused_by_name()
    {
        var result = await _cli.RunAsync("migrate", "--data", _data, "--store", "postgres");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--postgres", result.Error, StringComparison.Ordinal);
    }
}
