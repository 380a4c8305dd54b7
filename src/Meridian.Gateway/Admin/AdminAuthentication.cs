using Meridian.Core.Access;
using Meridian.Core.Keys;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Http;
using Meridian.Storage.Control;
using Meridian.Storage.Sql;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// The admin group's filter: authenticates the bearer admin token (looked up by its keyed hash, so a revoked token
/// fails at once), and turns anything that escapes a handler into a problem, never a stack trace or an HTML page.
/// </summary>
internal sealed partial class AdminAuthentication(
    AdminTokenStore tokens, KeyHashRotation rotation, ApiKeyHasher hasher, AuthFailureThrottle throttle, TimeProvider time, ILogger<AdminAuthentication> logger)
    : IEndpointFilter
{
    private const string CallerItem = "meridian.admin-caller";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // Admin answers carry secrets shown once (keys, tokens) and tenants' records: no cache may keep any of them.
        http.Response.Headers.CacheControl = "no-store";
        var presented = BearerToken(http.Request);
        if (presented is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return AdminProblems.Unauthenticated("Send an admin token: Authorization: Bearer mat-….");
        }

        if (throttle.IsThrottled(http, "admin_token", out var retryAfter))
        {
            return AdminProblems.TooManyAttempts(
                $"Too many failed authentication attempts from this address: admin tokens are not checked for {Math.Ceiling(retryAfter.TotalSeconds):0} s.");
        }

        // The first store read of every admin call: retried on a transient failure (a restarted server's dead pooled
        // connection), which also drops the other dead ones, so what follows runs on fresh connections.
        var hash = hasher.Hash(presented);
        // A person signed in with OpenID Connect presents a session, which names their row and expires.
        var aborted = http.RequestAborted;
        if (await TransientStoreFailures.ReadAsync(
                async () => await tokens.FindLiveAsync(hash, aborted) ?? await tokens.FindSessionAsync(hash, time.GetUtcNow(), aborted) ?? await FindUnderOverlapAsync(presented, aborted),
                aborted) is not { } token)
        {
            throttle.Failed(http, "admin_token");
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return AdminProblems.Unauthenticated("The admin token is not valid: unknown or revoked.");
        }

        http.Items[CallerItem] = token.ToCaller();
        try
        {
            // Reads are idempotent: one that met a transient store failure runs again rather than answer 500.
            return HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
                ? await TransientStoreFailures.ReadAsync(() => next(context), () => !http.Response.HasStarted, http.RequestAborted)
                : await next(context);
        }
        catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
        {
            return ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? AdminProblems.TooLarge($"Admin request bodies are limited to {AdminRequest.MaxBodyBytes} bytes.")
                : AdminProblems.Validation("body", "could not be read: " + ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !http.Response.HasStarted)
        {
            TransientStoreFailures.Observed(ex);
            var requestId = RequestIds.Of(http);
            Log.Unhandled(logger, requestId, http.Request.Method, http.Request.Path.Value ?? string.Empty, ex);
            return AdminProblems.Internal($"Internal error (request {requestId}).");
        }
    }

    /// <summary>The authenticated caller of this request (set by the filter before any handler runs).</summary>
    public static AdminCaller CallerOf(HttpContext context) =>
        context.Items[CallerItem] as AdminCaller ?? throw new InvalidOperationException("The admin request was not authenticated.");

    /// <summary>
    /// During a rotation of the key-hash secret: the token stored under another secret of the overlap. One stored under
    /// the previous secret is moved to the current one, so it still works once the overlap ends.
    /// </summary>
    private async Task<AdminToken?> FindUnderOverlapAsync(string presented, CancellationToken cancellationToken)
    {
        foreach (var hash in hasher.OverlapHashes(presented))
        {
            if (await tokens.FindLiveAsync(hash, cancellationToken) is { } token)
            {
                if (hash == hasher.PreviousHash(presented))
                {
                    rotation.MoveToken(hash, hasher.Hash(presented));
                }

                return token;
            }
        }

        return null;
    }

    internal static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 0 || authorization[0] is not { } value)
        {
            return null;
        }

        const string scheme = "Bearer ";
        return value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && value.Length > scheme.Length && value[scheme.Length..].Trim() is { Length: > 0 } token
            ? token
            : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2000, Level = LogLevel.Error, Message = "Unhandled failure in admin request {RequestId} ({Method} {Path})")]
        public static partial void Unhandled(ILogger logger, string requestId, string method, string path, Exception exception);
    }
}

/// <summary>Maps an authorization answer to the problem the caller gets, or null when allowed.</summary>
internal static class AccessProblems
{
    public static ProblemHttpResult? Check(AccessDecision access, string hiddenWhat, string forbiddenWhat) => access switch
    {
        AccessDecision.Allowed => null,
        AccessDecision.Hidden => AdminProblems.NotFound(hiddenWhat),
        _ => AdminProblems.Forbidden(forbiddenWhat),
    };
}
