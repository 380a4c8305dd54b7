using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>Every view loads — from a cold tab, its data included — in under a second on loopback.</summary>
public sealed class ViewLoadTests(PortalFixture portal)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Each_view_first_loads_under_a_second()
    {
        var views = await portal.AllViewsAsync();

        // Warm the gateway (JIT of each endpoint, the first read of the portal's files) as any running gateway already is.
        await using (var warm = await portal.NewPageAsync(PortalFixture.OperatorToken))
        {
            foreach (var view in views)
            {
                await warm.OpenAsync(view);
            }
        }

        var timings = new List<string>();
        foreach (var view in views)
        {
            // Each attempt is a first load: a fresh context (nothing cached), the token in session storage as after a
            // sign-in. The build machine is shared, so a slow attempt is retried up to twice and the best one counts:
            // the budget is for the portal, not for a neighbour's compile.
            var best = TimeSpan.MaxValue;
            for (var attempt = 0; attempt < 3 && best >= Budget; attempt++)
            {
                await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
                var (inPage, wallClock) = await tab.OpenAsync(view);
                await Expect(tab.Page.Locator("main")).ToHaveAttributeAsync("data-view", view["/portal".Length..]);
                tab.AssertNoErrors();
                timings.Add($"{view}: {inPage.TotalMilliseconds:F0} ms in the page, {wallClock.TotalMilliseconds:F0} ms for the test");
                best = inPage < best ? inPage : best;
            }

            Assert.True(best < Budget, $"{view} took {best.TotalMilliseconds:F0} ms at best (budget {Budget.TotalMilliseconds} ms).\n{string.Join('\n', timings)}");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', timings));
    }
}
