using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Meridian.Gateway.Tests.Admin;
using Meridian.Gateway.Tests.Metering;
using Meridian.Storage;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Tests.Cluster;

/// <summary>
/// The PostgreSQL server goes down in the middle of load and comes back: every request either succeeds with its usage
/// in the ledger, or fails with a clear Anthropic-style error; after recovery no accepted usage is missing or doubled.
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_restart_under_load_loses_no_accepted_usage_and_every_failure_is_a_clear_error()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var server = new AdminServer
        {
            Configure = options =>
            {
                options.Store = StoreEngine.Postgres;
                options.Postgres = postgres.ConnectionString;
                options.PostgresSchemaPrefix = "restart";
            },
        };
        await server.InitializeAsync();
        var world = await MeteringWorld.CreateAsync(server, rpm: 1_000_000, tpm: 100_000_000);

        var answered = new ConcurrentBag<Call>();
        var lastAnswerAt = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var call = await MeteringWorld.SendAsync(server.Http, world.Key, world.DeploymentName, $"Restart {worker}-{i}", stream: i % 2 == 0, maxTokens: 16);
                answered.Add(call);
                if (call.Ok)
                {
                    lastAnswerAt[call.RequestId!] = clock.Elapsed;
                }
            }
        }, CancellationToken.None)).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        var before = answered.Count;
        var killedAt = clock.Elapsed;
        await postgres.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        await postgres.StartServerAsync();
        var backAt = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var ok = answered.Where(c => c.Ok).ToList();
        var failed = answered.Where(c => !c.Ok).ToList();
        output.WriteLine($"{answered.Count} answered ({before} before the kill), {ok.Count} ok, {failed.Count} failed; the server was down {(backAt - killedAt).TotalSeconds:F1} s");
        foreach (var kind in failed.GroupBy(c => $"{(int)c.Status} {c.Body[..Math.Min(160, c.Body.Length)]}"))
        {
            output.WriteLine($"  {kind.Count()} × {kind.Key}");
        }

        foreach (var line in server.Log.Where(l => l.StartsWith("Error", StringComparison.Ordinal)).Take(2))
        {
            output.WriteLine(line);
        }

        Assert.True(lastAnswerAt.Values.Any(at => at > backAt), "no request succeeded after the server came back\n" + server.LogText);
        foreach (var call in failed)
        {
            Assert.NotEqual(HttpStatusCode.OK, call.Status);
            using var error = JsonDocument.Parse(call.Body);
            Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
            Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetProperty("message").GetString()));
        }

        // Every answer a client saw complete is in the ledger once, with its tokens; the hourly totals agree.
        using var stores = new GeographyStores(new StorageSettings
        {
            Engine = StoreEngine.Postgres,
            DataDirectory = server.DataDirectory,
            Postgres = postgres.ConnectionString,
            SchemaPrefix = "restart",
        }, ["eu"]);
        var ledger = stores.For("eu").Ledger;
        var ids = ledger.RequestIds(world.TenantId);
        Assert.Empty(ok.Select(c => c.RequestId!).Except(ids, StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (var call in ok)
        {
            var row = ledger.Find(call.RequestId!)!;
            Assert.Equal((call.InputTokens, call.OutputTokens), (row.Tokens.Input, row.Tokens.Output));
        }

        var hourly = ledger.Hourly(new UsageQuery(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), world.TenantId));
        Assert.Equal(ids.Count, hourly.Sum(h => h.Requests));
    }
}
