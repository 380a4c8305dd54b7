using System.Runtime.CompilerServices;
using Meridian.Core.Marketplace;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Backends;

/// <summary>
/// The innermost backend of a request's pipeline: the <see cref="BoundaryRouter"/> opens the answer on a backend inside
/// the deployment's boundary, failing over inside it before the first event, and a route that fails closed surfaces as a
/// <see cref="BackendException"/> with the error the client must see. Keeps the route (backend, attempts) for the
/// receipt and owns it: dispose when the request ends. One per request.
/// </summary>
internal sealed class RoutedBackend(BoundaryRouter router, DeploymentRoute deployment, BackendRegistry registry) : IInferenceBackend, IAsyncDisposable
{
    /// <summary>What the backends inside the boundary can do together.</summary>
    public BackendCapabilities Capabilities => registry.CapabilitiesOf(deployment);

    /// <summary>None here: the router itself considers only the backends able to express the request, and refuses when none is.</summary>
    public string? Refusal(MessagesRequest request) => null;

    /// <summary>The route, once opened: the answering backend and every attempt, or why it failed.</summary>
    public RoutedCall? Route { get; private set; }

    public async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var route = Route = await router.OpenAsync(deployment, registry, call, cancellationToken);
        if (route.Error is { } error)
        {
            throw new BackendException(error.Status, error.Type, error.Message);
        }

        var events = route.Events!;
        do
        {
            yield return events.Current;
        }
        while (await events.MoveNextAsync());
    }

    /// <summary>The answering backend failed after its first event: counts toward ejecting it (the answer cannot move).</summary>
    public void StreamFailed(DateTimeOffset now) => Route?.StreamFailed(now);

    public ValueTask DisposeAsync() => Route?.DisposeAsync() ?? ValueTask.CompletedTask;
}
