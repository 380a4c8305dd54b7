using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.Gateway.Configuration;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// Signing in with OpenID Connect beside admin tokens, against a provider the tests start themselves: the person gets a
/// session of the role the operator mapped them to, under their own name, and every ID token the gateway must not
/// believe (another audience, expired, not signed by the issuer) or a person nobody mapped is refused with a clear reason.
/// </summary>
public sealed class OpenIdSignInTests(PortalFixture portal)
{
    private static readonly OpenIdProvider.Person Ana = new("ana-0001", "Ana Lima", "ana@ops.example.test");
    private static readonly OpenIdProvider.Person Dev = new("dev-0002", "Dara Okafor", "dara@acme.example.test");
    private static readonly OpenIdProvider.Person Stranger = new("who-0003", "Sam Stranger", "sam@elsewhere.example.test");
    private static readonly OpenIdProvider.Person Unverified = new("unv-0004", "Una Verified", "una@acme.example.test", EmailVerified: false);

    [Fact]
    public async Task An_operator_signs_in_with_the_provider_sees_their_name_and_the_audit_names_them()
    {
        await using var idp = await StartProviderAsync();
        var node = await NodeAsync(idp, "ana@ops.example.test=operator-admin");
        await using var tab = await portal.NewPageAsync(node: node);

        await SignInWithProviderAsync(tab, Ana.Email);

        await Expect(tab.Page.Locator(".who")).ToContainTextAsync("Ana Lima · Operator admin");
        var session = await tab.Page.EvaluateAsync<string>("() => sessionStorage.getItem('meridian.portal.admin-token')");
        var me = await GetAsync(node, "whoami", session);
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal("Ana Lima", me.Body.GetProperty("name").GetString());
        Assert.Equal("operator-admin", me.Body.GetProperty("role").GetString());

        // What the person does is recorded under their name: the sign-in itself, and a tenant created as Ana.
        var tenant = await PostAsync(node, "tenants", session, new { name = "Created by Ana", billing_contact = new { name = "Ana Lima", email = Ana.Email } });
        Assert.Equal(HttpStatusCode.Created, tenant.Status);
        await tab.NavigateAsync("Audit");
        var row = tab.Page.Locator("tr").Filter(new() { HasText = "tenant.create" }).Filter(new() { HasText = "Ana Lima" });
        await Expect(row.First).ToBeVisibleAsync();
        await Expect(row.First.GetByTitle($"token:{me.Body.GetProperty("token_id").GetString()}")).ToHaveCountAsync(1);

        // Signing out ends the session at the gateway, not only in the tab.
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(tab.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Signed out.");
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(node, "whoami", session)).Status);
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_person_mapped_by_their_domain_gets_that_tenant_role_and_scope_only()
    {
        var tenant = await portal.CreateTenantAsync("Acme " + Guid.NewGuid().ToString("N")[..6]);
        await using var idp = await StartProviderAsync();
        var node = await NodeAsync(idp, $"@acme.example.test=tenant-developer,tenant:{tenant}");
        await using var tab = await portal.NewPageAsync(node: node);

        await SignInWithProviderAsync(tab, Dev.Email);

        await Expect(tab.Page.Locator(".who")).ToContainTextAsync($"Dara Okafor · Tenant developer · tenant {tenant}");
        var links = await tab.NavigationLinksAsync();
        Assert.Contains("Keys", links);
        Assert.DoesNotContain("Developer tokens", links);
        Assert.DoesNotContain("Audit", links);
        var session = await tab.Page.EvaluateAsync<string>("() => sessionStorage.getItem('meridian.portal.admin-token')");
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(node, "audit", session)).Status);
        tab.AssertNoErrors();
    }

    [Theory]
    [InlineData(IdTokenFlaw.WrongAudience, "was issued for another client (some-other-app), not this gateway's client id 'meridian-portal'")]
    [InlineData(IdTokenFlaw.Expired, "The ID token expired at")]
    [InlineData(IdTokenFlaw.ForeignSignature, "signature does not verify with the keys Test IdP publishes (JWKS)")]
    public async Task An_id_token_the_gateway_must_not_believe_is_refused_with_the_reason(IdTokenFlaw flaw, string reason)
    {
        await using var idp = await StartProviderAsync();
        var node = await NodeAsync(idp, "ana@ops.example.test=operator-admin");
        await using var tab = await portal.NewPageAsync(node: node);
        idp.NextFlaw = flaw;

        await tab.Page.GotoAsync("/portal/");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Test IdP" }).ClickAsync();
        await tab.Page.GetByLabel("E-mail").FillAsync(Ana.Email);
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        await Expect(tab.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync(reason);
        await Expect(tab.Page.GetByRole(AriaRole.Banner)).Not.ToContainTextAsync("Sign out");
        Assert.Null(await tab.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('meridian.portal.admin-token')"));
        Assert.Equal("/portal/", new Uri(tab.Page.Url).AbsolutePath);
        Assert.DoesNotContain("code=", tab.Page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_person_nobody_mapped_or_with_an_unverified_address_is_told_they_have_no_role()
    {
        await using var idp = await StartProviderAsync();
        var node = await NodeAsync(idp, "ana@ops.example.test=operator-admin", $"@acme.example.test=tenant-admin,tenant:{await portal.CreateTenantAsync("Unv Co")}");
        await using var tab = await portal.NewPageAsync(node: node);

        await SignInWithProviderAsync(tab, Stranger.Email, expectSignedIn: false);
        await Expect(tab.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync(
            "Sam Stranger, sam@elsewhere.example.test (subject who-0003), signed in with Test IdP but has no role on this gateway");

        // The domain rule would match, but an address the provider has not verified matches nothing.
        await SignInWithProviderAsync(tab, Unverified.Email, expectSignedIn: false);
        await Expect(tab.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("una@acme.example.test (subject unv-0004, e-mail not verified)");
    }

    [Fact]
    public async Task The_sign_in_page_with_a_provider_has_no_serious_axe_violation_and_fits_a_phone()
    {
        await using var idp = await StartProviderAsync();
        var node = await NodeAsync(idp, "ana@ops.example.test=operator-admin");
        var found = new List<string>();
        foreach (var viewport in new[] { new ViewportSize { Width = 1280, Height = 900 }, new ViewportSize { Width = 390, Height = 844 } })
        {
            await using var tab = await portal.NewPageAsync(viewport: viewport, bypassCsp: true, node: node);
            await tab.Page.GotoAsync("/portal/");
            await Expect(tab.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Test IdP" })).ToBeVisibleAsync();
            await tab.Page.AddScriptTagAsync(new() { Path = PortalFixture.AxeScript });
            found.AddRange((await tab.Page.EvaluateAsync<string[]>("""
                async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))
                  .violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => `${v.id}: ${v.help}`)
                """)).Select(v => $"{viewport.Width} px: {v}"));
            var scrollWidth = await tab.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            if (scrollWidth > viewport.Width)
            {
                found.Add($"{viewport.Width} px: the page is {scrollWidth} px wide");
            }

            tab.AssertNoErrors();
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    [Fact]
    public async Task The_gateway_checks_the_nonce_the_verifier_and_a_revoked_person_over_the_api()
    {
        await using var idp = await StartProviderAsync();
        var node = await NodeAsync(idp, "sub:ana-0001=operator-admin");
        const string redirect = "http://127.0.0.1/portal/";
        const string verifier = "a-verifier-long-enough-for-pkce-0123456789abcdef";

        var options = await GetAsync(node, "sign-in", null);
        Assert.Equal("Test IdP", options.Body.GetProperty("oidc").GetProperty("name").GetString());
        Assert.Equal(idp.Issuer + "/authorize", options.Body.GetProperty("oidc").GetProperty("authorization_endpoint").GetString());

        var missing = await PostAsync(node, "sign-in/oidc", null, new { code = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.True(missing.Body.GetProperty("errors").TryGetProperty("code_verifier", out _));

        var code = await idp.CodeForAsync(Ana.Email, redirect, "nonce-1", OpenIdProvider.ChallengeOf(verifier));
        var wrongNonce = await PostAsync(node, "sign-in/oidc", null, new { code, code_verifier = verifier, redirect_uri = redirect, nonce = "nonce-2" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrongNonce.Status);
        Assert.Contains("nonce does not match", wrongNonce.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        code = await idp.CodeForAsync(Ana.Email, redirect, "nonce-3", OpenIdProvider.ChallengeOf(verifier));
        var wrongVerifier = await PostAsync(node, "sign-in/oidc", null, new { code, code_verifier = verifier + "x", redirect_uri = redirect, nonce = "nonce-3" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrongVerifier.Status);
        Assert.Contains("Test IdP refused the sign-in code (400 invalid_grant", wrongVerifier.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        code = await idp.CodeForAsync(Ana.Email, redirect, "nonce-4", OpenIdProvider.ChallengeOf(verifier));
        var signedIn = await PostAsync(node, "sign-in/oidc", null, new { code, code_verifier = verifier, redirect_uri = redirect, nonce = "nonce-4" });
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);
        var session = signedIn.Body.GetProperty("token").GetString()!;
        var tokenId = signedIn.Body.GetProperty("me").GetProperty("token_id").GetString()!;
        Assert.True(signedIn.Body.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(7));

        // The person is one row among the tokens, with their subject; revoking it ends the session and refuses the next sign-in.
        var row = await portal.AdminAsync(HttpMethod.Get, $"tokens/{tokenId}");
        Assert.Equal($"oidc:{idp.Issuer}/#ana-0001", row.GetProperty("subject").GetString());
        Assert.Equal("Ana Lima", row.GetProperty("name").GetString());
        await portal.AdminAsync(HttpMethod.Post, $"tokens/{tokenId}/revoke");
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(node, "whoami", session)).Status);
        code = await idp.CodeForAsync(Ana.Email, redirect, "nonce-5", OpenIdProvider.ChallengeOf(verifier));
        var again = await PostAsync(node, "sign-in/oidc", null, new { code, code_verifier = verifier, redirect_uri = redirect, nonce = "nonce-5" });
        Assert.Equal(HttpStatusCode.Forbidden, again.Status);
        Assert.Contains("The operator revoked this person's access", again.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static async Task<OpenIdProvider> StartProviderAsync()
    {
        var idp = await OpenIdProvider.StartAsync();
        idp.People.AddRange([Ana, Dev, Stranger, Unverified]);
        return idp;
    }

    private Task<Uri> NodeAsync(OpenIdProvider idp, params string[] people) => portal.NodeAsync(options => options.OpenIdConnect = new OpenIdConnectOptions
    {
        Issuer = new Uri(idp.Issuer),
        ClientId = OpenIdProvider.ClientId,
        DisplayName = "Test IdP",
        People = [.. people.Select(p => PersonMapping.TryParse(p, out var mapping, out var error) ? mapping! : throw new ArgumentException(error))],
    });

    private static async Task SignInWithProviderAsync(PortalPage tab, string email, bool expectSignedIn = true)
    {
        await tab.Page.GotoAsync("/portal/");
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Test IdP" }).ClickAsync();
        await tab.Page.GetByLabel("E-mail").FillAsync(email);
        await tab.Page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        if (expectSignedIn)
        {
            await tab.Page.GetByRole(AriaRole.Navigation, new() { Name = "Portal views" }).WaitForAsync();
            await tab.WaitForViewAsync();
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(Uri node, string path, string? token) =>
        await SendAsync(node, HttpMethod.Get, path, token, null);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(Uri node, string path, string? token, object body) =>
        await SendAsync(node, HttpMethod.Post, path, token, body);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(Uri node, HttpMethod method, string path, string? token, object? body)
    {
        using var http = new HttpClient { BaseAddress = node };
        using var request = new HttpRequestMessage(method, "admin/v1/" + path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return (response.StatusCode, document.RootElement.Clone());
    }
}
