using System.Net;
using System.Text.Json;
using Meridian.Core.Marketplace;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Who reviews is a per-deployment setting (publisher, operator, tenant), recorded on each case when it opens: switching it
/// is audited and moves new cases to the new party's reviewers, while cases opened before stay where they were.
/// </summary>
public sealed class WhoReviewsTests : IAsyncLifetime
{
    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Switching_to_tenant_review_is_audited_and_new_cases_go_to_the_tenants_reviewers_only()
    {
        var publisherReviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        var tenantReviewer = await _server.TokenAsync("reviewer", tenantId: "ten_demo", geographies: ["us"]);
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");
        var before = await _server.FlaggedCaseAsync("before the switch");
        Assert.Equal(ReviewedBy.Publisher, before.ReviewedBy);

        var switched = await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { reviewed_by = "tenant" }, tenantAdmin);
        Assert.Equal("tenant", switched.GetProperty("reviewed_by").GetString());

        var audit = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/audit?object_type=deployment&object_id=dep_demo");
        var record = Assert.Single(audit.GetProperty("data").EnumerateArray(), a => a.GetProperty("action").GetString() == "deployment.set_reviewed_by");
        Assert.Equal("publisher", record.GetProperty("before").GetProperty("reviewed_by").GetString());
        Assert.Equal("tenant", record.GetProperty("after").GetProperty("reviewed_by").GetString());
        Assert.StartsWith("token:", record.GetProperty("actor").GetString());

        var after = await _server.FlaggedCaseAsync("after the switch");
        Assert.Equal(ReviewedBy.Tenant, after.ReviewedBy);

        var publisherQueue = await QueueAsync(publisherReviewer);
        Assert.DoesNotContain(after.Id, publisherQueue);
        Assert.Contains(before.Id, publisherQueue);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{after.Id}", token: publisherReviewer)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{after.Id}/open", new { reason = "look" }, publisherReviewer)).Response.StatusCode);

        var tenantQueue = await QueueAsync(tenantReviewer);
        Assert.Contains(after.Id, tenantQueue);
        Assert.DoesNotContain(before.Id, tenantQueue);
        var opened = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{after.Id}/open", new { reason = "our own review" }, tenantReviewer);
        Assert.Contains("after the switch", opened.GetProperty("snapshot").GetProperty("request").GetRawText());
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{before.Id}", token: tenantReviewer)).Response.StatusCode);
    }

    [Fact]
    public async Task Operator_review_goes_to_reviewers_of_no_publisher_and_no_tenant()
    {
        var operatorReviewer = await _server.TokenAsync("reviewer", geographies: ["us", "eu"]);
        var publisherReviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { reviewed_by = "operator" });

        var found = await _server.FlaggedCaseAsync();

        Assert.Equal(ReviewedBy.Operator, found.ReviewedBy);
        Assert.Equal([found.Id], await QueueAsync(operatorReviewer));
        Assert.Empty(await QueueAsync(publisherReviewer));
        var decided = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "no_violation", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, operatorReviewer);
        Assert.Equal("operator", decided.GetProperty("reviewed_by").GetString());
        // A reviewer of no publisher does not get to list every publisher.
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Get, "/admin/v1/publishers", token: operatorReviewer)).Response.StatusCode);
    }

    [Fact]
    public async Task Who_reviews_is_set_at_creation_and_shown_on_the_deployment()
    {
        var created = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = "tenant-reviewed",
            offer_id = "off_claude",
            model_id = "claude-haiku-4-5",
            hosting_option = "platform",
            deployment_type = "datazone",
            reviewed_by = "tenant",
        });

        Assert.Equal("tenant", created.GetProperty("reviewed_by").GetString());
        Assert.Equal("standard", created.GetProperty("retention_mode").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("retention_exemption").ValueKind);
        var read = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/deployments/{created.GetProperty("id").GetString()}");
        Assert.Equal("tenant", read.GetProperty("reviewed_by").GetString());
        var defaulted = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/deployments/dep_demo");
        Assert.Equal("publisher", defaulted.GetProperty("reviewed_by").GetString());
    }

    [Fact]
    public async Task Bad_values_are_400s_naming_the_field_and_only_the_owning_tenant_admin_or_the_operator_may_switch()
    {
        var (badValue, badText) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { reviewed_by = "anyone", retention_mode = "forever" });
        Assert.Equal(HttpStatusCode.BadRequest, badValue.StatusCode);
        using (var problem = JsonDocument.Parse(badText))
        {
            Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("reviewed_by", out _));
            Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("retention_mode", out _));
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { })).Response.StatusCode);
        var (unknownField, unknownText) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { name = "renamed" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Contains("\"name\"", unknownText);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.AdminAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name = "bad-reviewer", offer_id = "off_claude", model_id = "claude-haiku-4-5", hosting_option = "platform", deployment_type = "datazone", reviewed_by = "nobody",
        })).Response.StatusCode);

        var developer = await _server.TokenAsync("tenant-developer", tenantId: "ten_demo");
        var publisherAdmin = await _server.TokenAsync("publisher-admin", publisherId: "pub_anthropic");
        var otherTenant = (await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/tenants",
            new { name = "Other Tenant", billing_contact = new { name = "O", email = "o@other.example" } })).GetProperty("id").GetString()!;
        var otherAdmin = await _server.TokenAsync("tenant-admin", tenantId: otherTenant);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { reviewed_by = "tenant" }, developer)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { reviewed_by = "tenant" }, publisherAdmin)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { reviewed_by = "tenant" }, otherAdmin)).Response.StatusCode);

        var unchanged = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/deployments/dep_demo");
        Assert.Equal("publisher", unchanged.GetProperty("reviewed_by").GetString());
        var audit = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/audit?object_type=deployment&object_id=dep_demo");
        Assert.DoesNotContain(audit.GetProperty("data").EnumerateArray(), a => a.GetProperty("action").GetString() == "deployment.set_reviewed_by");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_review_settings_and_the_tenant_case_routes()
    {
        using var response = await _server.Http.GetAsync("openapi/v1.json", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(text);
        var paths = document.RootElement.GetProperty("paths");

        Assert.True(paths.GetProperty("/admin/v1/deployments/{id}").TryGetProperty("patch", out _));
        Assert.True(paths.GetProperty("/admin/v1/offers/{id}/retention").TryGetProperty("put", out _));
        Assert.True(paths.GetProperty("/admin/v1/tenants/{tenant}/cases/{id}/access").TryGetProperty("get", out _));
        foreach (var field in new[] { "reviewed_by", "retention_mode", "retention_exemption", "requires_retention", "reason_code" })
        {
            Assert.Contains($"\"{field}\"", text);
        }
    }

    private async Task<List<string>> QueueAsync(string token) =>
        [.. (await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases", token: token)).GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()!)];
}
