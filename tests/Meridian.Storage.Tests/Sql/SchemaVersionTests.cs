using Meridian.Storage.Control;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Tests.Sql;

/// <summary>
/// Version skew between binaries and stores (issue 22): each store records its schema version and the oldest binary
/// schema that may use it; a binary refuses a store it does not understand, and serves one a newer binary migrated
/// additively. The rolling upgrade: expand (old and new nodes side by side), deploy, contract (old nodes refused).
/// Runs on this run's engine.
/// </summary>
public sealed class SchemaVersionTests : IDisposable
{
    private const string Expand = "CREATE TABLE widgets (id TEXT PRIMARY KEY);";
    private const string AddColumn = "ALTER TABLE widgets ADD COLUMN colour TEXT;";
    private const string Contract = "ALTER TABLE widgets RENAME TO gadgets;";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-schema-version", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    [Fact]
    public void A_rolling_upgrade_serves_old_and_new_side_by_side_through_the_expand_and_refuses_the_old_after_the_contract()
    {
        Directory.CreateDirectory(_directory);
        var settings = TestStores.Settings(_directory);
        string[] v1 = [Expand];
        string[] v2 = [Expand, AddColumn];
        string[] v3 = [Expand, AddColumn, Contract];

        Assert.Equal(1, settings.OpenControl().Migrate(v1, oldestCompatible: 1));

        // Expand: the new binary adds a nullable column and declares v1 binaries still fit.
        var newNode = settings.OpenControl();
        Assert.Equal(1, newNode.Migrate(v2, oldestCompatible: 1));
        Assert.Equal(new SchemaVersion(2, 2, 1), newNode.StoreSchema);
        var oldNode = settings.OpenControl();
        Assert.Equal(0, oldNode.Migrate(v1, oldestCompatible: 1));
        Assert.Equal(new SchemaVersion(2, 1, 1), oldNode.StoreSchema);
        Assert.True(oldNode.StoreSchema!.Ahead);
        Assert.True(oldNode.StoreSchema.Usable);
        using (var connection = oldNode.Open())
        {
            connection.Execute(null, "INSERT INTO widgets (id) VALUES ('from the old node')");
        }

        using (var connection = newNode.Open())
        {
            connection.Execute(null, "INSERT INTO widgets (id, colour) VALUES ('from the new node', 'blue')");
            Assert.Equal(2, connection.Scalar(null, "SELECT COUNT(*) FROM widgets"));
        }

        // Contract, once every node runs v2: v2 binaries still fit, v1 binaries are refused, saying what differs.
        Assert.Equal(1, settings.OpenControl().Migrate(v3, oldestCompatible: 2));
        Assert.Equal(0, settings.OpenControl().Migrate(v2, oldestCompatible: 1));
        var refused = Assert.Throws<SchemaTooNewException>(() => settings.OpenControl().Migrate(v1, oldestCompatible: 1));
        Assert.Equal(new SchemaVersion(3, 1, 2), refused.Version);
        Assert.Contains("schema version 3", refused.Message, StringComparison.Ordinal);
        Assert.Contains("knows 1", refused.Message, StringComparison.Ordinal);

        // A binary never lowers what a newer one recorded.
        var again = settings.OpenControl();
        again.Migrate(v3, oldestCompatible: 1);
        Assert.Equal(2, again.StoreSchema!.OldestCompatible);
    }

    [Fact]
    public void The_control_store_refuses_a_schema_a_newer_binary_declared_this_one_unfit_for()
    {
        Directory.CreateDirectory(_directory);
        var settings = TestStores.Settings(_directory);
        string[] next = [.. ControlSchema.Migrations, "CREATE TABLE future_things (id TEXT PRIMARY KEY);"];
        settings.OpenControl().Migrate(next, oldestCompatible: next.Length);

        var refused = Assert.Throws<SchemaTooNewException>(() => new ControlStore(settings.OpenControl()));
        Assert.Equal(new SchemaVersion(next.Length, ControlSchema.Migrations.Length, next.Length), refused.Version);
    }

    [Fact]
    public void The_control_store_serves_a_schema_a_newer_binary_migrated_additively_and_says_it_is_ahead()
    {
        Directory.CreateDirectory(_directory);
        var settings = TestStores.Settings(_directory);
        string[] next = [.. ControlSchema.Migrations, "CREATE TABLE future_things (id TEXT PRIMARY KEY);"];
        settings.OpenControl().Migrate(next, oldestCompatible: ControlSchema.Migrations.Length);

        using var store = new ControlStore(settings.OpenControl());
        Assert.Equal(0, store.MigrationsApplied);
        Assert.True(store.Database.StoreSchema!.Ahead);
        Assert.NotNull(store.LoadWorld());
    }
}
