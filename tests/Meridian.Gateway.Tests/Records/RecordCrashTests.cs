using System.Data.Common;
using System.Net;
using System.Text;
using System.Text.Json;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Tests.Records;

/// <summary>
/// A request's record — receipt, usage row, case — is one transaction. A real <c>meridian serve</c> process is killed
/// with SIGKILL while its requests' records are built and waiting to commit (the test holds the geography store's write
/// lock): no client saw any of those answers complete, nothing of them is stored, and every record that is stored is
/// whole — a billed receipt has its ledger row with the same tokens, a flagged receipt has its case.
/// </summary>
public sealed class RecordCrashTests : IDisposable
{
    private const string DemoKey = "mk-rcrash01-Zq7vR2pLx9TcW4nB8sKd3fHy";
    private const string Flagged = "Someone should shoot that politician.";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-record-crash-tests", Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        TestStores.DeleteDataDirectory(_data);
    }

    [Fact]
    public async Task A_node_killed_between_building_records_and_committing_them_leaves_no_partial_record_and_loses_no_completed_answer()
    {
        var completed = new List<string>();
        var held = new List<Task<(string? RequestId, bool Complete)>>();
        using (var gateway = await GatewayProcess.StartAsync(_data, DemoKey, Ct))
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            foreach (var (prompt, stream) in new[] { ("Before the hold.", false), (Flagged, true), ("Before the hold, streamed.", true) })
            {
                var (id, complete) = await SendAsync(http, prompt, stream, Ct);
                Assert.True(complete);
                completed.Add(id!);
            }

            using (var hold = HoldWrites())
            {
                using var gone = new CancellationTokenSource();
                for (var i = 0; i < 8; i++)
                {
                    held.Add(SendAsync(http, i % 4 == 0 ? Flagged : $"During the hold {i}.", stream: i % 2 == 0, gone.Token));
                }

                // The answers are produced and their records built; each waits for its commit before its last byte.
                await Task.Delay(TimeSpan.FromSeconds(2), Ct);
                Assert.DoesNotContain(held, t => t.IsCompleted);
                gateway.Kill();
                await gone.CancelAsync();
            }
        }

        var outcomes = await Task.WhenAll(held);
        Assert.DoesNotContain(outcomes, o => o.Complete);

        var store = TestStores.Geographies(_data, "us").For("us");
        foreach (var id in completed)
        {
            Assert.NotNull(await store.FindAsync(id, Ct));
            Assert.NotNull(store.Ledger.Find(id));
        }

        foreach (var (id, _) in outcomes.Where(o => o.RequestId is not null))
        {
            Assert.Null(await store.FindAsync(id!, Ct));
            Assert.Null(store.Ledger.Find(id!));
            Assert.Null(store.Cases.FindByRequest(id!));
        }

        AssertEveryRecordIsWhole(store);
        Assert.NotNull(store.Cases.FindByRequest(completed[1]));
    }

    /// <summary>A billed receipt has its ledger row with the same tokens; an unbilled one has none; a flagged one has its case.</summary>
    private static void AssertEveryRecordIsWhole(ReceiptStore store)
    {
        var receipts = store.ListForTenant("ten_demo", 1000);
        Assert.NotEmpty(receipts);
        foreach (var receipt in receipts)
        {
            var usage = store.Ledger.Find(receipt.RequestId);
            if (receipt.InputTokens + receipt.OutputTokens == 0)
            {
                Assert.Null(usage);
            }
            else
            {
                Assert.Equal((receipt.InputTokens, receipt.OutputTokens), (usage!.Tokens.Input, usage.Tokens.Output));
            }

            var flagged = receipt.SafeguardVerdict.StartsWith("flag", StringComparison.Ordinal) || receipt.SafeguardVerdict.StartsWith("block", StringComparison.Ordinal);
            Assert.Equal(flagged, store.Cases.FindByRequest(receipt.RequestId) is not null);
        }

        Assert.Equal(receipts.Count(r => r.InputTokens + r.OutputTokens > 0), store.Ledger.RequestIds("ten_demo").Count);
    }

    /// <summary>Takes the geography store's write lock, as a long transaction of another writer would: commits wait until it is released.</summary>
    private HeldLock HoldWrites()
    {
        var database = TestStores.Geographies(_data, "us").For("us").Database;
        var connection = database.Open();
        var transaction = database.BeginWrite(connection);
        if (database.Engine == StoreEngine.Postgres)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "LOCK TABLE receipts IN EXCLUSIVE MODE";
            command.ExecuteNonQuery();
        }

        return new HeldLock(connection, transaction);
    }

    private sealed class HeldLock(DbConnection connection, DbTransaction transaction) : IDisposable
    {
        public void Dispose()
        {
            transaction.Rollback();
            transaction.Dispose();
            connection.Dispose();
        }
    }

    /// <summary>One request: its id once the headers arrived, and whether the client saw the whole answer.</summary>
    private static async Task<(string? RequestId, bool Complete)> SendAsync(HttpClient http, string prompt, bool stream, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new { model = "claude-sonnet-5", max_tokens = 24, stream, messages = new[] { new { role = "user", content = prompt } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", DemoKey);
        string? requestId = null;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            requestId = response.Headers.GetValues("request-id").Single();
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return (requestId, response.StatusCode == HttpStatusCode.OK && (!stream || text.Contains("event: message_stop", StringComparison.Ordinal)));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            // The process died under this request: the client never saw it complete.
            return (requestId, false);
        }
    }
}
