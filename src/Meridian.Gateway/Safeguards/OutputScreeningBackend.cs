using Meridian.Protocol;
using Meridian.Protocol.Streaming;
using Meridian.Safeguards;
using Meridian.Safeguards.Streaming;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Screens an answer on the stream (<see cref="StreamScreener"/>): text is held back by a bounded window, redacted where
/// the policy says so, and a block ends the answer with an <c>error</c> event. Streaming and non-streaming answers go
/// through it alike. One per request.
/// </summary>
internal sealed class OutputScreeningBackend(IInferenceBackend inner, StreamScreener screener) : DelegatingBackend(inner)
{
    /// <summary>The output's verdict, as far as screened.</summary>
    public Verdict Verdict => screener.Verdict;

    /// <summary>Whether screening changed the answer's text (redacted or blocked): the upstream's own bytes may not be sent.</summary>
    public bool Altered => screener.Altered;

    public override IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, CancellationToken cancellationToken) =>
        screener.ScreenAsync(Inner.StreamAsync(call, cancellationToken), cancellationToken);
}
