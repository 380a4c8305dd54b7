namespace Meridian.Gateway.Http;

/// <summary>
/// With JSON logs (<c>--log-format json</c>): every entry written while a request runs carries its request id as the
/// <c>RequestId</c> scope, the id its client sees in the <c>request-id</c> header and its receipt is keyed by. Runs
/// after <see cref="ErrorHandlingMiddleware"/>, which assigns the id. Not added with text logs (one allocation a request).
/// </summary>
internal sealed class RequestLogScope(RequestDelegate next, ILogger<RequestLogScope> logger)
{
    private static readonly Func<ILogger, string, IDisposable?> Scope = LoggerMessage.DefineScope<string>("RequestId:{RequestId}");

    public async Task InvokeAsync(HttpContext context)
    {
        using (Scope(logger, RequestIds.Of(context)))
        {
            await next(context);
        }
    }
}
