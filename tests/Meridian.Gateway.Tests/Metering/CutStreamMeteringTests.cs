using System.Text;
using Meridian.Core.Billing;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>A stream the client walks away from still meters what was generated up to then.</summary>
public sealed class CutStreamMeteringTests : IDisposable
{
    private const string DemoKey = "mk-cut00001-Zq7vR2pLx9TcW4nB8sKd3fHy";
    private readonly TestDataDirectory _data = new("cut-tests");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_stream_cut_by_the_client_meters_the_tokens_generated_so_far()
    {
        var ct = TestContext.Current.CancellationToken;
        // A slow simulator (20 ms per token), so the client can leave in the middle of the answer.
        var options = GatewayNode.Options(_data.Path, DemoKey);
        options.SimulatorTokenDelay = TimeSpan.FromMilliseconds(20);
        await using var node = await GatewayNode.StartAsync(options, cancellationToken: ct);
        // No draining on dispose: HttpClient would otherwise read the rest of a short answer (up to 1 MB or 2 s) to reuse
        // the connection, and the answer — held back by the output screener's window — could then finish normally.
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = node.BaseAddress };

        string requestId;
        var seen = new StringBuilder();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                """{"model":"claude-sonnet-5","max_tokens":2000,"stream":true,"messages":[{"role":"user","content":"Write a long essay about ledgers and their history."}]}""",
                Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Add("x-api-key", DemoKey);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            requestId = response.Headers.GetValues("request-id").Single();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            var deltas = 0;
            while (deltas < 5 && await reader.ReadLineAsync(ct) is { } line)
            {
                seen.AppendLine(line);
                if (line.Contains("\"text_delta\"", StringComparison.Ordinal))
                {
                    deltas++;
                }
            }

            // Leaving here disposes the response: the connection closes mid-answer.
        }

        Assert.DoesNotContain("message_stop", seen.ToString(), StringComparison.Ordinal);
        var ledger = TestStores.Geographies(_data.Path, "us").For("us").Ledger;
        UsageRecord? row = null;
        for (var i = 0; i < 100 && row is null; i++)
        {
            await Task.Delay(50, ct);
            row = ledger.Find(requestId);
        }

        Assert.NotNull(row);
        Assert.Equal(UsageSource.Partial, row.Source);
        Assert.True(row.Tokens.Input > 0);
        Assert.InRange(row.Tokens.Output, 3, 1_000);
        await node.StopAsync();
    }
}
