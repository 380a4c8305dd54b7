using System.Net;
using Meridian.Gateway.Safeguards;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Safeguard settings per deployment, changed at run time (issue 17 item 4): thresholds and actions per category and a
/// blocklist of terms and patterns, set with <c>PATCH /deployments/{id}</c>, audited, in force on the very next request
/// of that deployment and no other.
/// </summary>
public sealed class DeploymentSafeguardSettingsTests : IAsyncLifetime
{
    private const string Flagged = "Someone should shoot that politician.";
    private const string Other = "other-sonnet";

    private readonly SafeguardsServer _server = new();

    public async ValueTask InitializeAsync()
    {
        await _server.InitializeAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = Other,
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "platform",
            deployment_type = "datazone",
        });
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_stricter_threshold_blocks_the_next_request_of_that_deployment_only_and_is_audited()
    {
        using (var before = await _server.MessagesAsync(Flagged))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var updated = await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo",
            new { safeguards = new { input = new { violence = new { medium = "block" } } } });
        Assert.Equal("block", updated.GetProperty("safeguards").GetProperty("input").GetProperty("violence").GetProperty("medium").GetString());

        using var blocked = await _server.MessagesAsync(Flagged);
        Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        Assert.StartsWith("block:violence=medium", blocked.Headers.GetValues(RequestSafeguards.Header).Single(), StringComparison.Ordinal);
        using var elsewhere = await _server.MessagesAsync(Flagged, model: Other);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);

        var audit = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/audit?object_type=deployment&object_id=dep_demo");
        Assert.Single(audit.GetProperty("data").EnumerateArray(), a => a.GetProperty("action").GetString() == "deployment.set_safeguards");

        // JSON null removes the settings: the policy applies as it is again.
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new Dictionary<string, object?> { ["safeguards"] = null });
        using var again = await _server.MessagesAsync(Flagged);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Blocklisted_terms_and_patterns_are_screened_on_the_next_request_of_that_deployment_only()
    {
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new
        {
            safeguards = new
            {
                blocklist = new { terms = new[] { "project nightjar" }, patterns = new[] { @"\bacct-\d{6}\b" }, category = "violence", severity = "high" },
            },
        });

        using var term = await _server.MessagesAsync("Tell me about Project NIGHTJAR, please.");
        Assert.Equal(HttpStatusCode.BadRequest, term.StatusCode);
        Assert.Equal("block:violence=high", term.Headers.GetValues(RequestSafeguards.Header).Single());
        using var pattern = await _server.MessagesAsync("Close ACCT-123456 today.");
        Assert.Equal(HttpStatusCode.BadRequest, pattern.StatusCode);
        // Whole words only: a term inside a longer word is not a match.
        using var inside = await _server.MessagesAsync("The nightjarring project nightjars are birds.");
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);

        using var elsewhere = await _server.MessagesAsync("Tell me about project nightjar, please.", model: Other);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_blocklist_screens_the_answer_too_streamed_or_not_and_only_on_that_deployment()
    {
        // The simulator's every answer says what it is ("I am the Meridian simulator, …"); the request does not.
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new
        {
            safeguards = new { blocklist = new { terms = new[] { "meridian simulator" }, category = "violence", severity = "high" } },
        });

        using var whole = await _server.MessagesAsync("Hello there.");
        var text = await whole.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, whole.StatusCode);
        Assert.Contains("Output blocked", text, StringComparison.Ordinal);
        Assert.DoesNotContain("simulator", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("block:violence=high", whole.Headers.GetValues(RequestSafeguards.Header).Single());

        using var streamed = await _server.MessagesAsync("Hello there.", stream: true);
        var events = await streamed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal("event: error", events.Split('\n').Last(l => l.StartsWith("event: ", StringComparison.Ordinal)));
        Assert.DoesNotContain("Meridian simulator", events, StringComparison.OrdinalIgnoreCase);

        using var elsewhere = await _server.MessagesAsync("Hello there.", model: Other);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
        Assert.Contains("Meridian simulator", await elsewhere.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pattern_that_cannot_run_in_linear_time_is_a_400_naming_it_and_nothing_changes()
    {
        var (response, text) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new
        {
            safeguards = new { blocklist = new { patterns = new[] { "fine", @"(a+)\1" }, category = "hate" } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("safeguards.blocklist.patterns[1]", text, StringComparison.Ordinal);
        var deployment = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/deployments/dep_demo");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, deployment.GetProperty("safeguards").ValueKind);
    }

    [Fact]
    public async Task A_tenant_admin_may_tighten_but_not_loosen_its_deployments_screening()
    {
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");

        var (loosen, text) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo",
            new { safeguards = new { input = new { violence = new { high = "annotate" } } } }, tenantAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, loosen.StatusCode);
        Assert.Contains("safeguards.input.violence.high", text, StringComparison.Ordinal);

        var (tighten, _) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo",
            new { safeguards = new { input = new { violence = new { medium = "block" } } } }, tenantAdmin);
        Assert.Equal(HttpStatusCode.OK, tighten.StatusCode);
    }

    [Fact]
    public async Task A_deployments_own_retention_period_purges_its_cases_sooner_and_leaves_other_deployments_on_the_gateways()
    {
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { safeguards = new { retention_days = 2 } });
        var own = await _server.FlaggedCaseAsync();
        using var response = await _server.MessagesAsync(Flagged, model: Other);
        var other = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(response));

        var purger = _server.Purger(new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(3)));
        Assert.Equal(1, await purger.PurgeExpiredAsync(TestContext.Current.CancellationToken));

        var cases = _server.Stores.For("us").Cases;
        Assert.NotNull(cases.Find(own.Id)!.PurgedAt);
        Assert.Null(cases.Find(other.Id)!.PurgedAt);
        Assert.Contains(cases.AccessLog(own.Id), e => e.Event == "purge");
    }

    [Fact]
    public async Task A_tenant_admin_may_shorten_retention_but_not_keep_content_longer_than_the_gateway_and_a_bad_period_is_a_400()
    {
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");

        var (longer, text) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { safeguards = new { retention_days = 90 } }, tenantAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, longer.StatusCode);
        Assert.Contains("retention period of 30 days", text, StringComparison.Ordinal);

        var (zero, zeroText) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { safeguards = new { retention_days = 0 } });
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Contains("safeguards.retention_days", zeroText, StringComparison.Ordinal);

        var shorter = await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { safeguards = new { retention_days = 7 } }, tenantAdmin);
        Assert.Equal(7, shorter.GetProperty("safeguards").GetProperty("retention_days").GetInt32());
        var longerByOperator = await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { safeguards = new { retention_days = 90 } });
        Assert.Equal(90, longerByOperator.GetProperty("safeguards").GetProperty("retention_days").GetInt32());
    }
}
