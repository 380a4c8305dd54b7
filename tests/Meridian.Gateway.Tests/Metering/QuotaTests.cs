using System.Globalization;
using System.Net;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>Quotas over real HTTP: RPM, input and output TPM per deployment and per key, 429s clients understand.</summary>
public sealed class QuotaTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task Many_parallel_requests_at_a_small_quota_admit_no_more_than_the_quota()
    {
        const int rpm = 5;
        var world = await MeteringWorld.CreateAsync(server, rpm: rpm);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var calls = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => world.SendAsync($"Burst {i}", maxTokens: 8)));
        var elapsed = clock.Elapsed;

        var admitted = calls.Count(c => c.Ok);
        // A token bucket of 5 per minute: 5 at once, then one more every 12 s.
        Assert.InRange(admitted, 1, rpm + (int)(elapsed.TotalSeconds * rpm / 60));
        var refused = calls.Where(c => !c.Ok).ToList();
        Assert.Equal(40 - admitted, refused.Count);
        foreach (var call in refused)
        {
            var message = await ApiAssert.ErrorAsync(call.Response, HttpStatusCode.TooManyRequests, "rate_limit_error", "requests per minute");
            Assert.Contains(world.DeploymentName, message, StringComparison.Ordinal);
            var retryAfter = int.Parse(call.Header("retry-after")!, CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 12);
            Assert.Equal("5", call.Header("anthropic-ratelimit-requests-limit"));
            Assert.Equal("0", call.Header("anthropic-ratelimit-requests-remaining"));
            AssertRfc3339(call.Header("anthropic-ratelimit-requests-reset"));
        }
    }

    [Fact]
    public async Task Successful_answers_carry_the_rate_limit_headers()
    {
        var world = await MeteringWorld.CreateAsync(server, rpm: 50, tpm: 20_000);
        var first = await world.SendAsync("Hello", maxTokens: 100);
        var second = await world.SendAsync("Hello again", maxTokens: 100, stream: true);
        Assert.True(first.Ok && second.Ok, first.Body + second.Body);

        Assert.Equal("50", first.Header("anthropic-ratelimit-requests-limit"));
        Assert.Equal("49", first.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal("48", second.Header("anthropic-ratelimit-requests-remaining"));
        foreach (var name in new[] { "requests", "tokens", "input-tokens", "output-tokens" })
        {
            Assert.NotNull(first.Header($"anthropic-ratelimit-{name}-limit"));
            Assert.NotNull(first.Header($"anthropic-ratelimit-{name}-remaining"));
            AssertRfc3339(first.Header($"anthropic-ratelimit-{name}-reset"));
        }

        // The output reservation is max_tokens (100) until the answer settles with what it really used.
        Assert.Equal("20000", first.Header("anthropic-ratelimit-output-tokens-limit"));
        Assert.Equal(19_900, long.Parse(first.Header("anthropic-ratelimit-output-tokens-remaining")!, CultureInfo.InvariantCulture));
        var secondRemaining = long.Parse(second.Header("anthropic-ratelimit-output-tokens-remaining")!, CultureInfo.InvariantCulture);
        // What the first used stays taken (less what the bucket refilled since); the second's 100 are reserved.
        Assert.InRange(secondRemaining, 20_000 - first.OutputTokens - 100, 19_900);
    }

    [Fact]
    public async Task Output_tokens_per_minute_are_reserved_from_max_tokens_and_named_when_hit()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var set = await server.SendAsync(HttpMethod.Put, $"/admin/v1/deployments/{world.DeploymentId}/limits", body: new { output_tpm = 300 });
        Assert.True(set.IsSuccess, set.Text);
        Assert.Equal(300, set.Json.GetProperty("effective").GetProperty("output_tpm").GetInt32());

        var calls = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => world.SendAsync($"Long answer {i}", maxTokens: 200)));
        Assert.Contains(calls, c => c.Ok);
        var refused = calls.First(c => !c.Ok);
        await ApiAssert.ErrorAsync(refused.Response, HttpStatusCode.TooManyRequests, "rate_limit_error", "output tokens per minute (OTPM)");
        Assert.Equal("300", refused.Header("anthropic-ratelimit-output-tokens-limit"));
    }

    [Fact]
    public async Task A_key_limit_applies_to_that_key_only()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var set = await server.SendAsync(HttpMethod.Put, $"/admin/v1/keys/{world.KeyId}/limits", body: new { rpm = 2 });
        Assert.True(set.IsSuccess, set.Text);
        var (_, otherKey) = await Marketplace.KeyAsync(server, world.ResourceId);

        Assert.True((await world.SendAsync("one")).Ok);
        Assert.True((await world.SendAsync("two")).Ok);
        var third = await world.SendAsync("three");
        await ApiAssert.ErrorAsync(third.Response, HttpStatusCode.TooManyRequests, "rate_limit_error", $"API key '{world.KeyId}'");
        Assert.Equal("2", third.Header("anthropic-ratelimit-requests-limit"));

        var viaOtherKey = await MeteringWorld.SendAsync(server.Http, otherKey, world.DeploymentName, "four");
        Assert.True(viaOtherKey.Ok, viaOtherKey.Body);
    }

    [Fact]
    public async Task Limits_are_validated_and_belong_to_the_tenant()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var path = $"/admin/v1/deployments/{world.DeploymentId}/limits";
        (await server.SendAsync(HttpMethod.Put, path, body: new { rpm = 0 })).AssertProblem(HttpStatusCode.BadRequest, "validation", "rpm");
        (await server.SendAsync(HttpMethod.Put, path, body: new { monthly_budget_usd = "ten" })).AssertProblem(HttpStatusCode.BadRequest, "validation", "monthly_budget_usd");
        (await server.SendAsync(HttpMethod.Put, path, body: new { rpms = 5 })).AssertProblem(HttpStatusCode.BadRequest, "validation", "rpms");
        (await server.SendAsync(HttpMethod.Put, $"/admin/v1/tenants/{world.TenantId}/limits", body: new { rpm = 5 })).AssertProblem(HttpStatusCode.BadRequest, "validation", "rpm");
        (await server.SendAsync(HttpMethod.Put, $"/admin/v1/keys/{world.KeyId}/limits", body: new { monthly_budget_usd = "5" })).AssertProblem(HttpStatusCode.BadRequest, "validation", "monthly_budget_usd");
        (await server.SendAsync(HttpMethod.Put, "/admin/v1/deployments/dep_missing/limits", body: new { rpm = 5 })).AssertProblem(HttpStatusCode.NotFound, "not_found");

        var (_, developer) = await Marketplace.TokenAsync(server, "tenant-developer", tenantId: world.TenantId);
        var (_, admin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: world.TenantId);
        var other = await world.AnotherTenantAsync();
        var (_, otherAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: other.TenantId);
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync(path, developer)).Status);
        (await server.SendAsync(HttpMethod.Put, path, developer, new { rpm = 5 })).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        Assert.True((await server.SendAsync(HttpMethod.Put, path, admin, new { rpm = 5 })).IsSuccess);
        (await server.GetAsync(path, otherAdmin)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        (await server.SendAsync(HttpMethod.Put, path, otherAdmin, new { rpm = 500 })).AssertProblem(HttpStatusCode.NotFound, "not_found");

        var read = (await server.GetAsync(path)).Json;
        Assert.Equal(5, read.GetProperty("rpm").GetInt32());
        Assert.Equal(5, read.GetProperty("effective").GetProperty("rpm").GetInt32());
        Assert.Equal(1_000_000, read.GetProperty("effective").GetProperty("input_tpm").GetInt32());
    }

    private static void AssertRfc3339(string? value)
    {
        Assert.NotNull(value);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", value);
        Assert.True(DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _));
    }
}
