using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Http;

/// <summary>Writes Anthropic-shaped error responses, with <c>retry-after</c> where clients should back off.</summary>
internal static class ErrorResponses
{
    public static async Task WriteAsync(HttpContext context, ApiError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        // A limit that knows when it frees up (a quota) has set its own retry-after already.
        if (error.Status is 429 or 529 or 503 && !response.Headers.ContainsKey("retry-after"))
        {
            response.Headers["retry-after"] = "1";
        }

        AnthropicJsonWriter.WriteError(response.BodyWriter, error.Type, error.Message, RequestIds.Of(context));
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
