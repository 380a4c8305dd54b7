using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Portal;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Meridian.Portal.Tests.PortalFixture))]

// One browser and one gateway for the assembly; the browser tests measure load times, so they run one at a time.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace Meridian.Portal.Tests;

/// <summary>
/// A real gateway (Kestrel on a free loopback port, fresh data directory, demo marketplace, fixed operator token)
/// serving the built portal, and Debian's Chromium driven by Playwright. Each test opens its own browser context, so
/// session storage (where the portal keeps the admin token) never leaks between tests.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public const string OperatorToken = "mat-0a1b2c3d-OperatorTokenForPortalTests000";
    public const string DemoKey = "mk-0bad0001-Zq7vR2pLx9TcW4nB8sKd3fHy";

    /// <summary>What Chromium needs to run headless as root in a container, with nothing reaching the network.</summary>
    public static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run",
    ];

    /// <summary>Violence at <c>medium</c> in the input: the default policy flags it (a case is opened) and still answers.</summary>
    public const string FlaggedText = "Someone should shoot that politician.";

    private readonly TestDataDirectory _data = new("portal-tests");
    private readonly GatewayLog _log = new();
    private readonly List<GatewayNode> _extraNodes = [];
    private GatewayNode? _node;
    private IPlaywright? _playwright;
    private Task<string>? _demoCase;

    public string DataDirectory => _data.Path;

    /// <summary>The gateway's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public IReadOnlyList<string> Log => _log.Lines;

    /// <summary>Where screenshots go: <c>artifacts/portal-screenshots/</c> at the repository root.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "artifacts", "portal-screenshots");

    public static string ChromiumPath => Environment.GetEnvironmentVariable("MERIDIAN_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async ValueTask InitializeAsync()
    {
        // Fail loudly, never skip: a portal test that did not run is not a pass.
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"Chromium was not found at '{ChromiumPath}'. The portal tests drive Debian's Chromium: install it (apt-get install chromium; " +
                "./build.sh test does this) or point MERIDIAN_TEST_CHROMIUM at a Chromium/Chrome binary. No browser is downloaded.");
        }

        if (!PortalAssetsExist())
        {
            throw new InvalidOperationException(
                $"The portal is not built into the test output ({PortalEndpoints.DefaultFolder} is missing): the Gateway build needs Node.js 20.19+ and npm " +
                "to build web/ (see src/Meridian.Gateway/Portal/Portal.targets).");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        _node = await GatewayNode.StartAsync(Options(), _log, TestContext.Current.CancellationToken);
        BaseAddress = _node.BaseAddress;
        Http = _node.Http;

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            // Playwright gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
            ExecutablePath = ChromiumPath,
            Args = ChromiumArgs,
            Headless = true,
            ChromiumSandbox = false,
            Timeout = 60_000,
        });
    }

    /// <summary>
    /// A client of one more node on the same data folder taking requests in at <paramref name="ingressRegion"/> (as
    /// <c>./meridian serve --region R --port P</c> would): a DataZone or Regional deployment is served only inside its boundary.
    /// </summary>
    public async Task<HttpClient> NodeInAsync(string ingressRegion) =>
        new() { BaseAddress = await NodeAsync(options => options.IngressRegion = ingressRegion), Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>One more node on the same data folder, set up as <paramref name="configure"/> says; returns its root.</summary>
    public async Task<Uri> NodeAsync(Action<GatewayOptions> configure)
    {
        var options = Options();
        configure(options);
        var node = await GatewayNode.StartAsync(options, _log, TestContext.Current.CancellationToken);
        _extraNodes.Add(node);
        return node.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var extra in _extraNodes)
        {
            await extra.DisposeAsync();
        }

        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_node is { } node)
        {
            await node.DisposeAsync();
        }

        _data.Dispose();
    }

    private GatewayOptions Options()
    {
        var options = GatewayNode.Options(DataDirectory, DemoKey);
        options.AdminToken = OperatorToken;
        return options;
    }

    /// <summary>
    /// Every view of the portal, as an operator (who sees them all) opens them; a case page needs a case, so it is
    /// the demo deployment's.
    /// </summary>
    public async Task<string[]> AllViewsAsync() =>
    [
        "/portal/operator/world", "/portal/operator/tenants", "/portal/operator/dashboard", "/portal/operator/backends", "/portal/operator/audit", "/portal/tenant/catalogue",
        "/portal/tenant/deployments", "/portal/tenant/keys", "/portal/tenant/tokens", "/portal/tenant/usage", "/portal/tenant/safety", "/portal/publisher/offers", "/portal/reviewer/cases",
        "/portal/reviewer/suspensions",
        $"/portal/reviewer/cases/{await DemoCaseIdAsync()}",
    ];

    /// <summary>
    /// A new page in its own browser context (own session storage), recording console errors and failed requests; a
    /// desktop window unless <paramref name="viewport"/> says otherwise.
    /// </summary>
    /// <param name="node">Another node's root (<see cref="NodeAsync"/>); the fixture's gateway by default.</param>
    public async Task<PortalPage> NewPageAsync(string? token = null, ViewportSize? viewport = null, bool bypassCsp = false, Uri? node = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            // Only for injecting a test's own script (axe): the portal's CSP allows no inline script.
            BypassCSP = bypassCsp,
            BaseURL = (node ?? BaseAddress).ToString(),
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        if (token is not null)
        {
            // As if the user had signed in earlier in this tab: the portal reads the token from session storage.
            await context.AddInitScriptAsync($"sessionStorage.setItem('meridian.portal.admin-token', {JsonSerializer.Serialize(token)});");
        }

        return new PortalPage(context, await context.NewPageAsync());
    }

    /// <summary>An admin API call as the operator (or <paramref name="token"/>); asserts success and returns the JSON.</summary>
    public async Task<JsonElement> AdminAsync(HttpMethod method, string path, object? body = null, string token = OperatorToken)
    {
        using var request = new HttpRequestMessage(method, "admin/v1/" + path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} → {(int)response.StatusCode}: {text}\n{string.Join('\n', Log)}");
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return document.RootElement.Clone();
    }

    /// <summary>A new admin token of <paramref name="role"/>; returns the secret.</summary>
    public async Task<string> CreateTokenAsync(string role, string? tenantId = null, string? publisherId = null, string[]? geographies = null)
    {
        var created = await AdminAsync(HttpMethod.Post, "tokens", new Dictionary<string, object?>
        {
            ["role"] = role,
            ["name"] = role switch
            {
                "tenant-admin" => "Tara (tenant admin)",
                "tenant-developer" => "Dev (tenant developer)",
                "publisher-admin" => "Paul (publisher admin)",
                "reviewer" => "Rita (reviewer)",
                _ => "Portal test token",
            },
            ["tenant_id"] = tenantId,
            ["publisher_id"] = publisherId,
            ["geographies"] = geographies,
        }.Where(p => p.Value is not null).ToDictionary());
        return created.GetProperty("token").GetString()!;
    }

    /// <summary>A <c>/v1/messages</c> call with <paramref name="key"/>; returns the response (the caller disposes it).</summary>
    public async Task<HttpResponseMessage> MessagesAsync(string key, string text, string model = "claude-sonnet-5")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = JsonContent.Create(new { model, max_tokens = 64, messages = new[] { new { role = "user", content = text } } }),
        };
        request.Headers.Add("x-api-key", key);
        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Sends a request the safeguards flag, with <paramref name="key"/>; returns its request id.</summary>
    public async Task<string> SendFlaggedAsync(string key)
    {
        using var response = await MessagesAsync(key, FlaggedText);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/messages → {(int)response.StatusCode}: {body}");
        Assert.StartsWith("flag:", response.Headers.GetValues("meridian-safeguards").Single(), StringComparison.Ordinal);
        return response.Headers.GetValues("request-id").Single();
    }

    /// <summary>The case the gateway opened for <paramref name="requestId"/> (written in the background), as the operator sees it.</summary>
    public async Task<JsonElement> WaitForCaseAsync(string requestId)
    {
        for (var i = 0; i < 200; i++)
        {
            var cases = await AdminAsync(HttpMethod.Get, "cases?limit=200");
            foreach (var found in cases.GetProperty("data").EnumerateArray())
            {
                if (found.GetProperty("request_id").GetString() == requestId)
                {
                    return found;
                }
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        throw new Xunit.Sdk.XunitException($"No case was opened for request {requestId}.\n{string.Join('\n', Log)}");
    }

    /// <summary>The id of a case of the demo deployment, opened once for the tests that only need some case to show.</summary>
    public Task<string> DemoCaseIdAsync() => _demoCase ??= CreateDemoCaseAsync();

    private async Task<string> CreateDemoCaseAsync() => (await WaitForCaseAsync(await SendFlaggedAsync(DemoKey))).GetProperty("id").GetString()!;

    /// <summary>A new tenant with no subscription; returns its id.</summary>
    public async Task<string> CreateTenantAsync(string name)
    {
        var tenant = await AdminAsync(HttpMethod.Post, "tenants", new { name, billing_contact = new { name = "Paula Portal", email = "billing@portal-test.example" } });
        return tenant.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// A new tenant subscribed to the demo offer, with a resource in eastus (geography us) and one platform DataZone
    /// deployment named <paramref name="deploymentName"/>: a world of its own, so suspensions and settings a test makes
    /// there touch no other test's traffic.
    /// </summary>
    public async Task<(string Tenant, string Resource, string Deployment)> TenantWithDeploymentAsync(string tenantName, string deploymentName)
    {
        var tenant = await CreateTenantAsync(tenantName + " " + Guid.NewGuid().ToString("N")[..6]);
        var offer = await AdminAsync(HttpMethod.Get, "offers/off_claude");
        await AdminAsync(HttpMethod.Post, $"tenants/{tenant}/subscriptions",
            new { offer_id = "off_claude", accept_terms_version = offer.GetProperty("terms").GetProperty("version").GetInt32() });
        var resource = (await AdminAsync(HttpMethod.Post, $"tenants/{tenant}/resources", new { name = deploymentName + "-res", region = "eastus" }))
            .GetProperty("id").GetString()!;
        var deployment = await AdminAsync(HttpMethod.Post, $"resources/{resource}/deployments", new
        {
            name = deploymentName,
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "platform",
            deployment_type = "datazone",
            capacity = new { rpm = 60, tpm = 100_000 },
            safeguard_policy = "default",
        });
        return (tenant, resource, deployment.GetProperty("id").GetString()!);
    }

    private static bool PortalAssetsExist() => File.Exists(Path.Combine(PortalEndpoints.DefaultFolder, "index.html"));

    /// <summary>axe-core's browser build, installed with the client checks (tests/clients) by <c>./build.sh test</c>.</summary>
    public static string AxeScript
    {
        get
        {
            var path = Path.Combine(RepositoryRoot(), "tests", "clients", "node_modules", "axe-core", "axe.min.js");
            return File.Exists(path) ? path : throw new InvalidOperationException($"axe-core is not installed at {path}: run ./build.sh test (or npm ci in tests/clients).");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Meridian.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
