using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Meridian.Portal.Tests;

/// <summary>What the provider's next ID token gets wrong, so a test can see the gateway refuse it.</summary>
public enum IdTokenFlaw
{
    None,
    WrongAudience,
    Expired,
    ForeignSignature,
}

/// <summary>
/// A small OpenID provider of the tests' own, on a free loopback port: a discovery document, its JWKS, an authorize
/// endpoint with a login form (e-mail address, no password) and a token endpoint that checks the PKCE verifier. Its ID
/// tokens are RS256, signed with a key made at start; <see cref="NextFlaw"/> spoils the next one on purpose.
/// </summary>
public sealed class OpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "meridian-portal";

    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "test-key-1" };

    // The same key id as the real key, so the gateway finds "its" key and the signature itself fails.
    private readonly RsaSecurityKey _foreignKey = new(RSA.Create(2048)) { KeyId = "test-key-1" };
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);

    private OpenIdProvider(WebApplication app) => _app = app;

    public sealed record Person(string Subject, string Name, string Email, bool EmailVerified = true);

    private sealed record Grant(Person Person, string ClientId, string RedirectUri, string Nonce, string Challenge);

    /// <summary>The issuer, e.g. <c>http://127.0.0.1:40123</c> (as its ID tokens state it).</summary>
    public string Issuer { get; private set; } = string.Empty;

    public List<Person> People { get; } = [];

    /// <summary>Spoils the next ID token this way, then goes back to <see cref="IdTokenFlaw.None"/>.</summary>
    public IdTokenFlaw NextFlaw { get; set; }

    public static async Task<OpenIdProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var provider = new OpenIdProvider(builder.Build());
        provider.Map();
        await provider._app.StartAsync(TestContext.Current.CancellationToken);
        var address = provider._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        provider.Issuer = address.TrimEnd('/');
        return provider;
    }

    /// <summary>
    /// Signs <paramref name="email"/> in without a browser, as the login form would: the code the provider sends back
    /// to <paramref name="redirectUri"/>.
    /// </summary>
    public async Task<string> CodeForAsync(string email, string redirectUri, string nonce, string challenge)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.PostAsync(Issuer + "/authorize", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["client_id"] = ClientId, ["redirect_uri"] = redirectUri, ["state"] = "s", ["nonce"] = nonce,
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = System.Web.HttpUtility.ParseQueryString(response.Headers.Location!.Query);
        return query["code"]!;
    }

    public static string ChallengeOf(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _key.Rsa.Dispose();
        _foreignKey.Rsa.Dispose();
    }

    private void Map()
    {
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        _app.MapGet("/jwks", () =>
        {
            var parameters = _key.Rsa.ExportParameters(false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = _key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
                },
            });
        });
        _app.MapGet("/authorize", (HttpRequest request) => LoginForm(request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()), null));
        _app.MapPost("/authorize", async (HttpRequest request) =>
        {
            var form = (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
            var email = form.GetValueOrDefault("email") ?? string.Empty;
            if (People.FirstOrDefault(p => string.Equals(p.Email, email, StringComparison.OrdinalIgnoreCase)) is not { } person)
            {
                return LoginForm(form, $"No account {email} here.");
            }

            var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
            _codes[code] = new Grant(person, form["client_id"], form["redirect_uri"], form["nonce"], form["code_challenge"]);
            return Results.Redirect($"{form["redirect_uri"]}?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(form["state"])}");
        });
        _app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            if (!_codes.TryRemove(form["code"].ToString(), out var grant))
            {
                return Results.Json(new { error = "invalid_grant", error_description = "unknown or used code" }, statusCode: 400);
            }

            if (form["client_id"] != grant.ClientId || form["redirect_uri"] != grant.RedirectUri || ChallengeOf(form["code_verifier"].ToString()) != grant.Challenge)
            {
                return Results.Json(new { error = "invalid_grant", error_description = "client, redirect_uri or PKCE verifier does not match" }, statusCode: 400);
            }

            return Results.Json(new { access_token = "unused", token_type = "Bearer", id_token = IdToken(grant) });
        });
    }

    private string IdToken(Grant grant)
    {
        var flaw = NextFlaw;
        NextFlaw = IdTokenFlaw.None;
        var now = DateTime.UtcNow;
        var issued = flaw == IdTokenFlaw.Expired ? now.AddHours(-2) : now;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = flaw == IdTokenFlaw.WrongAudience ? "some-other-app" : grant.ClientId,
            IssuedAt = issued,
            NotBefore = issued,
            Expires = issued.AddMinutes(10),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = grant.Person.Subject,
                ["name"] = grant.Person.Name,
                ["email"] = grant.Person.Email,
                ["email_verified"] = grant.Person.EmailVerified,
                ["nonce"] = grant.Nonce,
            },
            SigningCredentials = new SigningCredentials(flaw == IdTokenFlaw.ForeignSignature ? _foreignKey : _key, SecurityAlgorithms.RsaSha256),
        });
    }

    private static IResult LoginForm(Dictionary<string, string> fields, string? error)
    {
        var hidden = new StringBuilder();
        foreach (var name in new[] { "client_id", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method" })
        {
            hidden.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{name}\" value=\"{WebUtility.HtmlEncode(fields.GetValueOrDefault(name))}\">");
        }

        return Results.Content($"""
            <!doctype html><html lang="en"><head><title>Test IdP</title></head><body><main>
            <h1>Test IdP</h1>{(error is null ? string.Empty : $"<p role=\"alert\">{WebUtility.HtmlEncode(error)}</p>")}
            <form method="post" action="/authorize">{hidden}
            <label for="email">E-mail</label><input id="email" name="email" type="email">
            <button type="submit">Continue</button></form></main></body></html>
            """, "text/html; charset=utf-8");
    }
}
