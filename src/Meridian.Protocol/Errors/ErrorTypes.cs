namespace Meridian.Protocol.Errors;

/// <summary>Anthropic's <c>error.type</c> values and the HTTP status each one travels with.</summary>
public static class ErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RequestTooLarge = "request_too_large";
    public const string RateLimit = "rate_limit_error";
    public const string Api = "api_error";
    public const string Overloaded = "overloaded_error";

    public static int StatusOf(string errorType) => errorType switch
    {
        InvalidRequest => 400,
        Authentication => 401,
        Permission => 403,
        NotFound => 404,
        RequestTooLarge => 413,
        RateLimit => 429,
        Overloaded => 529,
        _ => 500,
    };
}

/// <summary>A failure the client caused or must be told about, in Anthropic's vocabulary.</summary>
public sealed record ApiError(int Status, string Type, string Message)
{
    /// <summary>The request field at fault, for dialects whose errors name it apart from the message (OpenAI's <c>param</c>).</summary>
    public string? Param { get; init; }

    public static ApiError InvalidRequest(string message) => new(400, ErrorTypes.InvalidRequest, message);
    public static ApiError Authentication(string message) => new(401, ErrorTypes.Authentication, message);
    public static ApiError Permission(string message) => new(403, ErrorTypes.Permission, message);
    public static ApiError NotFound(string message) => new(404, ErrorTypes.NotFound, message);
    public static ApiError TooLarge(string message) => new(413, ErrorTypes.RequestTooLarge, message);
    public static ApiError Overloaded(string message) => new(529, ErrorTypes.Overloaded, message);
    public static ApiError Unavailable(string message) => new(503, ErrorTypes.Api, message);
    public static ApiError Internal(string message) => new(500, ErrorTypes.Api, message);
}
