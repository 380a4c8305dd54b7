using System.Net;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// A decision carries a rationale and is accepted only from a reviewer who opened the content or recorded why not; an
/// escalation marks a case urgent and records who was told (docs/safeguards.md, "Deciding" and "Escalation").
/// </summary>
public sealed class CaseDecisionRulesTests : IAsyncLifetime
{
    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_decision_without_a_rationale_is_a_400_naming_the_field_and_leaves_the_case_open()
    {
        var found = await _server.FlaggedCaseAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "triage" });

        foreach (var body in new object[] { new { decision = "no_violation" }, new { decision = "no_violation", rationale = "   " } })
        {
            var (response, text) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("rationale", text, StringComparison.Ordinal);
        }

        Assert.Equal("open", _server.Stores.For("us").Cases.Find(found.Id)!.Status);
        Assert.DoesNotContain(_server.Stores.For("us").Cases.AccessLog(found.Id), e => e.Event == "decision");
    }

    [Fact]
    public async Task A_reviewer_who_has_not_opened_the_content_gets_409_until_they_open_it_even_when_someone_else_has()
    {
        var found = await _server.FlaggedCaseAsync();
        var (reviewer, reviewerName) = await ReviewerAsync("Rita Reviewer", "pub_anthropic", "us");
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "operator triage" });

        var (refused, text) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision",
            new { decision = "violation", action = "warn_tenant", rationale = "incitement" }, reviewer);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("You have not opened the content", text, StringComparison.Ordinal);
        Assert.Contains("not_opened_reason", text, StringComparison.Ordinal);
        Assert.Equal("open", _server.Stores.For("us").Cases.Find(found.Id)!.Status);

        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "triage" }, reviewer);
        var decided = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision",
            new { decision = "violation", action = "warn_tenant", rationale = "Incites violence against a named person." }, reviewer);

        Assert.Equal("Incites violence against a named person.", decided.GetProperty("rationale").GetString());
        Assert.Equal("opened", decided.GetProperty("decided_content").GetString());
        Assert.Equal(reviewerName, decided.GetProperty("decided_by_name").GetString());
        Assert.Equal(JsonValueKind.Null, decided.GetProperty("not_opened_reason").ValueKind);
        // The rationale is in the decision's access-log entry, whose hash the entry's access record (a receipt-log leaf) carries.
        var entry = Assert.Single(_server.Stores.For("us").Cases.AccessLog(found.Id), e => e.Event == "decision");
        Assert.Contains("content=opened", entry.Reason, StringComparison.Ordinal);
        Assert.Contains("rationale=Incites violence against a named person.", entry.Reason, StringComparison.Ordinal);
        Assert.True(_server.Stores.For("us").Cases.VerifyAccessLog().Valid);
        var access = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}/access");
        Assert.Contains(access.GetProperty("data").EnumerateArray(),
            e => e.GetProperty("event").GetString() == "decision" && e.GetProperty("reason").GetString()!.Contains("rationale=Incites", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_recorded_reason_not_to_open_admits_the_decision_and_is_stored_with_it()
    {
        var found = await _server.FlaggedCaseAsync();
        var (blank, _) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision",
            new { decision = "no_violation", rationale = "news quote", not_opened_reason = " " });
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);

        var decided = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision",
            new { decision = "no_violation", rationale = "A quoted headline.", not_opened_reason = "The excerpt in the findings is the whole request." });

        Assert.Equal("not_opened", decided.GetProperty("decided_content").GetString());
        Assert.Equal("The excerpt in the findings is the whole request.", decided.GetProperty("not_opened_reason").GetString());
        var log = _server.Stores.For("us").Cases.AccessLog(found.Id);
        Assert.DoesNotContain(log, e => e.Event == "open");
        Assert.Contains("not_opened_reason=The excerpt in the findings is the whole request.", Assert.Single(log, e => e.Event == "decision").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Escalation_marks_the_case_urgent_and_records_who_was_told_and_who_escalated()
    {
        var found = await _server.FlaggedCaseAsync();
        var (escalator, escalatorName) = await ReviewerAsync("Ezra Escalator", "pub_anthropic", "us");
        var (_, colleague) = await ReviewerAsync("Cora Colleague", "pub_anthropic", "us");
        var (_, operatorReviewer) = await ReviewerAsync("Otto Operator", null, "us");
        var (_, elsewhere) = await ReviewerAsync("Elsa Elsewhere", "pub_anthropic", "eu");

        var (missing, text) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/escalate", new { reason = "" }, escalator);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("reason", text, StringComparison.Ordinal);

        var escalated = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/escalate", new { reason = "Names a target and a date." }, escalator);

        Assert.True(escalated.GetProperty("urgent").GetBoolean());
        var escalation = escalated.GetProperty("escalation");
        Assert.Equal(escalatorName, escalation.GetProperty("by_name").GetString());
        Assert.Equal("Names a target and a date.", escalation.GetProperty("reason").GetString());
        var told = escalation.GetProperty("notified").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains(colleague, told);
        Assert.Contains(operatorReviewer, told);
        Assert.DoesNotContain(elsewhere, told);
        Assert.DoesNotContain(escalatorName, told);
        Assert.Equal(operatorReviewer, told.First(n => n == operatorReviewer || n == colleague));

        var entry = Assert.Single(_server.Stores.For("us").Cases.AccessLog(found.Id), e => e.Event == "escalate");
        Assert.Equal("urgent", entry.ReasonCode);
        Assert.Contains(colleague, entry.Reason, StringComparison.Ordinal);
        var listed = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases?status=open");
        Assert.Contains(listed.GetProperty("data").EnumerateArray(), c => c.GetProperty("id").GetString() == found.Id && c.GetProperty("urgent").GetBoolean());

        var (again, againText) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/escalate", new { reason = "still urgent" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains(escalatorName, againText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_decided_case_is_not_escalated()
    {
        var found = await _server.FlaggedCaseAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision",
            new { decision = "no_violation", rationale = "benign", not_opened_reason = "metadata suffices" });

        var (response, text) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/escalate", new { reason = "late" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("already decided", text, StringComparison.Ordinal);
    }

    private async Task<(string Token, string Name)> ReviewerAsync(string name, string? publisherId, string geography)
    {
        var unique = $"{name} {Guid.NewGuid():N}"[..(name.Length + 5)];
        var issued = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/tokens",
            new { role = "reviewer", name = unique, publisher_id = publisherId, geographies = new[] { geography } });
        return (issued.GetProperty("token").GetString()!, unique);
    }
}
