using Meridian.Core.Validation;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Meridian.Gateway.Admin;

/// <summary>
/// RFC 9457 problem details, one shape for every admin error:
/// <c>{"type":"https://meridian.dev/problems/&lt;code&gt;","title","status","detail","errors":{field:[…]}}</c>.
/// </summary>
internal static class AdminProblems
{
    public const string TypeBase = "https://meridian.dev/problems/";

    public static ProblemHttpResult Validation(FieldErrors errors, string detail = "The request has invalid fields.") =>
        Create(StatusCodes.Status400BadRequest, "validation", "Invalid request", detail, errors.ToDictionary());

    public static ProblemHttpResult Validation(string field, string message) => Validation(FieldErrors.Of(field, message));

    public static ProblemHttpResult Unauthenticated(string detail) =>
        Create(StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required", detail);

    public static ProblemHttpResult Forbidden(string detail) =>
        Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    public static ProblemHttpResult NotFound(string detail) =>
        Create(StatusCodes.Status404NotFound, "not_found", "Not found", detail);

    public static ProblemHttpResult Conflict(string detail, FieldErrors? errors = null) =>
        Create(StatusCodes.Status409Conflict, "conflict", "Conflict", detail, errors?.ToDictionary());

    public static ProblemHttpResult PreconditionFailed(string detail) =>
        Create(StatusCodes.Status412PreconditionFailed, "precondition_failed", "Precondition failed", detail);

    public static ProblemHttpResult TermsNotAccepted(string detail) =>
        Create(StatusCodes.Status409Conflict, "terms_not_accepted", "Terms not accepted", detail);

    public static ProblemHttpResult TooLarge(string detail) =>
        Create(StatusCodes.Status413PayloadTooLarge, "too_large", "Request too large", detail);

    public static ProblemHttpResult TooManyAttempts(string detail) =>
        Create(StatusCodes.Status429TooManyRequests, "too_many_attempts", "Too many failed attempts", detail);

    /// <summary>Something the gateway depends on outside itself (an identity provider) could not be used.</summary>
    public static ProblemHttpResult Unavailable(string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "Service unavailable", detail);

    public static ProblemHttpResult Internal(string detail) =>
        Create(StatusCodes.Status500InternalServerError, "internal", "Internal error", detail);

    /// <summary>The problem for a store refusal (anything but Ok/Created).</summary>
    public static ProblemHttpResult From<T>(StoreResult<T> result) => result.Status switch
    {
        StoreStatus.NotFound => NotFound(result.Message ?? "Not found."),
        StoreStatus.Invalid => Validation(result.Errors ?? new FieldErrors()),
        StoreStatus.Conflict => Conflict(result.Message ?? "Conflict.", result.Errors),
        StoreStatus.PreconditionFailed => PreconditionFailed(result.Message ?? "The object changed."),
        StoreStatus.TermsNotAccepted => TermsNotAccepted(result.Message ?? "The offer's current terms have not been accepted."),
        _ => throw new ArgumentException($"{result.Status} is not a refusal.", nameof(result)),
    };

    private static ProblemHttpResult Create(int status, string code, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        ProblemDetails problem = errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
        problem.Type = TypeBase + code;
        problem.Title = title;
        problem.Status = status;
        problem.Detail = detail;
        return TypedResults.Problem(problem);
    }
}
