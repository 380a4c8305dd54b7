using Meridian.Core.Marketplace;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Tests.Control;

/// <summary>
/// Upgrading a control store whose keys and deployments were suspended the old way (a <c>suspended_at</c> column and a
/// <c>key.suspend</c>/<c>deployment.suspend</c> audit record) keeps every suspension standing, as a record with its case,
/// actor, time and party, now covering what would replace the suspended key or deployment. Runs on this run's engine.
/// </summary>
public sealed class SuspensionMigrationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-suspension-migration", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    [Fact]
    public async Task Earlier_suspensions_stand_after_the_upgrade_with_their_case_actor_and_party()
    {
        Directory.CreateDirectory(_directory);
        var database = TestStores.Settings(_directory).OpenControl();
        // The schema as it was just before suspensions became records; later migrations run on the upgrade too.
        var suspensionsMigration = Array.FindIndex(ControlSchema.Migrations, m => m.Contains("CREATE TABLE suspensions", StringComparison.Ordinal));
        database.Migrate(ControlSchema.Migrations[..suspensionsMigration], 0);
        using (var connection = database.Open())
        {
            connection.Execute(null, """
                INSERT INTO regions (name, data_zone, geography, display_name) VALUES ('eastus', 'us', 'us', 'East US');
                INSERT INTO publishers (id, name, contact_email, created_at) VALUES ('pub_a', 'A', 'a@example.com', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO offers (id, publisher_id, name, hosting_options, deployment_types, price_input, price_output, price_cache_write, price_cache_read, created_at)
                VALUES ('off_a', 'pub_a', 'A', 'platform', 'regional', '1', '1', '1', '1', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO tenants (id, name, billing_contact_name, billing_contact_email, created_at) VALUES ('ten_a', 'T', 'T', 't@example.com', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO resources (id, tenant_id, name, region, created_at) VALUES ('res_a', 'ten_a', 'r', 'eastus', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO api_keys (id, resource_id, tenant_id, prefix, hash, created_by, created_at, suspended_at)
                VALUES ('key_bad', 'res_a', 'ten_a', 'mk-bad', 'hash-bad', 'token:tenant', '2026-01-01T00:00:00.0000000Z', '2026-02-01T00:00:00.0000000Z');
                INSERT INTO api_keys (id, resource_id, tenant_id, prefix, hash, created_by, created_at)
                VALUES ('key_good', 'res_a', 'ten_a', 'mk-good', 'hash-good', 'token:tenant', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO deployments (id, resource_id, tenant_id, name, offer_id, model_id, hosting_option, deployment_type, capacity_rpm, capacity_tpm,
                                         safeguard_policy, created_by, created_at, deleted_at, suspended_at)
                VALUES ('dep_bad', 'res_a', 'ten_a', 'chat', 'off_a', 'm', 'platform', 'regional', 10, 1000, 'default', 'token:tenant',
                        '2026-01-01T00:00:00.0000000Z', '2026-02-03T00:00:00.0000000Z', '2026-02-02T00:00:00.0000000Z');
                INSERT INTO admin_tokens (id, name, hash, prefix, role, publisher_id, geographies, created_by, created_at)
                VALUES ('tok_rev', 'reviewer', 'hash-rev', 'mt-rev', 'reviewer', 'pub_a', 'us', 'token:op', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO audit (at, actor, action, object_type, object_id, after_json) VALUES
                    ('2026-02-01T00:00:00.0000000Z', 'token:tok_rev', 'key.suspend', 'api_key', 'key_bad',
                     '{"object_type":"api_key","object_id":"key_bad","case_id":"case_one","suspended_at":"2026-02-01T00:00:00+00:00"}'),
                    ('2026-02-02T00:00:00.0000000Z', 'token:bootstrap', 'deployment.suspend', 'deployment', 'dep_bad',
                     '{"object_type":"deployment","object_id":"dep_bad","case_id":"case_two","suspended_at":"2026-02-02T00:00:00+00:00"}');
                """);
        }

        using var control = new ControlStore(database);
        var store = new MarketplaceStore(control);
        var standing = await store.StandingSuspensionsAsync(CancellationToken.None);

        Assert.Equal(ControlSchema.Migrations.Length - suspensionsMigration, control.MigrationsApplied);
        var key = Assert.Single(standing.OfKey("ten_a", "res_a", "key_bad"));
        Assert.Equal(("case_one", ReviewedBy.Publisher, "token:tok_rev"), (key.CaseId, key.Party, key.SuspendedBy));
        Assert.Empty(standing.OfKey("ten_a", "res_a", "key_good"));
        // The deployment was deleted after its suspension: its name stays suspended for whatever is created under it.
        var deployment = Assert.Single(standing.OfDeployment("ten_a", "res_a", "chat"));
        Assert.Equal(("case_two", ReviewedBy.Operator, "dep_bad"), (deployment.CaseId, deployment.Party, deployment.SubjectId));
        // Keys that existed before the upgrade are the first of their lines, so a later rotation inherits as it should.
        Assert.Equal("key_bad", store.FindKey("key_bad")!.LineageId);
    }

    [Fact]
    public void PostgreSQL_reads_a_member_of_json_text_where_SQLite_calls_json_extract() =>
        Assert.Equal("SELECT (a.after_json::json ->> 'case_id') FROM audit a",
            PostgresDatabase.TranslateSchema("SELECT json_extract(a.after_json, '$.case_id') FROM audit a"));
}
