using Meridian.Core.Billing;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Tests.Geography;

/// <summary>
/// The migration that folds each request's usage row into its receipt's row (issue 19): a store written before it keeps
/// every usage row readable and every total the same — rows that agree with their receipt move into it, the rest stay in
/// the old table — new usage is written in the receipt's row and billed once, and a binary from before is refused. On
/// this run's engine.
/// </summary>
public sealed class UsageFoldMigrationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 14, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-usage-fold", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    [Fact]
    public void A_store_from_before_keeps_every_usage_row_and_total_and_new_usage_rests_in_its_receipt_row()
    {
        Directory.CreateDirectory(_directory);
        // The schema just before the fold (the one the compatibility floor points at).
        var before = ReceiptStore.OldestCompatible - 1;
        var database = TestStores.Settings(_directory).OpenGeography("us");
        database.Migrate([.. ReceiptStore.SchemaMigrations.Take(before)], oldestCompatible: 1);

        // As the previous binary wrote them: a receipt and a ledger row that agree; a receipt from before receipts named
        // their resource, with its ledger row; a ledger row whose receipt is not there; a receipt that billed nothing.
        var agreeing = UsageLedgerTests.Usage("req_agreeing", T0.AddMinutes(10), new TokenCounts(10, 20, 3, 4));
        var oldReceipt = UsageLedgerTests.Usage("req_old_receipt", T0.AddMinutes(20), new TokenCounts(100, 200, 0, 0));
        var orphan = UsageLedgerTests.Usage("req_orphan", T0.AddMinutes(30), new TokenCounts(1000, 2000, 0, 0));
        using (var connection = database.Open())
        {
            InsertOldReceipt(connection, agreeing, agreeing.ResourceId);
            InsertOldReceipt(connection, oldReceipt, resourceId: null);
            InsertOldReceipt(connection, UsageLedgerTests.Usage("req_unbilled", T0.AddMinutes(40), TokenCounts.Zero), agreeing.ResourceId);
            foreach (var u in new[] { agreeing, oldReceipt, orphan })
            {
                connection.Execute(null, """
                    INSERT INTO usage_ledger VALUES (@id, @at, @hour, @tenant, @key, @resource, @deployment, @name, @offer, @publisher, @model,
                                                     @input, @output, @cache_write, @cache_read, 'backend')
                    """,
                    ("@id", u.RequestId), ("@at", UsageLedger.FormatTime(u.At)), ("@hour", UsageLedger.FormatTime(T0)), ("@tenant", u.TenantId),
                    ("@key", u.KeyId), ("@resource", u.ResourceId), ("@deployment", u.DeploymentId), ("@name", u.DeploymentName), ("@offer", u.OfferId),
                    ("@publisher", u.PublisherId), ("@model", u.Model), ("@input", u.Tokens.Input), ("@output", u.Tokens.Output),
                    ("@cache_write", u.Tokens.CacheWrite), ("@cache_read", u.Tokens.CacheRead));
            }

            var total = agreeing.Tokens + oldReceipt.Tokens + orphan.Tokens;
            connection.Execute(null, """
                INSERT INTO usage_hourly VALUES ('ten_a', @hour, 'dep_a', 'model-a', 'w_old', 'dep_a-name', 'off_a', 'pub_a', 3, @input, @output, @cache_write, @cache_read)
                """,
                ("@hour", UsageLedger.FormatTime(T0)), ("@input", total.Input), ("@output", total.Output), ("@cache_write", total.CacheWrite), ("@cache_read", total.CacheRead));
        }

        var store = new ReceiptStore("us", TestStores.Settings(_directory).OpenGeography("us"));

        Assert.Equal(ReceiptStore.SchemaMigrations.Count - before, store.MigrationsApplied);
        Assert.Equal(["req_agreeing", "req_old_receipt", "req_orphan"], store.Ledger.RequestIds());
        foreach (var u in new[] { agreeing, oldReceipt, orphan })
        {
            Assert.Equal(u with { StorageGeography = string.Empty }, store.Ledger.Find(u.RequestId));
        }

        Assert.Null(store.Ledger.Find("req_unbilled"));
        using (var connection = store.Database.Open())
        {
            // Only the row that agreed with its receipt moved; the others stay where they were, still read.
            Assert.Equal(["req_old_receipt", "req_orphan"], connection.Query(null, "SELECT request_id FROM usage_ledger ORDER BY request_id", r => r.GetString(0)));
            Assert.Equal("backend", connection.Query(null, "SELECT usage_source FROM receipts WHERE request_id = 'req_agreeing'", r => r.GetString(0)).Single());
        }

        // The same totals from whole hours (the aggregates) and from a span that cuts the hour (the rows).
        var expected = (3L, agreeing.Tokens + oldReceipt.Tokens + orphan.Tokens);
        var whole = Assert.Single(store.Ledger.Sum(new UsageQuery(T0, T0.AddHours(1), TenantId: "ten_a")));
        var cut = Assert.Single(store.Ledger.Sum(new UsageQuery(T0.AddMinutes(5), T0.AddMinutes(50), TenantId: "ten_a", OfferId: "off_a")));
        Assert.Equal(expected, (whole.Requests, whole.Tokens));
        Assert.Equal(expected, (cut.Requests, cut.Tokens));

        // New usage rests in its receipt's row, billed once however often its batch is written.
        var next = UsageLedgerTests.Usage("req_next", T0.AddMinutes(45), new TokenCounts(5, 6, 0, 0));
        Assert.Equal("req_next", Assert.Single(store.InsertUsage([next])).RequestId);
        Assert.Empty(store.InsertUsage([next]));
        Assert.Equal(4, store.Ledger.Count());
        Assert.Equal(next with { StorageGeography = string.Empty }, store.Ledger.Find("req_next"));
        var after = Assert.Single(store.Ledger.Sum(new UsageQuery(T0.AddMinutes(5), T0.AddMinutes(50), TenantId: "ten_a")));
        Assert.Equal((4L, expected.Item2 + next.Tokens), (after.Requests, after.Tokens));
        Assert.Equal(after.Tokens, Assert.Single(store.Ledger.Sum(new UsageQuery(T0, T0.AddHours(1), TenantId: "ten_a"))).Tokens);

        // A binary from before would bill into the old table alone: it is refused.
        Assert.Throws<SchemaTooNewException>(() =>
            TestStores.Settings(_directory).OpenGeography("us").Migrate([.. ReceiptStore.SchemaMigrations.Take(before)], oldestCompatible: 1));
    }

    [Fact]
    public void A_record_whose_usage_differs_from_its_receipt_is_refused_before_it_is_written()
    {
        var usage = UsageLedgerTests.Usage("req_1", T0, new TokenCounts(10, 20, 0, 0));

        Assert.Throws<ArgumentException>(() => new RequestRecord(TestStores.ReceiptOf(usage) with { TenantId = "ten_other" }, usage, null));
        Assert.Throws<ArgumentException>(() => new RequestRecord(TestStores.ReceiptOf(usage) with { OutputTokens = 21 }, usage, null));
        Assert.Equal(usage, new RequestRecord(TestStores.ReceiptOf(usage), usage, null).Usage);
    }

    private static void InsertOldReceipt(System.Data.Common.DbConnection connection, UsageRecord u, string? resourceId) =>
        connection.Execute(null, """
            INSERT INTO receipts (request_id, created_at, tenant_id, key_id, deployment_id, deployment_name, model, ingress_region, storage_geography,
                                  endpoint, streamed, status, safeguard_verdict, input_tokens, output_tokens, cache_creation_input_tokens,
                                  cache_read_input_tokens, duration_ms, publisher_id, resource_id)
            VALUES (@id, @at, @tenant, @key, @deployment, @name, @model, 'eastus', 'us', 'messages', 0, 200, 'not_screened',
                    @input, @output, @cache_write, @cache_read, 1.5, @publisher, @resource)
            """,
            ("@id", u.RequestId), ("@at", UsageLedger.FormatTime(u.At)), ("@tenant", u.TenantId), ("@key", u.KeyId), ("@deployment", u.DeploymentId),
            ("@name", u.DeploymentName), ("@model", u.Model), ("@input", u.Tokens.Input), ("@output", u.Tokens.Output),
            ("@cache_write", u.Tokens.CacheWrite), ("@cache_read", u.Tokens.CacheRead), ("@publisher", u.PublisherId), ("@resource", resourceId));
}
