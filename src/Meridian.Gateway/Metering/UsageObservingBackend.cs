using System.Runtime.CompilerServices;
using Meridian.Protocol;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Metering;

/// <summary>
/// Feeds every event the backend produces into the request's <see cref="UsageMeter"/> before anything downstream
/// (screening) can change or stop it, so usage is what the backend generated. One per request.
/// </summary>
internal sealed class UsageObservingBackend(IInferenceBackend inner, UsageMeter meter) : DelegatingBackend(inner)
{
    public override async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var streamEvent in Inner.StreamAsync(call, cancellationToken).WithCancellation(cancellationToken))
        {
            meter.Observe(streamEvent);
            yield return streamEvent;
        }
    }
}
