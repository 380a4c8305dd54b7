using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol;

/// <summary>
/// A backend that hands each call to an inner backend and watches or changes its events on the way out — the shape of
/// Microsoft.Extensions.AI's <c>DelegatingChatClient</c>. The gateway composes one such pipeline per request (usage
/// metering, review capture, output screening) around the backend the router chose; a decorator built per request may
/// hold that request's state and is then called once.
/// </summary>
public abstract class DelegatingBackend(IInferenceBackend inner) : IInferenceBackend
{
    protected IInferenceBackend Inner { get; } = inner;

    public virtual BackendCapabilities Capabilities => Inner.Capabilities;

    public virtual string? Refusal(MessagesRequest request) => Inner.Refusal(request);

    public virtual IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, CancellationToken cancellationToken) =>
        Inner.StreamAsync(call, cancellationToken);
}
