using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// The review queue puts the most urgent case first by default (a block before a flag), sorts by age on request, and
/// names each case's tenant (its id on hover).
/// </summary>
public sealed class ReviewQueueOrderTests(PortalFixture portal)
{
    private const string BlockedText = "I'm going to kill you and your whole family.";

    [Fact]
    public async Task A_blocked_request_comes_before_a_later_flagged_one_by_severity_and_after_it_when_newest_first()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("Queue Co", "queue-dep");
        var key = (await portal.AdminAsync(HttpMethod.Post, $"resources/{resource}/keys", new { name = "queue" })).GetProperty("key").GetString()!;
        string blocked;
        using (var response = await portal.MessagesAsync(key, BlockedText, "queue-dep"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            blocked = response.Headers.GetValues("request-id").Single();
        }

        await portal.WaitForCaseAsync(blocked);
        string flagged;
        using (var response = await portal.MessagesAsync(key, PortalFixture.FlaggedText, "queue-dep"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            flagged = response.Headers.GetValues("request-id").Single();
        }

        await portal.WaitForCaseAsync(flagged);

        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/reviewer/cases");
        await Expect(tab.Page.GetByRole(AriaRole.Group, new() { Name = "Order" }).GetByLabel("Most severe first")).ToBeCheckedAsync();
        Assert.True(await RowIndexAsync(tab, blocked) < await RowIndexAsync(tab, flagged), "by severity, the block comes first");

        // The tenant by its name, its id on hover.
        var tenantCell = tab.Page.Locator($"table.cases tr[data-request='{blocked}'] [data-tenant='{tenant}']");
        await Expect(tenantCell).ToContainTextAsync("Queue Co");
        await Expect(tenantCell).ToHaveAttributeAsync("title", tenant);

        await tab.Page.GetByRole(AriaRole.Group, new() { Name = "Order" }).GetByLabel("Newest first").CheckAsync();
        Assert.True(await RowIndexAsync(tab, flagged) < await RowIndexAsync(tab, blocked), "newest first, the later flag comes first");
        tab.AssertNoErrors();
    }

    private static async Task<int> RowIndexAsync(PortalPage tab, string requestId)
    {
        await Expect(tab.Page.Locator($"table.cases tr[data-request='{requestId}']")).ToBeVisibleAsync();
        var requests = await tab.Page.Locator("table.cases tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.request)");
        return Array.IndexOf(requests, requestId);
    }
}
