using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// Exceptions-only review in the browser: a request the safeguards flag becomes a case in the queue of the reviewer of
/// its publisher and geography; its content stays sealed until the reviewer opens it with a reason, which the API
/// records in the access log; a violation with "suspend key" makes the data plane refuse that key.
/// </summary>
public sealed class ReviewerFlowTests(PortalFixture portal)
{
    [Fact]
    public async Task Reviewer_opens_a_flagged_case_with_a_recorded_reason_and_suspends_the_key()
    {
        // A key of the demo tenant (resource in eastus: geography us) and a request the default policy flags.
        var created = await portal.AdminAsync(HttpMethod.Post, "resources/res_demo/keys", new { name = "reviewer flow" });
        var key = created.GetProperty("key").GetString()!;
        var requestId = await portal.SendFlaggedAsync(key);
        var caseId = (await portal.WaitForCaseAsync(requestId)).GetProperty("id").GetString()!;

        var reviewerToken = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        var reviewer = await ReviewerTokenIdAsync(reviewerToken);
        await using var tab = await portal.NewPageAsync();
        var page = tab.Page;
        await tab.SignInAsync(reviewerToken);

        // The queue: the case is there, with its verdict, and nothing of its content.
        Assert.Equal(["Case queue", "Suspensions"], await tab.NavigationLinksAsync());
        var row = page.Locator($"table.cases tr[data-request='{requestId}']");
        await Expect(row).ToContainTextAsync("violence (medium)");
        await Expect(row).ToContainTextAsync("open");
        await tab.ScreenshotAsync("reviewer-cases");

        // The case page: metadata only until the reviewer opens it; the portal has not asked for the content.
        await row.GetByRole(AriaRole.Link, new() { Name = caseId }).ClickAsync();
        await tab.WaitForViewAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Case {caseId}");
        await Expect(page.Locator("[data-field='Request']")).ToHaveTextAsync(requestId);
        await Expect(page.Locator("[data-field='Verdict']")).ToContainTextAsync("violence=medium");
        Assert.DoesNotContain(PortalFixture.FlaggedText, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(tab.Requests, r => r.EndsWith("/open", StringComparison.Ordinal));
        // The queue and the case page are views, on record (event view); nobody has opened or decided it yet.
        await Expect(page.Locator("section.access-log tr[data-event='view']").First).ToBeVisibleAsync();
        await Expect(page.Locator("section.access-log tr[data-event='open'], section.access-log tr[data-event='decision']")).ToHaveCountAsync(0);

        // Opening needs a reason; the API records it before the content comes back.
        var open = page.GetByRole(AriaRole.Form, new() { Name = "Open the case content" });
        await open.GetByLabel("Reason for opening").SelectOptionAsync("triage");
        await open.GetByLabel("Note (optional)").FillAsync("queue review");
        await open.GetByRole(AriaRole.Button, new() { Name = "Open content (recorded)" }).ClickAsync();
        var content = page.Locator("section.case-content .opened");
        await Expect(content.Locator("li[data-role='user'] .content-text")).ToHaveTextAsync(PortalFixture.FlaggedText);
        await Expect(content.Locator(".answer")).Not.ToBeEmptyAsync();
        // The access names the reviewer by name, with the token id on hover.
        await Expect(content).ToContainTextAsync("by Rita (reviewer), reason “triage: queue review”");
        await Expect(content.Locator($"[data-actor='token:{reviewer}']")).ToHaveAttributeAsync("title", $"token:{reviewer}");
        await Expect(page.Locator("table.access tr[data-event='open']")).ToContainTextAsync("triage: queue review");
        await tab.ScreenshotAsync("reviewer-case");

        var access = await portal.AdminAsync(HttpMethod.Get, $"cases/{caseId}/access");
        // Listing and viewing are recorded too (event view); the content was opened once, by the reviewer.
        var record = Assert.Single(access.GetProperty("data").EnumerateArray(), e => e.GetProperty("event").GetString() != "view");
        Assert.Equal("open", record.GetProperty("event").GetString());
        Assert.Equal($"token:{reviewer}", record.GetProperty("actor").GetString());
        Assert.Equal("triage", record.GetProperty("reason_code").GetString());
        Assert.Equal("queue review", record.GetProperty("reason").GetString());

        // Violation, suspend the key: the decision is recorded, and the key's next request is refused.
        var decide = page.GetByRole(AriaRole.Form, new() { Name = "Decide the case" });
        await decide.GetByRole(AriaRole.Group, new() { Name = "Decision" }).GetByLabel("Violation", new() { Exact = true }).CheckAsync();
        await decide.GetByRole(AriaRole.Group, new() { Name = "Action" }).GetByLabel("Suspend API key", new() { Exact = false }).CheckAsync();
        // Having opened the content, the reviewer is not asked why not; the rationale is required.
        await Expect(decide.GetByLabel("Why decide without opening the content")).ToHaveCountAsync(0);
        await decide.GetByLabel("Rationale").FillAsync("Threatens a named politician.");
        await decide.GetByRole(AriaRole.Button, new() { Name = "Record decision and suspend the key" }).ClickAsync();
        await Expect(page.Locator("section.case-decision [data-field='Decision']")).ToHaveTextAsync("Violation");
        await Expect(page.Locator("section.case-decision [data-field='Action']")).ToHaveTextAsync("key suspended");
        await Expect(page.Locator("table.access tr[data-event='decision']")).ToContainTextAsync("rationale=Threatens a named politician.");
        await Expect(page.Locator("section.case-decision [data-field='Rationale']")).ToHaveTextAsync("Threatens a named politician.");
        await Expect(page.Locator("section.case-decision [data-field='Decided by']")).ToHaveTextAsync("Rita (reviewer)");
        await Expect(page.Locator("section.case-decision [data-field='Content seen']")).ToHaveTextAsync("opened by the decider before deciding");

        var decided = await portal.AdminAsync(HttpMethod.Get, $"cases/{caseId}");
        Assert.Equal(("decided", "violation", "suspend_key"), (decided.GetProperty("status").GetString(), decided.GetProperty("decision").GetString(),
            decided.GetProperty("decision_action").GetString()));
        using (var refused = await portal.MessagesAsync(key, "Hello after the decision"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("permission_error", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        using (var other = await portal.MessagesAsync(PortalFixture.DemoKey, "Hello from another key of the same deployment"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // Back in the queue the case is no longer open; among the decided ones it shows its outcome.
        await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Link, new() { Name = "Back to the case queue" }).ClickAsync(),
            r => r.Url.EndsWith("/admin/v1/cases?limit=200&status=open", StringComparison.Ordinal));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Case queue");
        await Expect(page.Locator($"table.cases tr[data-request='{requestId}']")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Group, new() { Name = "Cases" }).GetByLabel("Decided").CheckAsync();
        await Expect(page.Locator($"table.cases tr[data-request='{requestId}']")).ToContainTextAsync("Violation · key suspended");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_reviewer_of_another_geography_never_sees_the_case()
    {
        var requestId = await portal.SendFlaggedAsync(PortalFixture.DemoKey);
        var caseId = (await portal.WaitForCaseAsync(requestId)).GetProperty("id").GetString()!;
        var token = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["eu"]);
        await using var tab = await portal.NewPageAsync();
        await tab.SignInAsync(token);
        await tab.Page.RunAndWaitForResponseAsync(
            () => tab.Page.GetByRole(AriaRole.Group, new() { Name = "Cases" }).GetByLabel("All").CheckAsync(),
            r => r.Url.EndsWith("/admin/v1/cases?limit=200", StringComparison.Ordinal));
        await Expect(tab.Page.Locator("main .empty")).ToHaveTextAsync("No cases.");

        // By URL the API refuses it (the portal shows the API's answer), so there is nothing to open and nothing was opened.
        await tab.OpenAsync($"/portal/reviewer/cases/{caseId}");
        await Expect(tab.Page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Form, new() { Name = "Open the case content" })).ToHaveCountAsync(0);
        var access = await portal.AdminAsync(HttpMethod.Get, $"cases/{caseId}/access");
        var outsider = $"token:{await ReviewerTokenIdAsync(token)}";
        Assert.All(access.GetProperty("data").EnumerateArray(), e => Assert.Equal("view", e.GetProperty("event").GetString()));
        Assert.DoesNotContain(access.GetProperty("data").EnumerateArray(), e => e.GetProperty("actor").GetString() == outsider);
    }

    [Fact]
    public async Task A_large_flagged_request_opens_as_its_shape_and_the_text_around_the_finding()
    {
        // 40 KB of ordinary prose with the flagged sentence in the middle: the case keeps an excerpt, not the body.
        var prose = string.Concat(Enumerable.Repeat("The harbour master counted the boats again before the tide turned. ", 300));
        // The demo key: a key created in res_demo after another test's suspend_key decision would come back suspended.
        using var response = await portal.MessagesAsync(PortalFixture.DemoKey, $"{prose}{PortalFixture.FlaggedText} {prose}");
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        Assert.StartsWith("flag:", response.Headers.GetValues("meridian-safeguards").Single(), StringComparison.Ordinal);
        var requestId = response.Headers.GetValues("request-id").Single();
        var caseId = (await portal.WaitForCaseAsync(requestId)).GetProperty("id").GetString()!;

        var reviewerToken = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await using var tab = await portal.NewPageAsync(reviewerToken);
        await tab.OpenAsync($"/portal/reviewer/cases/{caseId}");
        var open = tab.Page.GetByRole(AriaRole.Form, new() { Name = "Open the case content" });
        await open.GetByLabel("Reason for opening").SelectOptionAsync("triage");
        await open.GetByRole(AriaRole.Button, new() { Name = "Open content (recorded)" }).ClickAsync();

        var content = tab.Page.Locator("section.case-content .opened");
        await Expect(content.Locator("[data-field='not-kept-whole']")).ToContainTextAsync("too large to keep whole");
        var excerpt = content.Locator("ol.excerpts li[data-location='messages[0].content']");
        await Expect(excerpt.Locator(".content-text")).ToContainTextAsync(PortalFixture.FlaggedText);
        await Expect(excerpt).ToContainTextAsync("violence");
        Assert.True((await excerpt.Locator(".content-text").InnerTextAsync()).Length < 2_000, "the excerpt is the text around the finding, not the body");
        Assert.DoesNotContain("null", await content.Locator("pre.content-text").First.InnerTextAsync(), StringComparison.Ordinal);
        tab.AssertNoErrors();
    }

    private async Task<string> ReviewerTokenIdAsync(string token) =>
        (await portal.AdminAsync(HttpMethod.Get, "whoami", token: token)).GetProperty("token_id").GetString()!;
}
