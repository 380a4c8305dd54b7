using System.Text.Json;
using Microsoft.Playwright;

namespace Meridian.Portal.Tests;

/// <summary>
/// The portal on a phone (390 × 844 CSS pixels, an iPhone 14's): every view fits the screen's width — wide tables scroll
/// inside their own frame, never the page — the navigation is a short band rather than a column above the content, and
/// Sign out is on screen.
/// </summary>
public sealed class PhoneLayoutTests(PortalFixture portal)
{
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    // What first sticks out to the right of the window (its parent does not, or it is positioned on its own), for the message.
    internal const string Overflow = """
        () => {
          const width = document.documentElement.clientWidth;
          const over = e => e.getBoundingClientRect().right > width + 1;
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => over(e) && (getComputedStyle(e).position === 'absolute'
              || (!over(e.parentElement) && !e.parentElement.closest('.table-wrap, .sidebar'))))
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' right=' + Math.round(e.getBoundingClientRect().right));
          // Unbreakable text overflows without its element doing so.
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n && wide.length < 8; n = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(n);
            if (range.getBoundingClientRect().right > width + 1 && !n.parentElement.closest('.table-wrap, .sidebar')) {
              wide.push('text "' + n.textContent.slice(0, 40) + '" in ' + n.parentElement.tagName.toLowerCase());
            }
          }
          return { scrollWidth: document.documentElement.scrollWidth, width, wide };
        }
        """;

    [Fact]
    public async Task Every_view_fits_a_phone_with_the_content_near_the_top_and_sign_out_on_screen()
    {
        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken, Phone);
        var problems = new List<string>();
        foreach (var view in await portal.AllViewsAsync())
        {
            await tab.OpenAsync(view);
            var layout = await tab.Page.EvaluateAsync<JsonElement>(Overflow);
            var scrollWidth = layout.GetProperty("scrollWidth").GetInt32();
            if (scrollWidth > Phone.Width)
            {
                problems.Add($"{view}: the page is {scrollWidth} px wide ({string.Join(", ", layout.GetProperty("wide").EnumerateArray())})");
            }

            var mainTop = (await tab.Page.Locator("main").BoundingBoxAsync())!.Y;
            if (mainTop > Phone.Height / 4)
            {
                problems.Add($"{view}: the content starts {mainTop:F0} px down, below a quarter of the screen");
            }

            var signOut = (await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).BoundingBoxAsync())!;
            if (signOut.X < 0 || signOut.X + signOut.Width > Phone.Width || signOut.Y + signOut.Height > Phone.Height)
            {
                problems.Add($"{view}: Sign out is at x {signOut.X:F0}–{signOut.X + signOut.Width:F0}, y {signOut.Y:F0}, not inside the screen");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        tab.AssertNoErrors();
        await tab.OpenAsync("/portal/tenant/deployments");
        await tab.ScreenshotAsync("phone-tenant-deployments");
    }

    [Fact]
    public async Task Every_view_can_be_reached_from_the_phone_navigation()
    {
        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken, Phone);
        await tab.OpenAsync("/portal/operator/world");
        foreach (var name in await tab.NavigationLinksAsync())
        {
            await tab.NavigationLink(name).ScrollIntoViewIfNeededAsync();
            await tab.NavigateAsync(name);
            Assert.Equal(name, (await tab.Page.Locator("[aria-current='page']").InnerTextAsync()).Trim());
        }
    }
}
