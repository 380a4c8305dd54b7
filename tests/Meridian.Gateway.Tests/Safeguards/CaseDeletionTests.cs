using System.Net;
using System.Security.Cryptography;
using Meridian.Gateway.Safeguards;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Deletion that deletes (issue 17 item 3): each case is sealed under a data key of its own, wrapped by the geography's
/// key; the purge destroys the wrapped key, deletes the snapshot, leaves no page of either in the database or its log,
/// and only then writes the proof of deletion.
/// </summary>
public sealed class CaseDeletionTests : IAsyncLifetime
{
    private const string Canary = "zqxpurgecanary5e2d";

    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Each_case_has_its_own_data_key_and_without_it_the_snapshot_does_not_open()
    {
        var first = await _server.FlaggedCaseAsync(Canary);
        var second = await _server.FlaggedCaseAsync(Canary);
        var a = Content(first.Id)!;
        var b = Content(second.Id)!;
        Assert.NotEqual(a.WrappedKey, b.WrappedKey);

        var keys = _server.Services.GetRequiredService<CaseKeyRing>();
        Assert.Contains(Canary, System.Text.Encoding.UTF8.GetString(keys.Open("us", first.Id, a.Snapshot, a.WrappedKey)), StringComparison.Ordinal);
        // Another case's key, or none, does not open it.
        Assert.ThrowsAny<CryptographicException>(() => keys.Open("us", first.Id, a.Snapshot, b.WrappedKey));
        Assert.ThrowsAny<CryptographicException>(() => keys.Open("us", first.Id, a.Snapshot, []));
    }

    [Fact]
    public async Task Purge_destroys_the_key_row_and_the_captured_ciphertext_never_opens_again()
    {
        var found = await _server.FlaggedCaseAsync(Canary);
        var content = Content(found.Id)!;

        Assert.Equal(1, await Purger().PurgeExpiredAsync(TestContext.Current.CancellationToken));

        Assert.Null(Content(found.Id));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM ts_case_keys WHERE case_id = @id", found.Id));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM ts_case_snapshots WHERE case_id = @id", found.Id));
        // A copy of the ciphertext taken before the purge (a backup, say) opens with nothing this node still holds.
        var keys = _server.Services.GetRequiredService<CaseKeyRing>();
        Assert.ThrowsAny<CryptographicException>(() => keys.Open("us", found.Id, content.Snapshot, []));
        var (response, _) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "after the purge" });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var log = _server.Stores.For("us").Cases.AccessLog(found.Id);
        Assert.Equal("purge", log[^1].Event);
        Assert.NotNull(_server.Stores.For("us").Cases.Find(found.Id)!.PurgedAt);
    }

    [Fact]
    public async Task After_a_purge_no_file_of_the_data_folder_holds_the_canary_the_ciphertext_or_the_wrapped_key()
    {
        Assert.SkipWhen(TestStores.IsPostgres, "SQLite's files: PostgreSQL keeps dead row versions until VACUUM (docs/safeguards.md, Retention).");
        var found = await _server.FlaggedCaseAsync(Canary);
        var content = Content(found.Id)!;
        var opened = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "before the purge" });
        Assert.Contains(Canary, opened.GetProperty("snapshot").GetRawText(), StringComparison.Ordinal);
        var needles = Pieces(content.Snapshot).Append(content.WrappedKey).ToList();
        // The scan finds what is there: before the purge, the sealed bytes are in the database or its log.
        Assert.NotNull(FileHoldingAny(needles));

        Assert.Equal(1, await Purger().PurgeExpiredAsync(TestContext.Current.CancellationToken));

        Assert.Null(FileHoldingAny(needles));
        Assert.Null(await TestStores.FileContainingAsync(Directory.GetFiles(_server.DataDirectory, "*", SearchOption.AllDirectories), Canary));
        Assert.Equal("purge", _server.Stores.For("us").Cases.AccessLog(found.Id)[^1].Event);
    }

    private CasePurger Purger() =>
        _server.Purger(new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(31)));

    /// <summary>The case's sealed snapshot and wrapped key as stored, read past the API (which would log an access).</summary>
    private CaseContent? Content(string caseId)
    {
        using var connection = _server.Stores.For("us").Database.Open();
        return connection.QuerySingle(null, """
            SELECT s.snapshot, k.wrapped_key FROM ts_case_snapshots s JOIN ts_case_keys k ON k.case_id = s.case_id WHERE s.case_id = @id
            """, r => new CaseContent((byte[])r.GetValue(0), (byte[])r.GetValue(1)), ("@id", caseId));
    }

    private long Count(string sql, string caseId)
    {
        using var connection = _server.Stores.For("us").Database.Open();
        return connection.Scalar(null, sql, ("@id", caseId));
    }

    /// <summary>
    /// 32-byte pieces of the sealed snapshot: a snapshot larger than a page is stored across overflow pages, each
    /// starting with a pointer, so the whole does not appear contiguously even while it is there.
    /// </summary>
    private static IEnumerable<byte[]> Pieces(byte[] sealedBytes)
    {
        for (var offset = 0; offset + 32 <= sealedBytes.Length; offset += 32)
        {
            yield return sealedBytes[offset..(offset + 32)];
        }
    }

    private string? FileHoldingAny(IReadOnlyList<byte[]> needles)
    {
        foreach (var file in Directory.GetFiles(_server.DataDirectory, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                bytes = buffer.ToArray();
            }
            catch (FileNotFoundException)
            {
                // SQLite removes a database's -shm/-wal files when its last connection closes, which a background
                // connection may do between the listing and the read: a file that is gone holds nothing.
                continue;
            }

            if (needles.Any(n => bytes.AsSpan().IndexOf(n) >= 0))
            {
                return file;
            }
        }

        return null;
    }
}
