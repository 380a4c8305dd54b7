using Meridian.Core.Access;
using Meridian.Core.Keys;
using Meridian.Core.Validation;
using Meridian.Gateway.Auth;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// Signing in to the portal with OpenID Connect (docs/admin-api.md, "Signing in with OpenID Connect"). These two routes
/// are the only admin routes without a token: the sign-in page must learn how to sign in, and the code it brings back
/// from the provider is what proves the person.
/// </summary>
internal static class SignInHandlers
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var signIn = app.MapGroup(AdminEndpoints.Prefix + "/sign-in").WithTags("admin");
        signIn.MapGet(string.Empty, OptionsAsync);
        signIn.MapPost("/oidc", RedeemAsync).WithBody<OidcSignInRequest>();
    }

    /// <summary>What the sign-in page offers: tokens always, and the provider when one is configured.</summary>
    public static async Task<Results<Ok<SignInOptionsView>, ProblemHttpResult>> OptionsAsync(HttpContext context, OpenIdSignIn openId)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (openId.Options is not { } options)
        {
            return TypedResults.Ok(new SignInOptionsView(null));
        }

        var (configuration, problem) = await openId.DiscoverAsync(context.RequestAborted);
        return configuration is null
            ? problem!
            : TypedResults.Ok(new SignInOptionsView(new OidcProviderView(options.DisplayName, configuration.AuthorizationEndpoint, options.ClientId, "openid profile email")));
    }

    /// <summary>
    /// Redeems the provider's code for a session of the person's mapped role: an admin token that expires, shown once.
    /// Every refusal says why (wrong audience, expired, bad signature, nobody mapped), and counts as a failed attempt.
    /// </summary>
    public static async Task<Results<Ok<SignInSessionView>, ProblemHttpResult>> RedeemAsync(
        HttpContext context, OpenIdSignIn openId, AdminTokenStore tokens, MarketplaceStore store, ApiKeyHasher hasher, AuthFailureThrottle throttle, TimeProvider time)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (throttle.IsThrottled(context, "oidc_sign_in", out var retryAfter))
        {
            return AdminProblems.TooManyAttempts($"Too many failed sign-ins from this address: try again in {Math.Ceiling(retryAfter.TotalSeconds):0} s.");
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.OidcSignInRequest);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new FieldErrors();
        Require(errors, "code", body!.Code);
        Require(errors, "code_verifier", body.CodeVerifier);
        Require(errors, "redirect_uri", body.RedirectUri);
        Require(errors, "nonce", body.Nonce);
        if (!errors.IsEmpty)
        {
            return AdminProblems.Validation(errors);
        }

        var (person, refused) = await openId.RedeemAsync(body.Code!, body.CodeVerifier!, body.RedirectUri!, body.Nonce!, context.RequestAborted);
        if (person is null)
        {
            throttle.Failed(context, "oidc_sign_in");
            return refused!;
        }

        var mappingErrors = new FieldErrors();
        if (TokenRules.Validate(person.Mapping.Draft(person.Name), store.Regions().Select(r => r.Region.Geography), mappingErrors) is not { } valid)
        {
            return AdminProblems.Forbidden(
                $"The operator's mapping for {person.Name} is not a valid {AdminRoles.Of(person.Mapping.Role)} scope: "
                + string.Join("; ", mappingErrors.ToDictionary().Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
        }

        var now = time.GetUtcNow();
        var expiresAt = now + openId.Options!.SessionLifetime;
        var session = ApiKeyFormat.New(ApiKeyFormat.AdminTokenScheme);
        var subject = $"oidc:{openId.Options.Issuer.AbsoluteUri}#{person.Subject}";
        var result = tokens.SignIn(subject, valid, hasher.Hash(session), expiresAt, now);
        if (!result.Succeeded)
        {
            return result.Status == StoreStatus.Invalid
                ? AdminProblems.Forbidden($"The operator's mapping for {person.Name} names a scope that does not exist: "
                    + string.Join("; ", result.Errors!.ToDictionary().Select(e => string.Join(", ", e.Value))))
                : AdminProblems.Forbidden(result.Message ?? "Refused.");
        }

        var token = result.Value!;
        return TypedResults.Ok(new SignInSessionView(session, expiresAt, AdminViews.WhoAmI(token.ToCaller())));
    }

    /// <summary>Ends the caller's sign-in session (a person's); an admin token is left alone, since it is revoked, not signed out.</summary>
    public static NoContent SignOut(HttpContext context, AdminTokenStore tokens, ApiKeyHasher hasher)
    {
        if (AdminAuthentication.BearerToken(context.Request) is { } presented)
        {
            tokens.EndSession(hasher.Hash(presented));
        }

        return TypedResults.NoContent();
    }

    private static void Require(FieldErrors errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(field, "is required");
        }
    }
}
