using System.IO.Pipelines;
using Meridian.Gateway.Http;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// How one door of the data plane speaks to its client: how its request body becomes a Messages body, and how errors,
/// a JSON answer and a stream are written. Everything between (authentication, tenancy, quotas, screening, routing,
/// metering, receipts) is the one request path in <see cref="MessagesEndpoint"/>, whichever door a request came in by.
/// An instance serves one request, so a dialect may keep what it read from the request (OpenAI's
/// <c>stream_options.include_usage</c>); not thread-safe.
/// </summary>
internal abstract class AnswerDialect
{
    /// <summary>The receipt's <c>endpoint</c> for a request answered through this door.</summary>
    public abstract string Endpoint { get; }

    /// <summary>The client's body as a Messages body (which <c>MessagesRequestParser</c> then validates), or why it cannot be one.</summary>
    public abstract ApiError? ReadRequest(ReadOnlyMemory<byte> body, out ReadOnlyMemory<byte> messagesBody);

    /// <param name="blockedBySafeguard">Whether screening blocked the request or its answer, which caused the error.</param>
    public abstract Task WriteErrorAsync(HttpContext context, ApiError error, bool blockedBySafeguard);

    /// <summary>Writes a complete non-streaming answer; status and the gateway's own headers are already set.</summary>
    /// <param name="upstream">An Anthropic upstream's own answer bytes, when screening left them as they were.</param>
    public abstract Task WriteMessageAsync(HttpContext context, MessageAggregate message, UpstreamMessageEvent? upstream);

    /// <summary>
    /// Frames a streamed answer's events onto the response body; the caller flushes. Nothing has been sent yet, so a
    /// dialect may still add headers.
    /// </summary>
    /// <param name="blockedBySafeguard">Asked when an error event is written: whether screening blocked the answer.</param>
    public abstract IAnswerStream OpenStream(HttpResponse response, Func<bool> blockedBySafeguard);
}

/// <summary>One streamed answer in a door's framing. One per response; not thread-safe.</summary>
internal interface IAnswerStream : IDisposable
{
    void Write(StreamEvent streamEvent);
}

/// <summary>Anthropic's Messages API (<c>/v1/messages</c>, <c>/anthropic/v1/messages</c>): the body as sent, Anthropic's errors, SSE with event names.</summary>
internal sealed class AnthropicDialect : AnswerDialect
{
    /// <summary>Stateless: one instance serves every request.</summary>
    public static readonly AnthropicDialect Instance = new();

    private AnthropicDialect()
    {
    }

    public override string Endpoint => "messages";

    public override ApiError? ReadRequest(ReadOnlyMemory<byte> body, out ReadOnlyMemory<byte> messagesBody)
    {
        messagesBody = body;
        return null;
    }

    public override Task WriteErrorAsync(HttpContext context, ApiError error, bool blockedBySafeguard) => ErrorResponses.WriteAsync(context, error);

    public override async Task WriteMessageAsync(HttpContext context, MessageAggregate message, UpstreamMessageEvent? upstream)
    {
        var response = context.Response;
        response.ContentType = "application/json";
        if (upstream is not null)
        {
            // Screening let the text through as it was: the upstream's bytes are the answer (no second serialization).
            response.ContentLength = upstream.Json.Length;
            await response.BodyWriter.WriteAsync(upstream.Json, context.RequestAborted);
        }
        else
        {
            AnthropicJsonWriter.WriteMessage(response.BodyWriter, message);
            await response.BodyWriter.FlushAsync(context.RequestAborted);
        }
    }

    public override IAnswerStream OpenStream(HttpResponse response, Func<bool> blockedBySafeguard) => new SseStream(response.BodyWriter);

    private sealed class SseStream(PipeWriter output) : IAnswerStream
    {
        private readonly SseEventWriter _writer = new(output);

        public void Write(StreamEvent streamEvent) => _writer.Write(streamEvent);

        public void Dispose() => _writer.Dispose();
    }
}
