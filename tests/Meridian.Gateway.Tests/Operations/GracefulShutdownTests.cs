using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Operations;

/// <summary>
/// A rolling restart sends SIGTERM to a real <c>meridian serve</c> process under streaming load: it stops accepting,
/// lets every stream it already answered run to its end (well inside <c>--drain-seconds</c>), flushes its record
/// writers and exits 0 — every answer a client saw complete has its receipt and ledger row stored.
/// </summary>
public sealed class GracefulShutdownTests : IDisposable
{
    private const string DemoKey = "mk-drain001-Zq7vR2pLx9TcW4nB8sKd3fHy";
    private const int Streams = 12;
    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-drain-tests", Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => TestStores.DeleteDataDirectory(_data);

    [Fact]
    public async Task Sigterm_under_streaming_load_finishes_every_stream_stores_every_record_and_exits_cleanly()
    {
        var streams = new List<Task<(string RequestId, bool Complete, TimeSpan EndedAfterSignal)>>();
        var signalled = new TaskCompletionSource<Stopwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gateway = await GatewayProcess.StartAsync(_data, DemoKey, tokenDelayMs: 100, ["--drain-seconds", "30"], Ct);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var started = new List<Task>();
        for (var i = 0; i < Streams; i++)
        {
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            started.Add(first.Task);
            streams.Add(StreamAsync(http, $"Tell me a long story about harbour number {i}.", first, signalled.Task));
        }

        // Every stream has its headers and first event: the node acknowledged them all. Then the signal.
        await Task.WhenAll(started).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        gateway.Terminate();
        var clock = Stopwatch.StartNew();
        signalled.SetResult(clock);

        // It stops accepting: a new connection is refused soon after the signal, while the streams still run.
        await WaitUntilRefusedAsync(gateway.BaseAddress, TimeSpan.FromSeconds(10));
        var openWhenRefused = streams.Count(s => !s.IsCompleted);

        var outcomes = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.True(await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30), Ct), $"the node did not exit after SIGTERM:\n{gateway.Output}");
        Assert.True(gateway.ExitCode == 0, $"exit code {gateway.ExitCode}:\n{gateway.Output}");
        Assert.True(openWhenRefused > 0, "every stream had ended before the node stopped accepting: the test did not load the drain");
        Assert.All(outcomes, o => Assert.True(o.Complete, $"stream {o.RequestId} was cut {o.EndedAfterSignal} after SIGTERM:\n{gateway.Output}"));
        Assert.All(outcomes, o => Assert.True(o.EndedAfterSignal < TimeSpan.FromSeconds(30)));
        // Streams ran on well past the 2 s after which a command-line parser's own SIGTERM handling would end the process.
        Assert.Contains(outcomes, o => o.EndedAfterSignal > TimeSpan.FromSeconds(2.5));

        var store = TestStores.Geographies(_data, "us").For("us");
        foreach (var (id, _, _) in outcomes)
        {
            Assert.NotNull(await store.FindAsync(id, Ct));
            Assert.NotNull(store.Ledger.Find(id));
        }
    }

    [Fact]
    public async Task With_a_drain_delay_a_signalled_node_reports_draining_while_it_still_serves_new_requests()
    {
        using var gateway = await GatewayProcess.StartAsync(_data, DemoKey, tokenDelayMs: 0, ["--drain-delay-seconds", "6"], Ct);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using (var ready = await http.GetAsync("readyz", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // A node in rotation has served before: the first request's one-time costs (JIT, the tokenizer's vocabulary)
        // are paid here, not inside the delay the test measures.
        using (var warm = await SendMessageAsync(http))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        gateway.Terminate();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var readiness = await http.GetAsync("readyz", Ct);
            if (readiness.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Contains("draining", await readiness.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
                break;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "readiness did not turn to draining after SIGTERM");
            await Task.Delay(20, Ct);
        }

        // Out of rotation but still listening: a client the load balancer sent just before is served, on a new connection.
        // Sent after readiness said draining, on a connection opened then: served means the listener was still open.
        using var late = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var served = await SendMessageAsync(late);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);

        await WaitUntilRefusedAsync(gateway.BaseAddress, TimeSpan.FromSeconds(15));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(5.5), $"the listener closed {clock.Elapsed} after the signal, before the delay");
        Assert.True(await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30), Ct), $"the node did not exit after SIGTERM:\n{gateway.Output}");
        Assert.True(gateway.ExitCode == 0, $"exit code {gateway.ExitCode}:\n{gateway.Output}");
    }

    private static async Task<HttpResponseMessage> SendMessageAsync(HttpClient http)
    {
        var body = JsonSerializer.Serialize(new { model = "claude-sonnet-5", max_tokens = 8, messages = new[] { new { role = "user", content = "Still there?" } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", DemoKey);
        return await http.SendAsync(request, Ct);
    }

    private static async Task<(string RequestId, bool Complete, TimeSpan EndedAfterSignal)> StreamAsync(
        HttpClient http, string prompt, TaskCompletionSource firstEvent, Task<Stopwatch> signalled)
    {
        var body = JsonSerializer.Serialize(new { model = "claude-sonnet-5", max_tokens = 96, stream = true, messages = new[] { new { role = "user", content = prompt } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", DemoKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("request-id").Single();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var complete = false;
        try
        {
            while (await reader.ReadLineAsync(Ct) is { } line)
            {
                firstEvent.TrySetResult();
                complete |= line == "event: message_stop";
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // Cut: complete stays false.
        }

        firstEvent.TrySetResult();
        var ended = signalled.IsCompleted ? (await signalled).Elapsed : TimeSpan.Zero;
        return (requestId, complete, ended);
    }

    private static async Task WaitUntilRefusedAsync(Uri address, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(address.Host, address.Port, Ct);
            }
            catch (SocketException)
            {
                return;
            }

            await Task.Delay(20, Ct);
        }

        Assert.Fail($"the node still accepted connections {timeout} after SIGTERM");
    }
}
