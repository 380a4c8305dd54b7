using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// A tenant sees that its requests have cases, their outcome, and every access to them (what, when, reason code,
/// decision, purge) — never who reviewed or why in the reviewer's own words — and nothing of another tenant's cases.
/// </summary>
public sealed class TenantCaseViewTests : IAsyncLifetime
{
    private const string ReviewerName = "Reviewer Alice Example";
    private const string FreeTextReason = "alice double-checks the politician remark";

    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Tenant_reads_the_access_events_of_its_own_case_without_reviewer_identity()
    {
        var found = await _server.FlaggedCaseAsync();
        var reviewerToken = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/tokens",
            new { role = "reviewer", name = ReviewerName, publisher_id = "pub_anthropic", geographies = new[] { "us" } });
        var reviewer = reviewerToken.GetProperty("token").GetString()!;
        var reviewerId = reviewerToken.GetProperty("id").GetString()!;
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = FreeTextReason, reason_code = "escalation" }, reviewer);
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "warn_tenant", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);
        var purger = _server.Purger(new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(31)));
        Assert.Equal(1, await purger.PurgeExpiredAsync(TestContext.Current.CancellationToken));

        foreach (var role in new[] { "tenant-admin", "tenant-developer" })
        {
            var token = await _server.TokenAsync(role, tenantId: "ten_demo");
            var (response, text) = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}/access", token: token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            var events = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}/access", token: token);
            var list = events.GetProperty("data").EnumerateArray().ToList();
            Assert.Equal(["open", "decision", "purge"], list.Select(e => e.GetProperty("event").GetString()));
            Assert.Equal(["escalation", "violation", "retention_elapsed"], list.Select(e => e.GetProperty("reason_code").GetString()));
            Assert.Equal("violation", list[1].GetProperty("decision").GetString());
            Assert.Equal("warn_tenant", list[1].GetProperty("action").GetString());
            Assert.All(list, e => Assert.True(e.TryGetProperty("at", out _)));

            foreach (var secret in new[] { reviewerId, "token:", ReviewerName, FreeTextReason, "actor", "hash" })
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }

        // The reviewer's own view of the same events does carry who and why.
        var (_, reviewerView) = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}/access", token: reviewer);
        Assert.Contains(reviewerId, reviewerView);
        Assert.Contains(FreeTextReason, reviewerView);
    }

    [Fact]
    public async Task Tenant_lists_its_cases_with_their_outcome_and_not_who_decided()
    {
        var found = await _server.FlaggedCaseAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "warn_tenant", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");

        var (_, listText) = await _server.AdminAsync(HttpMethod.Get, "/admin/v1/tenants/ten_demo/cases", token: tenantAdmin);
        var list = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/tenants/ten_demo/cases?status=decided", token: tenantAdmin);
        var item = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(found.Id, item.GetProperty("id").GetString());
        Assert.Equal(found.RequestId, item.GetProperty("request_id").GetString());
        Assert.Equal("violation", item.GetProperty("decision").GetString());
        Assert.Equal("warn_tenant", item.GetProperty("decision_action").GetString());
        Assert.False(item.TryGetProperty("decided_by", out _));
        Assert.DoesNotContain("token:", listText);
        Assert.Empty((await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/tenants/ten_demo/cases?status=open", token: tenantAdmin)).GetProperty("data").EnumerateArray());
        var one = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}", token: tenantAdmin);
        Assert.Equal("decided", one.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Another_tenants_case_is_404_and_roles_that_never_see_tenants_get_403()
    {
        var found = await _server.FlaggedCaseAsync();
        var otherTenant = (await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/tenants",
            new { name = "Other Tenant", billing_contact = new { name = "O", email = "o@other.example" } })).GetProperty("id").GetString()!;
        var otherAdmin = await _server.TokenAsync("tenant-admin", tenantId: otherTenant);
        var reviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        var publisherAdmin = await _server.TokenAsync("publisher-admin", publisherId: "pub_anthropic");

        var viaOwnPath = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/{otherTenant}/cases/{found.Id}/access", token: otherAdmin);
        var missing = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/{otherTenant}/cases/case_0000000000000000deadbeef/access", token: otherAdmin);
        Assert.Equal(HttpStatusCode.NotFound, viaOwnPath.Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal(Detail(missing.Text).Replace("case_0000000000000000deadbeef", "ID", StringComparison.Ordinal), Detail(viaOwnPath.Text).Replace(found.Id, "ID", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}/access", token: otherAdmin)).Response.StatusCode);
        Assert.DoesNotContain(found.Id, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/{otherTenant}/cases", token: otherAdmin)).Text);

        foreach (var token in new[] { reviewer, publisherAdmin })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}/access", token: token)).Response.StatusCode);
        }
    }

    private static string Detail(string problem)
    {
        using var document = System.Text.Json.JsonDocument.Parse(problem);
        return document.RootElement.GetProperty("detail").GetString()!;
    }
}
