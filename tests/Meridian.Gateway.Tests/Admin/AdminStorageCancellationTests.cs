using Meridian.Core.Marketplace;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// The admin API awaits its store calls with the request's <c>RequestAborted</c>: a call whose client went away stops
/// instead of finishing work nobody will read, and a write it stops before its commit leaves nothing behind. Runs on the
/// suite's engine (SQLite, or PostgreSQL under <c>MERIDIAN_TEST_STORE=postgres</c>).
/// </summary>
public sealed class AdminStorageCancellationTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 3, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-admin-cancel-" + Guid.NewGuid().ToString("N"));
    private readonly ControlStore _control;
    private readonly MarketplaceStore _store;

    public AdminStorageCancellationTests()
    {
        _control = TestStores.Control(_directory);
        _store = new MarketplaceStore(_control);
    }

    public void Dispose()
    {
        _control.Dispose();
        TestStores.DeleteDataDirectory(_directory);
    }

    [Fact]
    public async Task A_read_for_a_request_that_was_aborted_stops_without_an_answer()
    {
        var aborted = new CancellationToken(canceled: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.TenantsAsync(null, new PageRequest(10, null), aborted));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.StandingSuspensionsAsync(aborted));
    }

    [Fact]
    public async Task A_create_for_a_request_that_was_aborted_writes_no_tenant_and_no_audit_record()
    {
        var generation = _control.Generation();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _store.CreateTenantAsync("token:tok_op", new TenantDraft("Acme", "Ada", "ada@acme.example"), Now, new CancellationToken(canceled: true)));

        Assert.Empty((await _store.TenantsAsync(null, new PageRequest(10, null), TestContext.Current.CancellationToken)).Items);
        Assert.Equal(generation, _control.Generation());
        Assert.Empty(AuditLog.Read(_control, new AuditFilter(ObjectType: "tenant"), new PageRequest(10, null)).Items);
    }

    /// <summary>The client goes away between two statements of one mutation: the second never runs and the first is rolled back.</summary>
    [Fact]
    public async Task A_write_aborted_between_its_statements_stops_there_and_commits_nothing()
    {
        using var request = new CancellationTokenSource();
        var generation = _control.Generation();
        var ranAfterAbort = false;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _control.TryMutateAsync<string>(async (connection, transaction) =>
        {
            await using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO tenants (id, name, billing_contact_name, billing_contact_email, created_at) VALUES ('ten_half', 'Half', 'A', 'a@x.example', 'now')";
                await insert.ExecuteNonQueryAsync(request.Token);
            }

            await request.CancelAsync();
            await using var next = connection.CreateCommand();
            next.Transaction = transaction;
            next.CommandText = "SELECT COUNT(*) FROM tenants";
            await next.ExecuteScalarAsync(request.Token);
            ranAfterAbort = true;
            return StoreResult<string>.Ok("done");
        }, request.Token));

        Assert.False(ranAfterAbort, "nothing after the abort ran");
        Assert.Null(await _store.FindTenantAsync("ten_half", TestContext.Current.CancellationToken));
        Assert.Equal(generation, _control.Generation());
    }
}
