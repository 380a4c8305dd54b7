using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Operations;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package; <c>./build.sh test</c> installs it) scrapes a real
/// <c>meridian serve --metrics-port</c> every second while the node takes a short load; a PromQL query then returns the
/// series an operator's dashboards are built on. The data-plane port does not serve <c>/metrics</c>, and the metrics
/// port serves nothing else.
/// </summary>
public sealed class PrometheusScrapeTests : IDisposable
{
    private const string DemoKey = "mk-prom0001-Zq7vR2pLx9TcW4nB8sKd3fHy";
    private const int Requests = 20;
    private readonly string _data = Path.Combine(Path.GetTempPath(), "meridian-prometheus-tests", Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => TestStores.DeleteDataDirectory(_data);

    [Fact]
    public async Task Prometheus_scraping_a_node_under_load_returns_its_request_token_and_latency_series()
    {
        var metricsPort = GatewayProcess.FreePort();
        using var gateway = await GatewayProcess.StartAsync(_data, DemoKey, tokenDelayMs: 1, ["--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture)], Ct);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var metricsHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}/"), Timeout = TimeSpan.FromSeconds(10) };

        // Scraped on its own port only.
        using (var onDataPlane = await http.GetAsync("metrics", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, onDataPlane.StatusCode);
        }

        using (var dataPlaneOnMetricsPort = await metricsHttp.GetAsync("v1/models", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, dataPlaneOnMetricsPort.StatusCode);
        }

        await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => SendAsync(http, $"Load request {i}.", stream: i % 2 == 0)));

        using var prometheus = PrometheusServer.Start(Path.Combine(_data, "prometheus"), metricsPort);
        using var query = new HttpClient { BaseAddress = prometheus.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };

        var served = await WaitForValueAsync(query, prometheus, "sum(meridian_requests_total{meridian_deployment=\"dep_demo\",http_response_status_code=\"200\"})", v => v >= Requests);
        Assert.Equal(Requests, served);
        Assert.True(await WaitForValueAsync(query, prometheus, "sum(meridian_tokens_total{gen_ai_token_type=\"output\"})", v => v > 0) > 0);
        Assert.Equal(Requests, await WaitForValueAsync(query, prometheus, "sum(gen_ai_server_request_duration_seconds_count{gen_ai_operation_name=\"chat\"})", v => v >= Requests));
        Assert.True(await WaitForValueAsync(query, prometheus, "sum(gen_ai_server_time_to_first_token_seconds_count)", v => v > 0) > 0);
        Assert.True(await WaitForValueAsync(query, prometheus, "sum(meridian_backend_healthy)", v => v > 0) > 0);
        Assert.True(await WaitForValueAsync(query, prometheus, "count(meridian_records_commit_duration_seconds_count)", v => v > 0) > 0);
        Assert.True(await WaitForValueAsync(query, prometheus, "count(meridian_records_queue_depth)", v => v > 0) > 0);
        // Every load request was screened and nothing found: one verdict each, category none.
        Assert.Equal(Requests, await WaitForValueAsync(query, prometheus, "sum(meridian_safeguard_verdicts_total{category=\"none\",action=\"allow\"})", v => v >= Requests));
    }

    private static async Task SendAsync(HttpClient http, string prompt, bool stream)
    {
        var body = JsonSerializer.Serialize(new { model = "claude-sonnet-5", max_tokens = 16, stream, messages = new[] { new { role = "user", content = prompt } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", DemoKey);
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>Asks Prometheus the instant query until its single value satisfies <paramref name="done"/>; bounded, no fixed sleep.</summary>
    private static async Task<double> WaitForValueAsync(HttpClient query, PrometheusServer prometheus, string promQl, Func<double, bool> done)
    {
        var clock = Stopwatch.StartNew();
        var last = "(no answer)";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                var json = await query.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(promQl), Ct);
                last = json;
                using var document = JsonDocument.Parse(json);
                var result = document.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() == 1
                    && double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) is var value && done(value))
                {
                    return value;
                }
            }
            catch (HttpRequestException)
            {
                // Prometheus is still starting.
            }
            catch (TaskCanceledException) when (!Ct.IsCancellationRequested)
            {
                // Slow answer; ask again.
            }

            await Task.Delay(250, Ct);
        }

        Assert.Fail($"Prometheus never answered {promQl} as expected; last answer: {last}\n{prometheus.Output}");
        return 0;
    }


    /// <summary>A private Prometheus scraping one target every second.</summary>
    private sealed class PrometheusServer : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private PrometheusServer(Process process, Uri baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Uri BaseAddress { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static PrometheusServer Start(string folder, int targetPort)
        {
            var binary = Environment.GetEnvironmentVariable("MERIDIAN_TEST_PROMETHEUS") is { Length: > 0 } set ? set : "/usr/bin/prometheus";
            Assert.True(File.Exists(binary), $"Prometheus is not installed at {binary}: install Debian's 'prometheus' package (./build.sh test does) or set MERIDIAN_TEST_PROMETHEUS.");
            Directory.CreateDirectory(folder);
            var config = Path.Combine(folder, "prometheus.yml");
            File.WriteAllText(config, $"""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: meridian
                    static_configs:
                      - targets: ["127.0.0.1:{targetPort}"]
                """);
            var port = GatewayProcess.FreePort();
            var start = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(folder, "tsdb"),
                "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "--log.level=warn",
            })
            {
                start.ArgumentList.Add(argument);
            }

            return new PrometheusServer(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}/"));
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
