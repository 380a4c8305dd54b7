using System.Globalization;
using Meridian.Gateway.Http;
using Meridian.Protocol.Errors;
using Meridian.Protocol.OpenAi;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.DataPlane.OpenAi;

/// <summary>
/// OpenAI's chat completions as a door onto the Messages request path: the body is translated into a Messages body
/// (<see cref="ChatCompletionsRequestReader"/>), answers go out as <c>chat.completion</c> JSON or
/// <c>chat.completion.chunk</c> events, and every refusal in OpenAI's error shape and statuses (docs/openai.md).
/// One per request.
/// </summary>
internal sealed class OpenAiDialect(TimeProvider time) : AnswerDialect
{
    /// <summary>The receipt's <c>endpoint</c> for a chat completions request.</summary>
    public const string EndpointName = "chat_completions";

    // One timestamp for the whole answer: every chunk of a stream carries the same created, as OpenAI's do.
    private readonly long _created = time.GetUtcNow().ToUnixTimeSeconds();
    private bool _includeUsage;

    public override string Endpoint => EndpointName;

    public override ApiError? ReadRequest(ReadOnlyMemory<byte> body, out ReadOnlyMemory<byte> messagesBody)
    {
        if (!ChatCompletionsRequestReader.TryRead(body, out var request, out var error))
        {
            messagesBody = default;
            return error;
        }

        _includeUsage = request.Stream && request.IncludeUsage;
        messagesBody = request.MessagesBody;
        return null;
    }

    public override Task WriteErrorAsync(HttpContext context, ApiError error, bool blockedBySafeguard)
    {
        AddRateLimitHeaders(context.Response);
        return WriteErrorAsync(context, OpenAiError.Of(error, contentFiltered: blockedBySafeguard));
    }

    /// <summary>
    /// An error in OpenAI's shape, with <c>retry-after</c> where the SDKs should back off (they read it on 429 and 5xx);
    /// a quota that knows when it frees up has set its own already.
    /// </summary>
    public static async Task WriteErrorAsync(HttpContext context, OpenAiError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.Status is 429 or 503 && !response.Headers.ContainsKey("retry-after"))
        {
            response.Headers["retry-after"] = "1";
        }

        ChatCompletionsAnswerWriter.WriteError(response.BodyWriter, error);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Every answer of this door carries OpenAI's <c>x-request-id</c> beside Meridian's <c>request-id</c>: the OpenAI SDKs
    /// surface that one (<c>_request_id</c> in Node), and both name the same receipt.
    /// </summary>
    public static void AddRequestIdHeader(HttpContext context) => context.Response.Headers["x-request-id"] = RequestIds.Of(context);

    public override async Task WriteMessageAsync(HttpContext context, MessageAggregate message, UpstreamMessageEvent? upstream)
    {
        // An upstream's Anthropic bytes are no use to an OpenAI client: the answer is always written from the events.
        var response = context.Response;
        AddRateLimitHeaders(response);
        response.ContentType = "application/json";
        ChatCompletionsAnswerWriter.WriteCompletion(response.BodyWriter, message, _created);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    public override IAnswerStream OpenStream(HttpResponse response, Func<bool> blockedBySafeguard)
    {
        AddRateLimitHeaders(response);
        return new ChunkStream(new ChatCompletionsChunkWriter(response.BodyWriter, _includeUsage, _created), blockedBySafeguard);
    }

    /// <summary>
    /// OpenAI's <c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c> from the quota headers admission set
    /// (<c>anthropic-ratelimit-*</c>, which stay): OpenAI clients and their retry helpers read these. OpenAI writes the
    /// reset as the time until the bucket is full again (<c>"1s"</c>, <c>"6m0s"</c>), Anthropic as the instant.
    /// </summary>
    private void AddRateLimitHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        foreach (var (anthropic, openAi) in RateLimitKinds)
        {
            if (headers.TryGetValue($"anthropic-ratelimit-{anthropic}-limit", out var limit)
                && headers.TryGetValue($"anthropic-ratelimit-{anthropic}-remaining", out var remaining))
            {
                headers[$"x-ratelimit-limit-{openAi}"] = limit;
                headers[$"x-ratelimit-remaining-{openAi}"] = remaining;
                if (DateTimeOffset.TryParse(headers[$"anthropic-ratelimit-{anthropic}-reset"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var resetAt))
                {
                    headers[$"x-ratelimit-reset-{openAi}"] = Duration(resetAt - time.GetUtcNow());
                }
            }
        }
    }

    private static readonly (string Anthropic, string OpenAi)[] RateLimitKinds = [("requests", "requests"), ("tokens", "tokens")];

    private static string Duration(TimeSpan untilReset)
    {
        var seconds = (long)Math.Ceiling(Math.Max(0, untilReset.TotalSeconds));
        return seconds < 60
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m{seconds % 60}s");
    }

    /// <summary>
    /// Chunks, with one decision the Anthropic stream does not need: an <c>error</c> event that is a safeguard block on the
    /// output ends the stream as OpenAI's content filter does (<c>finish_reason: "content_filter"</c>, then <c>[DONE]</c>),
    /// while any other failure is an error object the SDKs raise.
    /// </summary>
    private sealed class ChunkStream(ChatCompletionsChunkWriter writer, Func<bool> blockedBySafeguard) : IAnswerStream
    {
        public void Write(StreamEvent streamEvent)
        {
            if (streamEvent is ErrorEvent && blockedBySafeguard())
            {
                writer.WriteContentFilterStop();
                return;
            }

            writer.Write(streamEvent);
        }

        public void Dispose() => writer.Dispose();
    }
}
