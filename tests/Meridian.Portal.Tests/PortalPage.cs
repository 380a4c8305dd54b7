using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Playwright;

namespace Meridian.Portal.Tests;

/// <summary>One browser tab on the portal, with what went wrong in it (script errors, CSP refusals) and the API calls it made.</summary>
public sealed class PortalPage : IAsyncDisposable
{
    // A view is ready when its heading is there and nothing on it is still loading.
    private const string ViewReady = "() => !!document.querySelector('main h1') && !document.querySelector('.loading')";

    private readonly IBrowserContext _context;

    public PortalPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            // Chromium logs every non-2xx fetch as "Failed to load resource"; the portal probes endpoints that a gateway
            // may not have (404 by design), so only real errors count: script errors, CSP refusals.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                Errors.Enqueue("console: " + message.Text);
            }
        };
        page.PageError += (_, error) => Errors.Enqueue("page error: " + error);
        page.Request += (_, request) => Requests.Enqueue(request.Method + " " + new Uri(request.Url).PathAndQuery);
    }

    public IPage Page { get; }

    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Every request the page made, as "METHOD /path?query".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>
    /// Opens a portal path (e.g. <c>/portal/tenant/keys</c>) and waits until the view has loaded. Returns how long that
    /// took as the page saw it (from the start of the navigation to the view ready, data included) and as the test saw
    /// it (also counting Playwright's round trips and the new tab's renderer start).
    /// </summary>
    public async Task<(TimeSpan InPage, TimeSpan WallClock)> OpenAsync(string path)
    {
        var watch = Stopwatch.StartNew();
        await Page.GotoAsync(path);
        var ready = await Page.WaitForFunctionAsync($"() => ({ViewReady})() && performance.now()", null, new PageWaitForFunctionOptions { Timeout = 15_000, PollingInterval = 5 });
        var inPage = TimeSpan.FromMilliseconds(await ready.JsonValueAsync<double>());
        return (inPage, watch.Elapsed);
    }

    public Task WaitForViewAsync() => Page.WaitForFunctionAsync(ViewReady, null, new PageWaitForFunctionOptions { Timeout = 15_000 });

    /// <summary>Clicks a navigation link and waits until its view (not the one before it) has loaded.</summary>
    public async Task NavigateAsync(string linkName)
    {
        var link = NavigationLink(linkName);
        var view = (await link.GetAttributeAsync("href"))!["/portal".Length..];
        await link.ClickAsync();
        await Page.WaitForFunctionAsync(
            "view => document.querySelector('main')?.dataset.view === view && !!document.querySelector('main h1') && !document.querySelector('.loading')",
            view, new PageWaitForFunctionOptions { Timeout = 15_000 });
    }

    public ILocator NavigationLink(string name) =>
        Page.GetByRole(AriaRole.Navigation, new() { Name = "Portal views" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    public async Task SignInAsync(string token)
    {
        await Page.GotoAsync("/portal/");
        await Page.GetByLabel("Admin token").FillAsync(token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Page.GetByRole(AriaRole.Navigation, new() { Name = "Portal views" }).WaitForAsync();
        await WaitForViewAsync();
    }

    /// <summary>Saves a full-page screenshot as <c>artifacts/portal-screenshots/{name}.png</c>.</summary>
    public async Task ScreenshotAsync(string name)
    {
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(PortalFixture.ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    public void AssertNoErrors() => Assert.True(Errors.IsEmpty, "The page reported errors:\n" + string.Join('\n', Errors));

    /// <summary>The names of the navigation's links, in order.</summary>
    public async Task<IReadOnlyList<string>> NavigationLinksAsync() =>
        [.. (await Page.GetByRole(AriaRole.Navigation, new() { Name = "Portal views" }).GetByRole(AriaRole.Link).AllInnerTextsAsync()).Select(t => t.Trim())];

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
