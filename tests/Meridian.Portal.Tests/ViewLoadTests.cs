namespace Meridian.Portal.Tests;

/// <summary>
/// Every view loads from a cold tab, its data included, without waste: each request of its first load is made once and
/// a view needs only a few API calls. This is what keeps a first load fast on any machine; how fast it is on a given
/// one is a measurement (printed here), not a test, because the build machine is shared.
/// </summary>
public sealed class ViewLoadTests(PortalFixture portal)
{
    // The busiest view, a tenant's usage page, makes ten (who am I, the tenant, its limits, invoice, daily usage, boundary
    // report, the world, resources, deployments, and each deployment's limits); far more than that is a waterfall.
    private const int MaxApiCallsPerView = 12;

    [Fact]
    public async Task Each_view_first_loads_with_each_request_made_once_and_few_api_calls()
    {
        var views = await portal.AllViewsAsync();
        var timings = new List<string>();
        foreach (var view in views)
        {
            // A fresh context (nothing cached) with the token in session storage, as after a sign-in.
            await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
            var (inPage, _) = await tab.OpenAsync(view);
            Assert.Equal(view["/portal".Length..], await tab.Page.Locator("main").GetAttributeAsync("data-view"));
            tab.AssertNoErrors();

            var requests = tab.Requests.ToArray();
            var repeated = requests.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}").ToArray();
            Assert.True(repeated.Length == 0, $"{view} made the same request more than once on its first load: {string.Join(", ", repeated)}");
            var apiCalls = requests.Where(r => !r.Contains(" /portal", StringComparison.Ordinal)).ToArray();
            Assert.True(apiCalls.Length <= MaxApiCallsPerView, $"{view} made {apiCalls.Length} API calls on its first load:\n{string.Join('\n', apiCalls)}");
            timings.Add($"{view}: {inPage.TotalMilliseconds:F0} ms, {apiCalls.Length} API calls");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', timings));
    }
}
