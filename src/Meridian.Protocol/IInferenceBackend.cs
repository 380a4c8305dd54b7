using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol;

/// <summary>
/// Something that answers a Messages request: the built-in simulator, an upstream over HTTP, in-process inference.
/// A backend always produces the Anthropic event stream; the gateway turns it into SSE or into one JSON message.
/// Implementations are shared by all requests and must be safe to call concurrently.
/// </summary>
public interface IInferenceBackend
{
    /// <summary>What the backend can do, as a model's capabilities on <c>GET /v1/models</c> report them.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>
    /// Asked before routing: why this backend cannot express <paramref name="request"/> as it stands — naming the field,
    /// as a 400 message — or null when it can. The router sends a request only to backends that can, so nothing the
    /// client asked for is silently dropped. Must be cheap: it reads <see cref="MessagesRequest.Features"/>.
    /// </summary>
    string? Refusal(MessagesRequest request);

    /// <summary>
    /// Streams the answer. A failure before the first event is reported by throwing <see cref="BackendException"/>;
    /// after it, by yielding an <see cref="ErrorEvent"/>.
    /// </summary>
    IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, CancellationToken cancellationToken);
}

/// <param name="Request">The validated client request (its original bytes included).</param>
/// <param name="UpstreamModel">The model id the backend knows, which may differ from the deployment name the client used.</param>
/// <param name="MessageId">The <c>msg_…</c> id the client will see.</param>
public sealed record BackendCall(MessagesRequest Request, string UpstreamModel, string MessageId)
{
    /// <summary>
    /// The request's input as the gateway already counted it, when it did: a backend that must count the input itself
    /// (it has no tokenizer of its own) takes this instead of walking the request a second time.
    /// </summary>
    public int? CountedInputTokens { get; init; }

    /// <summary>The input tokens: as counted by the gateway, else counted now.</summary>
    public int InputTokens => CountedInputTokens ?? TokenCounter.CountInput(Request);
}

/// <summary>The backend could not start an answer; <see cref="Status"/> and <see cref="ErrorType"/> say how to report it.</summary>
public sealed class BackendException(int status, string errorType, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string ErrorType { get; } = errorType;

    /// <summary>The backend could not be reached at all (connect error, timeout before an answer): nothing was processed.</summary>
    public bool Unreachable { get; init; }
}
