using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// Trust &amp; Safety in the browser beyond the review queue: a tenant sees the cases on its own requests with every
/// access to them (never who), and its deployments' safeguard settings, which its admin tightens with a blocklist; a
/// reviewer and the operator lift suspensions, each only with a recorded reason, and the suspended thing is served
/// again.
/// </summary>
public sealed class TrustAndSafetyViewTests(PortalFixture portal)
{
    [Fact]
    public async Task A_tenant_sees_its_cases_and_who_did_what_to_them_but_never_who()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("Case Co", "case-dep");
        var key = await KeyAsync(resource);
        var requestId = await SendFlaggedAsync(key, "case-dep");
        var caseId = (await portal.WaitForCaseAsync(requestId)).GetProperty("id").GetString()!;
        var reviewer = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await portal.AdminAsync(HttpMethod.Post, $"cases/{caseId}/open", new { reason_code = "triage", reason = "Rita's private note" }, reviewer);
        await portal.AdminAsync(HttpMethod.Post, $"cases/{caseId}/decision", new { decision = "violation", action = "warn_tenant", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);

        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-developer", tenantId: tenant));
        await tab.OpenAsync("/portal/tenant/safety");
        var row = tab.Page.Locator($"table.tenant-cases tr[data-request='{requestId}']");
        await Expect(row).ToContainTextAsync("violence (medium)");
        await Expect(row.Locator("[data-field='outcome']")).ToHaveTextAsync("violation · tenant warned");

        await row.GetByRole(AriaRole.Button, new() { Name = "Show access log" }).ClickAsync();
        var events = tab.Page.GetByRole(AriaRole.List, new() { Name = $"Access log of case {caseId}" });
        await Expect(events.Locator("li[data-event='open']")).ToContainTextAsync("The content was opened for triage of the flagged request.");
        await Expect(events.Locator("li[data-event='decision']")).ToContainTextAsync("Decided: violation, tenant warned.");
        await tab.ScreenshotAsync("tenant-safety");

        // What the tenant is never shown: who reviewed (token id or name) and the reviewer's own words.
        var reviewerId = (await portal.AdminAsync(HttpMethod.Get, "whoami", token: reviewer)).GetProperty("token_id").GetString()!;
        var page = await tab.Page.ContentAsync();
        Assert.DoesNotContain(reviewerId, page, StringComparison.Ordinal);
        Assert.DoesNotContain("Rita", page, StringComparison.Ordinal);
        await Expect(tab.Page.GetByRole(AriaRole.Button, new() { Name = "Edit settings" })).ToHaveCountAsync(0);
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_tenant_admin_tightens_a_deployment_in_the_portal_and_the_next_requests_follow_the_new_settings()
    {
        var (tenant, resource, deploymentId) = await portal.TenantWithDeploymentAsync("Settings Co", "listed-dep");
        var key = await KeyAsync(resource);
        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: tenant));
        await tab.OpenAsync("/portal/tenant/safety");
        var settings = tab.Page.Locator("article.deployment-settings[data-deployment='listed-dep']");
        await Expect(settings.Locator("[data-field='policy']")).ToHaveTextAsync("default");
        await Expect(settings.Locator("[data-field='blocklist']")).ToHaveTextAsync("none");

        // A pattern the linear engine cannot run is refused, and the page says which and why; so is a longer retention.
        await settings.GetByRole(AriaRole.Button, new() { Name = "Edit settings" }).ClickAsync();
        var form = settings.GetByRole(AriaRole.Form, new() { Name = "Safeguard settings of listed-dep" });
        await form.GetByLabel("Terms, one a line").FillAsync("project nightjar");
        await form.GetByLabel("Patterns, one a line").FillAsync("(a+)\\1");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await Expect(form.GetByRole(AriaRole.Alert)).ToContainTextAsync("safeguards.blocklist.patterns[0]");
        await form.GetByLabel("Patterns, one a line").FillAsync("");
        await form.GetByLabel("Keep flagged content for", new() { Exact = false }).FillAsync("90");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await Expect(form.GetByRole(AriaRole.Alert)).ToContainTextAsync("retention period of 30 days");

        // Violence from medium blocks on input: stricter than the policy, so a tenant admin may.
        await form.GetByLabel("Keep flagged content for", new() { Exact = false }).FillAsync("7");
        await form.GetByLabel("Screening").SelectOptionAsync("input");
        await form.GetByLabel("Category").SelectOptionAsync("violence");
        await form.GetByLabel("From severity").SelectOptionAsync("medium");
        await form.GetByLabel("Action", new() { Exact = true }).SelectOptionAsync("block");
        await form.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Expect(form.Locator("li[data-rule='input.violence.medium']")).ToContainTextAsync("violence from medium → block");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await Expect(settings.GetByRole(AriaRole.Status)).ToContainTextAsync("listed-dep's settings are saved: 1 rules, a blocklist of 1 terms and 0 patterns, content kept 7 days");
        await Expect(settings.Locator("[data-field='blocklist']")).ToHaveTextAsync("1 terms, 0 patterns → violence (high)");
        await Expect(settings.Locator("[data-field='input']")).ToHaveTextAsync("violence from medium: block");
        await Expect(settings.Locator("[data-field='retention']")).ToHaveTextAsync("sealed, for 7 days");

        var stored = (await portal.AdminAsync(HttpMethod.Get, $"deployments/{deploymentId}")).GetProperty("safeguards");
        Assert.Equal("project nightjar", stored.GetProperty("blocklist").GetProperty("terms")[0].GetString());
        Assert.Equal(7, stored.GetProperty("retention_days").GetInt32());
        using (var listed = await portal.MessagesAsync(key, "Tell me about Project Nightjar please.", "listed-dep"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, listed.StatusCode);
            Assert.StartsWith("block:", listed.Headers.GetValues("meridian-safeguards").Single(), StringComparison.Ordinal);
        }

        using (var medium = await portal.MessagesAsync(key, PortalFixture.FlaggedText, "listed-dep"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, medium.StatusCode);
            Assert.Equal("block:violence=medium", medium.Headers.GetValues("meridian-safeguards").Single());
        }

        using var served = await portal.MessagesAsync(key, "Tell me about nightjars, the birds.", "listed-dep");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_reviewer_lifts_a_key_suspension_only_with_a_reason_and_the_key_is_served_again()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("Lift Co", "lift-dep");
        var key = await KeyAsync(resource);
        var caseId = (await portal.WaitForCaseAsync(await SendFlaggedAsync(key, "lift-dep"))).GetProperty("id").GetString()!;
        var reviewer = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await portal.AdminAsync(HttpMethod.Post, $"cases/{caseId}/decision", new { decision = "violation", action = "suspend_key", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);
        using (var refused = await portal.MessagesAsync(key, "Hello while suspended", "lift-dep"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        await using var tab = await portal.NewPageAsync(reviewer);
        await tab.OpenAsync("/portal/reviewer/suspensions");
        var card = await SuspensionCardAsync(tab, caseId);
        await Expect(card).ToContainTextAsync(tenant);
        await card.GetByRole(AriaRole.Button, new() { Name = "Lift…" }).ClickAsync();
        var form = card.GetByRole(AriaRole.Form, new() { Name = "Lift the suspension of", Exact = false });

        // Without a reason the API refuses, the page says so, and the key stays suspended.
        await form.GetByRole(AriaRole.Button, new() { Name = "Lift the suspension (recorded)" }).ClickAsync();
        await Expect(form.Locator(".field-error").First).ToBeVisibleAsync();
        using (var still = await portal.MessagesAsync(key, "Hello, still suspended", "lift-dep"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, still.StatusCode);
        }

        await form.GetByLabel("Why it is lifted").SelectOptionAsync("appeal");
        await form.GetByLabel("Reason").FillAsync("appeal upheld: the prompt quoted a novel");
        await tab.ScreenshotAsync("reviewer-suspensions");
        await form.GetByRole(AriaRole.Button, new() { Name = "Lift the suspension (recorded)" }).ClickAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("is served again: the suspension was lifted");
        await Expect(tab.Page.Locator($"article.suspension[data-status='standing']:has-text('{caseId}')")).ToHaveCountAsync(0);

        using (var served = await portal.MessagesAsync(key, "Hello after the lift", "lift-dep"))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        var lift = Assert.Single((await portal.AdminAsync(HttpMethod.Get, $"cases/{caseId}/access")).GetProperty("data").EnumerateArray(),
            e => e.GetProperty("event").GetString() == "lift");
        Assert.Equal(("appeal", "appeal upheld: the prompt quoted a novel"), (lift.GetProperty("reason_code").GetString(), lift.GetProperty("reason").GetString()));
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task The_operator_lifts_a_deployment_suspension_the_tenant_saw_and_the_deployment_is_served_again()
    {
        var (tenant, resource, _) = await portal.TenantWithDeploymentAsync("Paused Co", "paused-dep");
        var key = await KeyAsync(resource);
        var caseId = (await portal.WaitForCaseAsync(await SendFlaggedAsync(key, "paused-dep"))).GetProperty("id").GetString()!;
        var reviewer = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await portal.AdminAsync(HttpMethod.Post, $"cases/{caseId}/decision", new { decision = "violation", action = "suspend_deployment", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);

        // The tenant sees the deployment suspended where it sees its settings.
        await using (var tenantTab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: tenant)))
        {
            await tenantTab.OpenAsync("/portal/tenant/safety");
            var settings = tenantTab.Page.Locator("article.deployment-settings[data-deployment='paused-dep']");
            await Expect(settings.Locator("[data-field='status']")).ToHaveTextAsync("suspended");
            await Expect(settings).ToContainTextAsync(caseId);
        }

        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/reviewer/suspensions");
        var card = await SuspensionCardAsync(tab, caseId);
        await Expect(card.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Deployment paused-dep");
        await card.GetByRole(AriaRole.Button, new() { Name = "Lift…" }).ClickAsync();
        await card.GetByLabel("Why it is lifted").SelectOptionAsync("decided_in_error");
        await card.GetByLabel("Reason").FillAsync("operator review: the flag was a false positive");
        await card.GetByRole(AriaRole.Button, new() { Name = "Lift the suspension (recorded)" }).ClickAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Deployment paused-dep is served again");

        using var served = await portal.MessagesAsync(key, "Hello after the lift", "paused-dep");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);

        // The lifted suspension stays on record, with who lifted it and why.
        await tab.Page.GetByRole(AriaRole.Group, new() { Name = "Suspensions" }).GetByLabel("Lifted").CheckAsync();
        var lifted = tab.Page.Locator($"article.suspension[data-status='lifted']:has-text('{caseId}')");
        await Expect(lifted.Locator("[data-field='lift']")).ToContainTextAsync("decided_in_error — operator review: the flag was a false positive");
        tab.AssertNoErrors();
    }

    private async Task<string> KeyAsync(string resource) =>
        (await portal.AdminAsync(HttpMethod.Post, $"resources/{resource}/keys", new { name = "t&s view" })).GetProperty("key").GetString()!;

    private async Task<string> SendFlaggedAsync(string key, string model)
    {
        using var response = await portal.MessagesAsync(key, PortalFixture.FlaggedText, model);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("request-id").Single();
    }

    /// <summary>The standing suspension decided on <paramref name="caseId"/>, as its card on the page.</summary>
    private async Task<ILocator> SuspensionCardAsync(PortalPage tab, string caseId)
    {
        var suspensions = await portal.AdminAsync(HttpMethod.Get, $"suspensions?case_id={caseId}");
        var id = Assert.Single(suspensions.GetProperty("data").EnumerateArray()).GetProperty("id").GetString()!;
        var card = tab.Page.Locator($"article.suspension[data-suspension='{id}']");
        await Expect(card).ToHaveAttributeAsync("data-status", "standing");
        return card;
    }
}
