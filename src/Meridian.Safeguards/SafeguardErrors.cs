using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;

namespace Meridian.Safeguards;

/// <summary>
/// What the client sees when a policy blocks: Anthropic's own shape and wording. Both use
/// <c>invalid_request_error</c>, which is what Anthropic sends for content it refuses ("Output blocked by content
/// filtering policy"): the SDKs raise it as a 400-class error that they do not retry — retrying a blocked request
/// only repeats the block and its cost, while <c>api_error</c> or <c>overloaded_error</c> would be retried. The message
/// names the policy and the categories, never the matched text.
/// </summary>
public static class SafeguardErrors
{
    /// <summary>For a blocked input: HTTP 400 <c>invalid_request_error</c>.</summary>
    public static ApiError InputBlocked(Verdict verdict) =>
        ApiError.InvalidRequest($"Request blocked by content filtering policy '{verdict.Policy}': {verdict.Reason ?? "blocked"}.");

    /// <summary>For a blocked output: the stream's last event (or, for a non-streaming request, the error response).</summary>
    public static ErrorEvent OutputBlocked(Verdict verdict) =>
        new(ErrorTypes.InvalidRequest, $"Output blocked by content filtering policy '{verdict.Policy}': {verdict.Reason ?? "blocked"}.");
}
