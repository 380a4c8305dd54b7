using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// A reviewer escalates an imminent threat: the case tops the queue marked urgent, and its page names who escalated it
/// and who was told. Deciding without opening the content asks why, and the decision shows the rationale and that reason.
/// </summary>
public sealed class ReviewerEscalationTests(PortalFixture portal)
{
    [Fact]
    public async Task An_escalated_case_tops_the_queue_names_who_was_told_and_is_decided_with_a_reason_not_to_open_it()
    {
        var requestId = await portal.SendFlaggedAsync(PortalFixture.DemoKey);
        var caseId = (await portal.WaitForCaseAsync(requestId)).GetProperty("id").GetString()!;
        await portal.AdminAsync(HttpMethod.Post, "tokens", new { role = "reviewer", name = "Omar (operator T&S)", geographies = new[] { "us" } });
        var reviewerToken = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await using var tab = await portal.NewPageAsync(reviewerToken);
        var page = tab.Page;

        await tab.OpenAsync($"/portal/reviewer/cases/{caseId}");
        var escalate = page.GetByRole(AriaRole.Form, new() { Name = "Escalate the case" });
        await escalate.GetByLabel("Why it is urgent").FillAsync("Names a target and a date.");
        await escalate.GetByRole(AriaRole.Button, new() { Name = "Escalate as urgent" }).ClickAsync();

        var facts = page.Locator("section.case-escalation");
        await Expect(facts.Locator("[data-field='Escalated by']")).ToHaveTextAsync("Rita (reviewer)");
        await Expect(facts.Locator("[data-field='Why urgent']")).ToHaveTextAsync("Names a target and a date.");
        await Expect(facts.Locator("[data-field='Told']")).ToContainTextAsync("Omar (operator T&S)");
        await Expect(page.Locator("table.access tr[data-event='escalate']")).ToContainTextAsync("urgent: Names a target and a date.");
        await Expect(page.Locator("table.access tr[data-event='escalate'] .actor")).ToHaveTextAsync("Rita (reviewer)");

        // Deciding without opening: the page says so and asks why; the decision records both.
        var decide = page.GetByRole(AriaRole.Form, new() { Name = "Decide the case" });
        await Expect(decide).ToContainTextAsync("You have not opened the content.");
        await decide.GetByLabel("No violation").CheckAsync();
        await decide.GetByLabel("Rationale").FillAsync("A quoted news headline.");
        await decide.GetByLabel("Why decide without opening the content").FillAsync("The findings' excerpt is the whole request.");
        await tab.ScreenshotAsync("reviewer-escalated-case");
        await decide.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();
        await Expect(page.Locator("section.case-decision [data-field='Content seen']"))
            .ToHaveTextAsync("decided without opening it: The findings' excerpt is the whole request.");
        await Expect(page.Locator("section.case-decision [data-field='Rationale']")).ToHaveTextAsync("A quoted news headline.");

        // Decided, it leaves the open queue; the case keeps its escalation.
        await tab.OpenAsync("/portal/reviewer/cases");
        await Expect(page.Locator($"table.cases tr[data-request='{requestId}']")).ToHaveCountAsync(0);
        var decided = await portal.AdminAsync(HttpMethod.Get, $"cases/{caseId}");
        Assert.Equal("not_opened", decided.GetProperty("decided_content").GetString());
        Assert.True(decided.GetProperty("urgent").GetBoolean());
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task Urgent_cases_come_first_in_every_order_of_the_queue()
    {
        var first = (await portal.WaitForCaseAsync(await portal.SendFlaggedAsync(PortalFixture.DemoKey))).GetProperty("id").GetString()!;
        var second = await portal.SendFlaggedAsync(PortalFixture.DemoKey);
        await portal.WaitForCaseAsync(second);
        await portal.AdminAsync(HttpMethod.Post, $"cases/{first}/escalate", new { reason = "imminent" });

        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/reviewer/cases");
        foreach (var order in new[] { "Most severe first", "Oldest first", "Newest first" })
        {
            await tab.Page.GetByRole(AriaRole.Group, new() { Name = "Order" }).GetByLabel(order).CheckAsync();
            var top = tab.Page.Locator("table.cases tbody tr").First;
            await Expect(top).ToHaveAttributeAsync("data-case", first);
            await Expect(top.Locator("[data-urgent='true']")).ToHaveTextAsync("urgent");
        }

        await portal.AdminAsync(HttpMethod.Post, $"cases/{first}/decision",
            new { decision = "no_violation", rationale = "test cleanup", not_opened_reason = "decided from the metadata in this test" });
        tab.AssertNoErrors();
    }
}
