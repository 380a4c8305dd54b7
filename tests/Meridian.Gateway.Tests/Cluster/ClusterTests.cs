using System.Diagnostics;
using System.Net;
using Meridian.Gateway.Tests.Admin;
using Meridian.Gateway.Tests.Metering;
using StackExchange.Redis;

namespace Meridian.Gateway.Tests.Cluster;

/// <summary>
/// Two gateway nodes in this process on different ports, sharing one data folder (the SQLite control and geography
/// stores) and one Redis, as <c>docs/scale-out.md</c> runs them. Their generation poll is set to an hour, so whatever
/// crosses from one node to the other within the test crossed through Redis.
/// </summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const string RequestsLimit = "anthropic-ratelimit-requests-limit";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_quota_admits_at_most_its_limit_across_both_nodes_under_parallel_load()
    {
        const int rpm = 20;
        var prefix = TestRedis.UniquePrefix();
        await using var cluster = await Cluster.StartAsync(TestRedis.Endpoint, prefix);
        var world = await MeteringWorld.CreateAsync(cluster.Server, rpm: rpm);
        await cluster.WaitUntilKnownAsync(cluster.B, world.Key);

        // One admitted call through each node first (which node wins a parallel race is up to the scheduler), then the burst.
        var clock = Stopwatch.StartNew();
        var first = new List<Call>();
        foreach (var node in new[] { cluster.A, cluster.B })
        {
            first.Add(await MeteringWorld.SendAsync(node.Http, world.Key, world.DeploymentName, "First", maxTokens: 8));
        }

        Assert.All(first, c => Assert.True(c.Ok, c.Body));
        var calls = first.Concat(await Task.WhenAll(Enumerable.Range(0, 4 * rpm).Select(i =>
            MeteringWorld.SendAsync(cluster.Node(i).Http, world.Key, world.DeploymentName, $"Burst {i}", maxTokens: 8)))).ToList();
        var refill = (int)(clock.Elapsed.TotalSeconds * rpm / 60);

        // One bucket for both nodes: the limit once (plus what refilled meanwhile), not once per node.
        var admitted = calls.Count(c => c.Ok);
        Assert.InRange(admitted, rpm, rpm + refill);
        Assert.All(calls.Where(c => !c.Ok), c => Assert.Equal(HttpStatusCode.TooManyRequests, c.Status));
        // Counted in Redis (a node's fallback would show its share), under this cluster's prefix.
        Assert.All(calls, c => Assert.Equal(rpm.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Header(RequestsLimit)));
        Assert.Contains(calls.Where(c => c.Ok), c => cluster.IsB(c));
        Assert.Contains(calls.Where(c => c.Ok), c => !cluster.IsB(c));
        using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedis.Endpoint);
        var keys = redis.GetServers()[0].Keys(pattern: prefix + "quota:*").Select(k => k.ToString()).ToList();
        Assert.Contains(keys, k => k.EndsWith($"}}:dep:{world.DeploymentId}:rpm", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_key_revoked_through_one_node_fails_on_the_other_within_a_second()
    {
        await using var cluster = await Cluster.StartAsync(TestRedis.Endpoint, TestRedis.UniquePrefix());
        var world = await MeteringWorld.CreateAsync(cluster.Server);
        await cluster.WaitUntilKnownAsync(cluster.B, world.Key);

        var clock = Stopwatch.StartNew();
        var revoked = await cluster.A.SendAsync(HttpMethod.Post, $"/admin/v1/keys/{world.KeyId}/revoke", AdminServer.OperatorToken, null, null);
        Assert.True(revoked.IsSuccess, revoked.Text);
        var answered = clock.Elapsed;
        HttpStatusCode status;
        do
        {
            status = await Cluster.ModelsAsync(cluster.B, world.Key);
        }
        while (status == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(5));

        var propagated = clock.Elapsed;
        output.WriteLine($"revoke answered by node A after {answered.TotalMilliseconds:F1} ms; node B refused the key {propagated.TotalMilliseconds:F1} ms after the revoke was sent");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(propagated < TimeSpan.FromSeconds(1), $"node B still accepted the revoked key {propagated.TotalMilliseconds:F0} ms after the revoke");
    }

    [Fact]
    public async Task A_blocklist_set_through_one_node_screens_the_other_nodes_requests_within_a_second()
    {
        await using var cluster = await Cluster.StartAsync(TestRedis.Endpoint, TestRedis.UniquePrefix());
        var world = await MeteringWorld.CreateAsync(cluster.Server);
        await cluster.WaitUntilKnownAsync(cluster.B, world.Key);
        var before = await MeteringWorld.SendAsync(cluster.B.Http, world.Key, world.DeploymentName, "Tell me about project nightjar.", maxTokens: 8);
        Assert.True(before.Ok, before.Body);

        var clock = Stopwatch.StartNew();
        var set = await cluster.A.SendAsync(HttpMethod.Patch, $"/admin/v1/deployments/{world.DeploymentId}", AdminServer.OperatorToken,
            new { safeguards = new { blocklist = new { terms = new[] { "project nightjar" }, category = "violence" } } }, null);
        Assert.True(set.IsSuccess, set.Text);
        Call call;
        do
        {
            call = await MeteringWorld.SendAsync(cluster.B.Http, world.Key, world.DeploymentName, "Tell me about project nightjar.", maxTokens: 8);
        }
        while (call.Ok && clock.Elapsed < TimeSpan.FromSeconds(5));

        var propagated = clock.Elapsed;
        output.WriteLine($"node B blocked the term {propagated.TotalMilliseconds:F1} ms after node A was sent the setting");
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.True(propagated < TimeSpan.FromSeconds(1), $"node B still served the blocklisted term {propagated.TotalMilliseconds:F0} ms after the change");
    }

    [Fact]
    public async Task Without_redis_each_node_enforces_its_share_and_shared_counting_resumes_when_it_is_back()
    {
        const int rpm = 20;
        const int share = rpm / 2;
        await using var redis = await PrivateRedis.StartAsync();
        await using var cluster = await Cluster.StartAsync(redis.Endpoint, TestRedis.UniquePrefix(), expectedNodes: 2);
        var world = await MeteringWorld.CreateAsync(cluster.Server, rpm: rpm);
        await cluster.WaitUntilKnownAsync(cluster.B, world.Key);
        foreach (var node in new[] { cluster.A, cluster.B })
        {
            var call = await MeteringWorld.SendAsync(node.Http, world.Key, world.DeploymentName, "Shared", maxTokens: 8);
            Assert.True(call.Ok, call.Body);
            Assert.Equal(rpm.ToString(System.Globalization.CultureInfo.InvariantCulture), call.Header(RequestsLimit));
        }

        // Redis dies: each node counts alone, at half of the limit (two expected nodes) — limited, never unlimited.
        await redis.KillAsync();
        var clock = Stopwatch.StartNew();
        var perNode = await Task.WhenAll(new[] { cluster.A, cluster.B }.Select(node => Task.WhenAll(Enumerable.Range(0, 3 * share).Select(i =>
            MeteringWorld.SendAsync(node.Http, world.Key, world.DeploymentName, $"Alone {i}", maxTokens: 8)))));
        var refill = (int)(clock.Elapsed.TotalSeconds * share / 60);
        foreach (var calls in perNode)
        {
            Assert.InRange(calls.Count(c => c.Ok), 1, share + refill);
            Assert.All(calls.Where(c => !c.Ok), c => Assert.Equal(HttpStatusCode.TooManyRequests, c.Status));
            Assert.All(calls.Where(c => !c.Ok), c => Assert.Equal(share.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Header(RequestsLimit)));
        }

        // One warning per node for the whole outage, not one per request.
        Assert.Equal(2, cluster.Server.Log.Count(l => l.Contains("Redis is unreachable", StringComparison.Ordinal)));

        // Redis is back (empty: no persistence): both nodes count in it again, the whole limit once.
        await redis.RestartAsync();
        clock.Restart();
        var sharedAgain = new List<Call>();
        var back = new HashSet<bool>();
        for (var i = 0; back.Count < 2; i++)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the nodes did not return to Redis within 20 s of its restart\n" + cluster.Server.LogText);
            var call = await MeteringWorld.SendAsync(cluster.Node(i).Http, world.Key, world.DeploymentName, $"Back? {i}", maxTokens: 8);
            if (call.Header(RequestsLimit) == rpm.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                sharedAgain.Add(call);
                back.Add(cluster.IsB(call));
            }
            else
            {
                await Task.Delay(100, Ct);
            }
        }

        var returned = clock.Elapsed;
        sharedAgain.AddRange(await Task.WhenAll(Enumerable.Range(0, 3 * rpm).Select(i =>
            MeteringWorld.SendAsync(cluster.Node(i).Http, world.Key, world.DeploymentName, $"Shared again {i}", maxTokens: 8))));
        refill = (int)(clock.Elapsed.TotalSeconds * rpm / 60);
        output.WriteLine($"both nodes counted in Redis again {returned.TotalMilliseconds:F0} ms after its restart");
        Assert.All(sharedAgain, c => Assert.Equal(rpm.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Header(RequestsLimit)));
        Assert.InRange(sharedAgain.Count(c => c.Ok), rpm, rpm + refill);
        Assert.Equal(2, cluster.Server.Log.Count(l => l.Contains("Redis is back", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Usage_written_through_both_nodes_reconciles_exactly_with_what_the_clients_saw()
    {
        await using var cluster = await Cluster.StartAsync(TestRedis.Endpoint, TestRedis.UniquePrefix());
        var world = await MeteringWorld.CreateAsync(cluster.Server);
        await cluster.WaitUntilKnownAsync(cluster.B, world.Key);

        var calls = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            MeteringWorld.SendAsync(cluster.Node(i).Http, world.Key, world.DeploymentName, $"Reconcile {i}: a few words on ledgers.", stream: i % 3 == 0, maxTokens: 24)));
        Assert.All(calls, c => Assert.True(c.Ok, c.Body));
        Assert.Contains(calls, cluster.IsB);
        Assert.Contains(calls, c => !cluster.IsB(c));

        // Usage is committed before a client sees the end of its answer: no waiting, on either node's writes.
        using var stores = TestStores.Geographies(cluster.Server.DataDirectory, "eu");
        var ledger = stores.For("eu").Ledger;
        Assert.Equal(calls.Select(c => c.RequestId!).Order(StringComparer.Ordinal), ledger.RequestIds(world.TenantId).Order(StringComparer.Ordinal));
        var sum = Assert.Single(ledger.Sum(new Storage.Geography.UsageQuery(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), world.TenantId)));
        Assert.Equal(calls.Length, sum.Requests);
        Assert.Equal(calls.Sum(c => c.InputTokens), sum.Tokens.Input);
        Assert.Equal(calls.Sum(c => c.OutputTokens), sum.Tokens.Output);
    }

    [Fact]
    public async Task A_case_flagged_through_one_node_is_reviewed_through_the_other_and_rests_only_in_its_geography()
    {
        await using var cluster = await Cluster.StartAsync(TestRedis.Endpoint, TestRedis.UniquePrefix());
        var world = await MeteringWorld.CreateAsync(cluster.Server, region: "swedencentral");
        await cluster.WaitUntilKnownAsync(cluster.B, world.Key);
        var (_, reviewer) = await Marketplace.TokenAsync(cluster.Server, "reviewer", publisherId: world.PublisherId, geographies: ["eu"]);
        var (_, usReviewer) = await Marketplace.TokenAsync(cluster.Server, "reviewer", publisherId: world.PublisherId, geographies: ["us"]);

        var flagged = await MeteringWorld.SendAsync(cluster.A.Http, world.Key, world.DeploymentName, "Someone should shoot that politician.", maxTokens: 16);
        Assert.True(flagged.Ok, flagged.Body);

        var clock = Stopwatch.StartNew();
        string? caseId = null;
        while (caseId is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the case never appeared in node B's queue\n" + cluster.Server.LogText);
            var queue = await cluster.B.SendAsync(HttpMethod.Get, "/admin/v1/cases", reviewer, null, null);
            Assert.True(queue.IsSuccess, queue.Text);
            caseId = queue.Json.GetProperty("data").EnumerateArray()
                .Where(c => c.GetProperty("request_id").GetString() == flagged.RequestId)
                .Select(c => c.GetProperty("id").GetString())
                .FirstOrDefault();
            await Task.Delay(caseId is null ? 50 : 0, Ct);
        }

        var opened = await cluster.B.SendAsync(HttpMethod.Post, $"/admin/v1/cases/{caseId}/open", reviewer, new { reason = "cross-node review" }, null);
        Assert.True(opened.IsSuccess, opened.Text);
        Assert.Contains("politician", opened.Json.GetProperty("snapshot").GetRawText(), StringComparison.Ordinal);
        var elsewhere = await cluster.B.SendAsync(HttpMethod.Get, $"/admin/v1/cases/{caseId}", usReviewer, null, null);
        Assert.False(elsewhere.IsSuccess, elsewhere.Text);

        using var stores = TestStores.Geographies(cluster.Server.DataDirectory, "eu", "us");
        Assert.Equal(caseId, stores.For("eu").Cases.FindByRequest(flagged.RequestId!)?.Id);
        Assert.Null(stores.For("us").Cases.FindByRequest(flagged.RequestId!));
        Assert.Equal(["open"], stores.For("eu").Cases.AccessLog(caseId).Where(e => e.Event != "view").Select(e => e.Event));
    }

    /// <summary>Two nodes on one data folder and one Redis; the first also serves the admin API calls of the setup.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private Cluster(AdminServer server, AdminServer.Node b)
        {
            Server = server;
            B = b;
        }

        public AdminServer Server { get; }

        public AdminServer.Node A => Server.Main;

        public AdminServer.Node B { get; }

        public static async Task<Cluster> StartAsync(string redis, string prefix, int expectedNodes = 1)
        {
            var server = new AdminServer
            {
                Configure = options =>
                {
                    options.Redis = redis;
                    options.RedisPrefix = prefix;
                    options.ExpectedNodes = expectedNodes;
                    // Only Redis may carry a change from one node to the other within a test.
                    options.SnapshotRefreshInterval = TimeSpan.FromHours(1);
                },
            };
            await server.InitializeAsync();
            return new Cluster(server, await server.StartNodeAsync());
        }

        /// <summary>Alternates between the nodes.</summary>
        public AdminServer.Node Node(int i) => i % 2 == 0 ? A : B;

        public bool IsB(Call call) => call.Response.RequestMessage!.RequestUri!.Port == B.Http.BaseAddress!.Port;

        /// <summary>An authenticated call that takes no quota.</summary>
        public static async Task<HttpStatusCode> ModelsAsync(AdminServer.Node node, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            request.Headers.Add("x-api-key", key);
            using var response = await node.Http.SendAsync(request, Ct);
            return response.StatusCode;
        }

        /// <summary>Waits until <paramref name="node"/> has heard of a key created through the other node.</summary>
        public async Task WaitUntilKnownAsync(AdminServer.Node node, string key)
        {
            var clock = Stopwatch.StartNew();
            while (await ModelsAsync(node, key) != HttpStatusCode.OK)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the second node never heard of the key created through the first\n" + Server.LogText);
                await Task.Delay(20, Ct);
            }
        }

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
