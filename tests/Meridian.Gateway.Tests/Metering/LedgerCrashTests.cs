using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>
/// The ledger across a crash: a real <c>meridian serve</c> process under load is killed with SIGKILL, restarted on the
/// same data folder, and its ledger compared with what the clients saw complete. Every completed request is there
/// once, with the tokens its answer reported; nothing is there twice; the hourly aggregates still equal the ledger.
/// </summary>
public sealed class LedgerCrashTests : IDisposable
{
    private const string DemoKey = "mk-crash001-Zq7vR2pLx9TcW4nB8sKd3fHy";
    private const string Model = "claude-sonnet-5";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-crash-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        TestStores.DeleteDataDirectory(_data);
    }

    [Fact]
    public async Task A_gateway_killed_under_load_loses_no_completed_request_and_doubles_none()
    {
        var ct = TestContext.Current.CancellationToken;
        var completed = new ConcurrentDictionary<string, (long Input, long Output)>(StringComparer.Ordinal);
        var sent = 0;
        int inFlightAtKill;

        using (var first = await GatewayProcess.StartAsync(_data, DemoKey, ct))
        {
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
            {
                using var http = new HttpClient { BaseAddress = first.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    Interlocked.Increment(ref sent);
                    if (await TrySendAsync(http, $"Crash test {worker}-{i}: write a few words about ledgers.", stream: (worker + i) % 2 == 0) is { } done)
                    {
                        completed[done.RequestId] = (done.Input, done.Output);
                    }
                }
            }, CancellationToken.None)).ToList();

            // Kill while requests are in flight: after enough have completed, at no particular point of any of them.
            while (completed.Count < 150 && !workers.Any(w => w.IsFaulted))
            {
                await Task.Delay(5, ct);
            }

            inFlightAtKill = Volatile.Read(ref sent) - completed.Count;
            first.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        // Restart on the same data folder: the store opens, and the gateway serves (and meters) again.
        using (var second = await GatewayProcess.StartAsync(_data, DemoKey, ct))
        {
            using var http = new HttpClient { BaseAddress = second.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
            var after = await TrySendAsync(http, "After the restart.", stream: false);
            Assert.NotNull(after);
            completed[after.Value.RequestId] = (after.Value.Input, after.Value.Output);
            second.Kill();
        }

        var store = TestStores.Geographies(_data, "us").For("us");
        var ledger = store.Ledger.RequestIds();
        var lost = completed.Keys.Except(ledger, StringComparer.Ordinal).ToList();
        var duplicated = ledger.Count - ledger.Distinct(StringComparer.Ordinal).Count();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"sent {sent}, completed {completed.Count}, in flight at the kill ≤ {inFlightAtKill}, ledger rows {ledger.Count}, lost {lost.Count}, duplicated {duplicated}");

        Assert.Empty(lost);
        Assert.Equal(0, duplicated);
        Assert.InRange(ledger.Count, completed.Count, sent);
        foreach (var (id, tokens) in completed)
        {
            var row = store.Ledger.Find(id)!;
            Assert.Equal(tokens, (row.Tokens.Input, row.Tokens.Output));
        }

        // The aggregates were written in the same transactions as the rows: they still add up to the ledger exactly.
        var hourly = store.Ledger.Hourly(new UsageQuery(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal(ledger.Count, hourly.Sum(h => h.Requests));
        var rows = ledger.Select(id => store.Ledger.Find(id)!).ToList();
        Assert.Equal(rows.Sum(r => r.Tokens.Output), hourly.Sum(h => h.Tokens.Output));
        Assert.Equal(rows.Sum(r => r.Tokens.Input), hourly.Sum(h => h.Tokens.Input));
    }

    /// <summary>One request; its id and usage when the client saw the whole answer (a JSON body, or a stream through <c>message_stop</c>).</summary>
    private static async Task<(string RequestId, long Input, long Output)?> TrySendAsync(HttpClient http, string prompt, bool stream)
    {
        var body = JsonSerializer.Serialize(new { model = Model, max_tokens = 40, stream, messages = new[] { new { role = "user", content = prompt } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", DemoKey);
        try
        {
            using var response = await http.SendAsync(request, CancellationToken.None);
            var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if (response.StatusCode != HttpStatusCode.OK || !response.Headers.TryGetValues("request-id", out var ids))
            {
                return null;
            }

            long input = 0, output = 0;
            if (!stream)
            {
                using var json = JsonDocument.Parse(text);
                input = json.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt64();
                output = json.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt64();
                return (ids.Single(), input, output);
            }

            var complete = false;
            foreach (var line in text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)))
            {
                using var json = JsonDocument.Parse(line[6..]);
                switch (json.RootElement.GetProperty("type").GetString())
                {
                    case "message_start":
                        input = json.RootElement.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64();
                        break;
                    case "message_delta":
                        output = json.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt64();
                        break;
                    case "message_stop":
                        complete = true;
                        break;
                }
            }

            return complete ? (ids.Single(), input, output) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or JsonException)
        {
            // The process died under this request: the client never saw it complete.
            return null;
        }
    }
}
