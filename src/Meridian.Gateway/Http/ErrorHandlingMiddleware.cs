using Meridian.Protocol.Errors;

namespace Meridian.Gateway.Http;

/// <summary>
/// Outermost middleware: assigns the request id and turns anything unexpected into an Anthropic-style error,
/// never a stack trace. Kestrel's own rejections (body too large, malformed framing) become the matching 4xx.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    /// <summary>The answer to a body the server could not read (malformed chunking, too large, cut short).</summary>
    public static ApiError Unreadable(BadHttpRequestException ex) => ex.StatusCode == StatusCodes.Status413PayloadTooLarge
        ? ApiError.TooLarge("The request body exceeds the 32 MB limit.")
        : ApiError.InvalidRequest("The request could not be read: " + ex.Message);

    public async Task InvokeAsync(HttpContext context)
    {
        var requestId = RequestIds.Assign(context);
        ServerRejections.Track(context);
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await ErrorResponses.WriteAsync(context, Unreadable(ex));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            Log.Unhandled(logger, requestId, ex);
            await ErrorResponses.WriteAsync(context, ApiError.Internal("Internal server error (request " + requestId + ")."));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled failure in request {RequestId}")]
        public static partial void Unhandled(ILogger logger, string requestId, Exception exception);
    }
}
