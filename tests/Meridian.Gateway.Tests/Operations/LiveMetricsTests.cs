using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Operations;
using Meridian.Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Operations;

/// <summary>
/// <c>GET /admin/v1/metrics</c>: the node's own <c>Meridian.Gateway</c> instruments as the operator portal's live view reads
/// them, counted from the first read on.
/// </summary>
public sealed class LiveMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_count_what_the_node_served_from_the_first_read_on()
    {
        await using var lab = await RoutingLab.StartAsync();

        // Served before anyone watched: not counted (instruments record only while something listens).
        using (var unwatched = await lab.SendAsync())
        {
            Assert.Equal(HttpStatusCode.OK, unwatched.StatusCode);
        }

        var (status, first) = await lab.AdminAsync(HttpMethod.Get, "/admin/v1/metrics");
        Assert.Equal(200, status);
        var since = first.GetProperty("watching_since").GetDateTimeOffset();
        Assert.Equal(0, Sum(first, "meridian.requests"));

        // A refusal is recorded after its answer is written: its receipt being readable means it has been counted.
        using (var missing = await lab.SendAsync(model: "no-such-deployment"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal(404, (await lab.ReceiptAsync(missing)).GetProperty("status").GetInt32());
        }

        long input = 0, output = 0;
        for (var i = 0; i < 4; i++)
        {
            using var response = await lab.SendAsync(stream: i % 2 == 1);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync(Ct);
            var receipt = await lab.ReceiptAsync(response);
            input += receipt.GetProperty("input_tokens").GetInt64();
            output += receipt.GetProperty("output_tokens").GetInt64();
        }

        var (_, metrics) = await lab.AdminAsync(HttpMethod.Get, "/admin/v1/metrics");
        Assert.Equal(since, metrics.GetProperty("watching_since").GetDateTimeOffset());
        Assert.Equal(4, Sum(metrics, "meridian.requests", ("http.response.status_code", "200")));
        Assert.Equal(1, Sum(metrics, "meridian.requests", ("http.response.status_code", "404")));
        Assert.Equal(1, Sum(metrics, "meridian.errors", ("error.type", "not_found_error")));
        Assert.Equal(input, Sum(metrics, "meridian.tokens", ("gen_ai.token.type", "input")));
        Assert.Equal(output, Sum(metrics, "meridian.tokens", ("gen_ai.token.type", "output")));
        Assert.True(input > 0 && output > 0);

        var firstToken = Instrument(metrics, "gen_ai.server.time_to_first_token");
        Assert.Equal("histogram", firstToken.GetProperty("kind").GetString());
        Assert.Equal("s", firstToken.GetProperty("unit").GetString());
        var series = firstToken.GetProperty("series").EnumerateArray().Single();
        Assert.Equal(4, series.GetProperty("count").GetInt64());
        var buckets = series.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, buckets[^1].GetProperty("le").ValueKind);
        Assert.Equal(4, buckets[^1].GetProperty("count").GetInt64());
        Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First.GetProperty("count").GetInt64() <= p.Second.GetProperty("count").GetInt64()), "cumulative buckets");

        // Gauges are observed when read, like a scrape: one per backend the router knows.
        var healthy = Instrument(metrics, "meridian.backend.healthy").GetProperty("series").EnumerateArray()
            .ToDictionary(s => s.GetProperty("tags").GetProperty("meridian.backend").GetString()!, s => s.GetProperty("value").GetDouble());
        Assert.Equal(new Dictionary<string, double> { ["east-1"] = 1, ["west-1"] = 1, ["eu-1"] = 1 }, healthy);
    }

    [Fact]
    public void Watching_stops_five_minutes_after_the_last_read_and_counts_afresh_when_read_again()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T10:00:00Z", CultureInfo.InvariantCulture));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var requests = meters.Create(GatewayOptions.TelemetryName).CreateCounter<long>("meridian.requests");
        using var live = new LiveMetrics(meters, time);

        requests.Add(1);
        Assert.False(requests.Enabled);
        Assert.Empty(live.Read().Instruments.Single().Series);
        requests.Add(2, new KeyValuePair<string, object?>("http.response.status_code", 200));
        requests.Add(3, new KeyValuePair<string, object?>("http.response.status_code", 200));
        var series = live.Read().Instruments.Single().Series.Single();
        Assert.Equal(5, series.Value);
        Assert.Equal("200", series.Tags["http.response.status_code"]);

        // Read four minutes in: still watching at five; idle for five after that read, it stops.
        time.Advance(TimeSpan.FromMinutes(4));
        live.Read();
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.True(live.Watching);
        Assert.True(requests.Enabled);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(live.Watching);
        Assert.False(requests.Enabled);

        var again = live.Read();
        Assert.Equal(time.GetUtcNow(), again.WatchingSince);
        Assert.Empty(again.Instruments.Single().Series);
    }

    [Fact]
    public void Another_hosts_meters_are_not_read()
    {
        using var ours = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var their = theirs.GetRequiredService<IMeterFactory>().Create(GatewayOptions.TelemetryName).CreateCounter<long>("meridian.requests");
        using var live = new LiveMetrics(ours.GetRequiredService<IMeterFactory>(), TimeProvider.System);

        live.Read();
        their.Add(1);
        Assert.Empty(live.Read().Instruments);
    }

    private static JsonElement Instrument(JsonElement metrics, string name) =>
        metrics.GetProperty("instruments").EnumerateArray().Single(i => i.GetProperty("name").GetString() == name);

    private static long Sum(JsonElement metrics, string name, params (string Key, string Value)[] where)
    {
        var instrument = metrics.GetProperty("instruments").EnumerateArray().SingleOrDefault(i => i.GetProperty("name").GetString() == name);
        if (instrument.ValueKind == JsonValueKind.Undefined)
        {
            return 0;
        }

        return (long)instrument.GetProperty("series").EnumerateArray()
            .Where(s => where.All(w => s.GetProperty("tags").TryGetProperty(w.Key, out var v) && v.GetString() == w.Value))
            .Sum(s => s.GetProperty("value").GetDouble());
    }
}
