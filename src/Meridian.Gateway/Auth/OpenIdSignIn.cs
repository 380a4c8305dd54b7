using System.Net.Http.Headers;
using System.Text.Json;
using Meridian.Gateway.Admin;
using Meridian.Gateway.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Meridian.Gateway.Auth;

/// <summary>A person the provider vouched for, and the operator's mapping that lets them in.</summary>
internal sealed record OpenIdPerson(string Subject, string Name, string? Email, PersonMapping Mapping);

/// <summary>
/// The gateway's half of an OpenID Connect sign-in (authorization code with PKCE): the portal sends the browser to the
/// provider and brings back the code; this redeems it at the provider's token endpoint and believes the ID token only
/// after checking its signature against the provider's published keys (JWKS), its issuer, audience, lifetime and the
/// nonce the portal chose. Thread-safe; the discovery document and keys are cached and refreshed by the
/// <see cref="ConfigurationManager{T}"/>.
/// </summary>
internal sealed partial class OpenIdSignIn : IDisposable
{
    private readonly OpenIdConnectOptions? _options;
    private readonly HttpClient _http;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _configuration;
    private readonly ILogger<OpenIdSignIn> _logger;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public OpenIdSignIn(GatewayOptions gateway, ILogger<OpenIdSignIn> logger)
    {
        _options = gateway.OpenIdConnect;
        _logger = logger;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        if (_options is not null)
        {
            var discovery = new Uri(_options.Issuer.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration");
            _configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
                discovery.AbsoluteUri, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(_http) { RequireHttps = _options.RequireHttps });
        }
    }

    public OpenIdConnectOptions? Options => _options;

    /// <summary>The provider's discovery document (cached), or a problem saying why it could not be read.</summary>
    public async Task<(OpenIdConnectConfiguration? Configuration, ProblemHttpResult? Problem)> DiscoverAsync(CancellationToken cancellationToken)
    {
        if (_configuration is null || _options is null)
        {
            return (null, AdminProblems.NotFound("This gateway offers no OpenID Connect sign-in: sign in with an admin token."));
        }

        try
        {
            return (await _configuration.GetConfigurationAsync(cancellationToken), null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or HttpRequestException or ArgumentException)
        {
            Log.DiscoveryFailed(_logger, _options.Issuer.AbsoluteUri, ex);
            return (null, AdminProblems.Unavailable(
                $"The identity provider {_options.DisplayName} ({_options.Issuer.AbsoluteUri}) could not be reached or its discovery document read: {Innermost(ex)}"));
        }
    }

    /// <summary>Redeems the code and checks the ID token; the person and their mapping, or the refusal as a problem.</summary>
    public async Task<(OpenIdPerson? Person, ProblemHttpResult? Problem)> RedeemAsync(
        string code, string codeVerifier, string redirectUri, string nonce, CancellationToken cancellationToken)
    {
        var (configuration, problem) = await DiscoverAsync(cancellationToken);
        if (configuration is null)
        {
            return (null, problem);
        }

        var options = _options!;
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = options.ClientId,
            ["code_verifier"] = codeVerifier,
        };
        if (options.ClientSecret is { } secret)
        {
            form["client_secret"] = secret;
        }

        string idToken;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await _http.SendAsync(request, cancellationToken);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var root = document.RootElement;
            if (!response.IsSuccessStatusCode)
            {
                var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
                var description = root.TryGetProperty("error_description", out var d) ? d.GetString() : null;
                return (null, AdminProblems.Unauthenticated(
                    $"{options.DisplayName} refused the sign-in code ({(int)response.StatusCode} {error}{(description is null ? string.Empty : ": " + description)}). Sign in again."));
            }

            if (!root.TryGetProperty("id_token", out var token) || token.GetString() is not { Length: > 0 } value)
            {
                return (null, AdminProblems.Unauthenticated($"{options.DisplayName} answered the code without an ID token; the scope must include openid."));
            }

            idToken = value;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.TokenEndpointFailed(_logger, configuration.TokenEndpoint, ex);
            return (null, AdminProblems.Unavailable($"The token endpoint of {options.DisplayName} could not be used: {Innermost(ex)}"));
        }

        var result = await ValidateAsync(idToken, configuration);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have rotated its keys since they were cached: read them again once before refusing.
            _configuration!.RequestRefresh();
            (configuration, problem) = await DiscoverAsync(cancellationToken);
            if (configuration is null)
            {
                return (null, problem);
            }

            result = await ValidateAsync(idToken, configuration);
        }

        if (!result.IsValid)
        {
            return (null, AdminProblems.Unauthenticated(Refusal(result.Exception, idToken, options)));
        }

        var claims = result.Claims;
        if (!claims.TryGetValue("nonce", out var tokenNonce) || !string.Equals(tokenNonce as string, nonce, StringComparison.Ordinal))
        {
            return (null, AdminProblems.Unauthenticated(
                "The ID token's nonce does not match this sign-in: it was issued for another sign-in attempt. Sign in again."));
        }

        var subject = claims.TryGetValue("sub", out var sub) ? sub as string : null;
        if (string.IsNullOrEmpty(subject))
        {
            return (null, AdminProblems.Unauthenticated("The ID token names no subject (sub)."));
        }

        var email = claims.TryGetValue("email", out var mail) ? mail as string : null;
        var verified = claims.TryGetValue("email_verified", out var v) && v is true or "true";
        var name = new[] { "name", "preferred_username", "email" }.Select(c => claims.TryGetValue(c, out var n) ? n as string : null)
            .FirstOrDefault(n => !string.IsNullOrWhiteSpace(n)) ?? subject;
        if (options.Map(subject, email, verified) is not { } mapping)
        {
            var who = email is null ? $"subject {subject}" : $"{email} (subject {subject}{(verified ? string.Empty : ", e-mail not verified")})";
            return (null, AdminProblems.Forbidden(
                $"{name}, {who}, signed in with {options.DisplayName} but has no role on this gateway. The operator maps people to roles with --oidc-person."));
        }

        return (new OpenIdPerson(subject, name.Trim(), email, mapping), null);
    }

    public void Dispose() => _http.Dispose();

    private Task<TokenValidationResult> ValidateAsync(string idToken, OpenIdConnectConfiguration configuration) =>
        _handler.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            // The configured issuer, never what the discovery document claims; with or without the trailing slash a URL gains.
            ValidIssuers = [_options!.Issuer.AbsoluteUri, _options.Issuer.AbsoluteUri.TrimEnd('/')],
            ValidAudience = _options.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            // The library reads the system clock for exp and nbf (its time provider is not public in this version).
            ClockSkew = TimeSpan.FromMinutes(1),
        });

    private string Refusal(Exception? exception, string idToken, OpenIdConnectOptions options) => exception switch
    {
        // The audience named only to say whom the token was for; nothing else of an unvalidated token is used.
        SecurityTokenInvalidAudienceException =>
            $"The ID token was issued for another client ({string.Join(", ", _handler.ReadJsonWebToken(idToken).Audiences)}), not this gateway's client id '{options.ClientId}'.",
        SecurityTokenExpiredException expired =>
            $"The ID token expired at {expired.Expires:u}; sign in again (check the clocks if this repeats).",
        SecurityTokenNotYetValidException early => $"The ID token is not valid before {early.NotBefore:u}; check the clocks.",
        SecurityTokenInvalidIssuerException issuer =>
            $"The ID token was issued by '{issuer.InvalidIssuer}', not the configured issuer '{options.Issuer.AbsoluteUri}'.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            $"The ID token's signature does not verify with the keys {options.DisplayName} publishes (JWKS): it was not signed by the issuer.",
        SecurityTokenNoExpirationException => "The ID token has no expiry (exp).",
        _ => $"The ID token was refused: {exception?.GetType().Name ?? "invalid"}.",
    };

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is { } inner)
        {
            ex = inner;
        }

        return ex.Message;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "The OpenID Connect discovery document of {Issuer} could not be read")]
        public static partial void DiscoveryFailed(ILogger logger, string issuer, Exception exception);

        [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "The OpenID Connect token endpoint {Endpoint} could not be used")]
        public static partial void TokenEndpointFailed(ILogger logger, string endpoint, Exception exception);
    }
}
