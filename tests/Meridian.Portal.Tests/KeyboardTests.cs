using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>The portal works without a mouse: sign in, move between views, and skip to the content.</summary>
public sealed class KeyboardTests(PortalFixture portal)
{
    [Fact]
    public async Task Sign_in_and_navigation_work_with_the_keyboard_alone()
    {
        var token = await portal.CreateTokenAsync("tenant-admin", tenantId: "ten_demo");
        await using var tab = await portal.NewPageAsync();
        var page = tab.Page;
        await page.GotoAsync("/portal/");
        await tab.ScreenshotAsync("login");

        // The token field has the focus on arrival; type, Tab to the button, Enter.
        await Expect(page.GetByLabel("Admin token")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(token);
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await tab.WaitForViewAsync();

        // The new view's heading takes the focus, so a screen reader announces it.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Catalogue");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeFocusedAsync();

        // From the top of the page: the skip link first, then the navigation; Enter follows a link.
        // (Blurring the heading is not enough: Chromium's next Tab starts from where the focus was, and tables that
        // scroll are tabbable. Focusing the root element moves that starting point to the top of the document.)
        await page.EvaluateAsync("() => { const root = document.documentElement; root.tabIndex = -1; root.focus(); root.removeAttribute('tabindex'); }");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        var keys = tab.NavigationLink("Keys");
        for (var i = 0; i < 12 && !await keys.EvaluateAsync<bool>("e => e === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Expect(keys).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Keys");
        await Expect(keys).ToHaveAttributeAsync("aria-current", "page");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_reviewer_opens_a_case_and_decides_it_with_the_keyboard_alone()
    {
        var caseId = (await portal.WaitForCaseAsync(await portal.SendFlaggedAsync(PortalFixture.DemoKey))).GetProperty("id").GetString()!;
        var token = await portal.CreateTokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await using var tab = await portal.NewPageAsync(token);
        var page = tab.Page;
        await tab.OpenAsync("/portal/reviewer/cases");

        // From the queue's heading, Tab reaches the case's link; Enter opens its page.
        await TabToAsync(page, page.GetByRole(AriaRole.Link, new() { Name = caseId }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Case {caseId}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeFocusedAsync();

        // A reason with the arrow keys, a note typed, Enter on the button; the opened content takes the focus.
        var reason = page.GetByLabel("Reason for opening");
        await TabToAsync(page, reason);
        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(reason).ToHaveValueAsync("triage");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("keyboard check");
        await TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Open content (recorded)" }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Request", Level = 3 })).ToBeFocusedAsync();
        await Expect(page.Locator("section.case-content")).ToContainTextAsync(PortalFixture.FlaggedText);

        // No violation: Space on the radio, Enter on the button.
        await TabToAsync(page, page.GetByLabel("No violation"));
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, page.GetByLabel("Rationale"));
        await page.Keyboard.TypeAsync("benign on reading");
        await TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Record decision" }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("section.case-decision [data-field='Decision']")).ToHaveTextAsync("No violation");
        tab.AssertNoErrors();
    }

    /// <summary>Presses Tab until <paramref name="target"/> has the focus (at most 40 times).</summary>
    private static async Task TabToAsync(IPage page, ILocator target)
    {
        for (var i = 0; i < 40 && !await target.EvaluateAsync<bool>("e => e === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Expect(target).ToBeFocusedAsync();
    }

    [Fact]
    public async Task A_wrong_token_is_refused_with_a_message_tied_to_the_field()
    {
        await using var tab = await portal.NewPageAsync();
        var page = tab.Page;
        await page.GotoAsync("/portal/");
        await page.Keyboard.TypeAsync("mat-00000000-NotARealTokenAtAll000000");
        await page.Keyboard.PressAsync("Enter");

        var field = page.GetByLabel("Admin token");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That token is not valid: unknown or revoked.");
        await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(field).ToHaveAttributeAsync("aria-describedby", "admin-token-hint admin-token-error");
        await Expect(field).ToBeFocusedAsync();
    }
}
