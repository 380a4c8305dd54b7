using System.Net;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// A reviewer outside a case's scope — another publisher, another geography — is told 403 on every route of the case;
/// a case id that exists nowhere is 404; and nothing an outsider tries reaches the access log or changes the case.
/// </summary>
public sealed class CaseReviewScopeTests : IAsyncLifetime
{
    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Reviewer_of_another_publisher_gets_403_on_view_access_open_and_decide()
    {
        var found = await _server.FlaggedCaseAsync();
        var otherPublisher = (await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/publishers",
            new { name = "Other Publisher", contact_email = "ts@other.example" })).GetProperty("id").GetString()!;
        var outsider = await _server.TokenAsync("reviewer", publisherId: otherPublisher, geographies: ["us", "eu"]);

        await AssertForbiddenEverywhereAsync(found.Id, outsider);
    }

    [Fact]
    public async Task Reviewer_of_another_geography_gets_403_on_view_access_open_and_decide()
    {
        var found = await _server.FlaggedCaseAsync();
        Assert.Equal("us", found.Geography);
        var outsider = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["eu"]);

        await AssertForbiddenEverywhereAsync(found.Id, outsider);
        var queue = await _server.AdminAsync(HttpMethod.Get, "/admin/v1/cases?geography=us", token: outsider);
        Assert.Equal(HttpStatusCode.Forbidden, queue.Response.StatusCode);
    }

    [Fact]
    public async Task A_case_id_that_exists_nowhere_is_404_for_reviewers_and_the_operator()
    {
        await _server.FlaggedCaseAsync();
        var reviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        const string Missing = "case_0000000000000000deadbeef";

        foreach (var token in new[] { reviewer, SafeguardsServer.OperatorToken })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{Missing}", token: token)).Response.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{Missing}/access", token: token)).Response.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound,
                (await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{Missing}/open", new { reason = "look" }, token)).Response.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound,
                (await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{Missing}/decision", new { decision = "no_violation", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, token)).Response.StatusCode);
        }
    }

    [Fact]
    public async Task The_reviewer_in_scope_sees_opens_and_decides_the_same_case()
    {
        var found = await _server.FlaggedCaseAsync();
        var reviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);

        Assert.Equal(HttpStatusCode.OK, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}", token: reviewer)).Response.StatusCode);
        var opened = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "triage", reason_code = "escalation" }, reviewer);
        Assert.Equal("escalation", opened.GetProperty("access").GetProperty("reason_code").GetString());
        var decided = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "no_violation", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);
        Assert.Equal("decided", decided.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unknown_open_reason_code_is_a_400_naming_it_and_nothing_is_logged()
    {
        var found = await _server.FlaggedCaseAsync();
        var (response, text) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "look", reason_code = "curiosity" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("reason_code", text);
        Assert.Empty(_server.Stores.For("us").Cases.AccessLog(found.Id));
    }

    private async Task AssertForbiddenEverywhereAsync(string caseId, string outsider)
    {
        var view = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{caseId}", token: outsider);
        var access = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{caseId}/access", token: outsider);
        var open = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{caseId}/open", new { reason = "curious" }, outsider);
        var decide = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{caseId}/decision", new { decision = "violation", action = "suspend_key", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, outsider);

        foreach (var (response, text) in new[] { view, access, open, decide })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("outside your review scope", text);
            Assert.DoesNotContain("politician", text);
        }

        Assert.Empty(_server.Stores.For("us").Cases.AccessLog(caseId));
        Assert.Equal("open", _server.Stores.For("us").Cases.Find(caseId)!.Status);
        Assert.DoesNotContain(caseId, (await _server.AdminAsync(HttpMethod.Get, "/admin/v1/cases", token: outsider)).Text);
    }
}
