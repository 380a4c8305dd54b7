using Meridian.Protocol.Errors;

namespace Meridian.Protocol.Messages;

/// <summary>
/// The limits that depend on the model a request resolved to, checked before any backend sees it: input longer than
/// the model's context window, and PDF pages past what a model of that window reads. Stateless and thread-safe.
/// </summary>
public static class ModelLimits
{
    /// <summary>
    /// Refuses <paramref name="request"/> as Anthropic does when its input (<paramref name="inputTokens"/>, the gateway's
    /// count) does not fit <paramref name="contextWindow"/>, or its PDFs have more pages than such a model reads.
    /// </summary>
    public static ApiError? Check(MessagesRequest request, int inputTokens, int contextWindow)
    {
        if (inputTokens > contextWindow)
        {
            return ApiError.InvalidRequest($"prompt is too long: {inputTokens} tokens > {contextWindow} maximum");
        }

        var maxPages = contextWindow <= RequestLimits.SmallContextWindow ? RequestLimits.MaxPdfPagesSmallContext : RequestLimits.MaxPdfPages;
        return request.Features.PdfPages > maxPages
            ? ApiError.InvalidRequest($"messages: the PDFs have {request.Features.PdfPages} pages in all; a model with a {contextWindow}-token context window reads at most {maxPages} per request")
            : null;
    }
}
