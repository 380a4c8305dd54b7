using System.Diagnostics.Metrics;
using System.Text;
using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Gateway.Configuration;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Backends;

/// <summary>
/// Opens a request's answer on a backend inside the deployment's boundary, failing over — only to other backends of
/// the same eligible set — on connect errors, 5xx, 429 and 529, until one produces its first event. Nothing reaches
/// the client before that event, so a failover is invisible to it; after it, the answer is committed to that backend.
/// When no eligible backend can take the request it fails closed: 503 <c>api_error</c> when none is eligible at all,
/// 529 <c>overloaded_error</c> when eligible ones exist but none is healthy or under its limit, and the last attempt's
/// own error (its status, its type) when every eligible backend tried failed. Thread-safe.
/// </summary>
internal sealed partial class BoundaryRouter(BackendChooser chooser, ILogger<BoundaryRouter> logger, IMeterFactory? meters = null)
{
    private readonly Counter<long>? _ejections = meters?.Create(GatewayOptions.TelemetryName)
        .CreateCounter<long>("meridian.backend.ejections", "{ejection}", "Backends ejected by passive outlier detection (consecutive failed attempts)");

    /// <summary>How many rejected candidates an error message names before summarising the rest.</summary>
    private const int MaxNamed = 12;

    /// <summary>
    /// Callers are tenants: an error names only backends inside their deployment's boundary, never the operator's fleet
    /// outside it; the operator's dry run explains every backend.
    /// </summary>
    private const string OperatorsView = " The operator's dry run of the deployment (?dry_run=true) explains every backend.";

    public BackendChooser Chooser => chooser;

    /// <summary>
    /// Tries eligible backends until one has produced its first event. The result owns that backend's event stream
    /// (positioned on the first event) and its in-flight slot; dispose it when the answer is done.
    /// </summary>
    public async Task<RoutedCall> OpenAsync(DeploymentRoute deployment, BackendRegistry registry, BackendCall call, CancellationToken cancellationToken)
    {
        var set = registry.Eligible(deployment);
        var result = new RoutedCall(chooser.Options);
        if (set.Count == 0)
        {
            Log.NoEligibleBackend(logger, deployment.DeploymentId);
            return result.Failed(ApiError.Unavailable(NoneEligibleMessage(deployment, registry)));
        }

        // Only backends able to express the request are candidates; when none is, the client's request is at fault (400).
        var unable = Unable(set, call.Request, out var refusal);
        if (unable.Length == set.Count)
        {
            return result.Failed(ApiError.InvalidRequest(refusal!), settled: true);
        }

        var options = chooser.Options;
        var tried = new int[unable.Length + Math.Max(1, Math.Min(options.MaxAttempts, set.Count - unable.Length))];
        unable.CopyTo(tried, 0);
        var triedCount = unable.Length;
        ApiError? lastError = null;
        while (triedCount < tried.Length)
        {
            var index = chooser.Choose(set, tried.AsSpan(0, triedCount));
            if (index < 0)
            {
                break;
            }

            tried[triedCount++] = index;
            var backend = set.Backends[index];
            var (outcome, error) = await AttemptAsync(backend, call, result, cancellationToken);
            if (outcome is null)
            {
                return result;
            }

            lastError = error;

            var now = chooser.Time.GetUtcNow();
            backend.State.Traffic.Attempted(now, error: true);
            if (backend.State.Failed(now, options))
            {
                Log.Ejected(logger, backend.Id, backend.State.EjectedUntil ?? default);
                _ejections?.Add(1, new KeyValuePair<string, object?>("meridian.backend", backend.Id));
            }

            result.Attempted(backend, outcome);
            Log.AttemptFailed(logger, backend.Id, outcome, deployment.DeploymentId);
        }

        Log.AllUnavailable(logger, deployment.DeploymentId, triedCount);
        var unavailable = UnavailableMessage(deployment, set, result.Attempts);
        return result.Failed(lastError is null
            ? ApiError.Overloaded(unavailable)
            : lastError with { Message = lastError.Message.TrimEnd('.', ' ') + ". " + unavailable });
    }

    /// <summary>One attempt: a null outcome when it settled the request (an answer started, or an error the client must see), else the failure's name and error.</summary>
    private async Task<(string? Outcome, ApiError? Error)> AttemptAsync(RegisteredBackend backend, BackendCall call, RoutedCall result, CancellationToken cancellationToken)
    {
        var state = backend.State;
        state.Started();
        var started = chooser.Time.GetTimestamp();
        // The attempt's span is current while the backend's HTTP request starts, so that request carries its traceparent.
        using var span = Operations.GatewayTelemetry.Source.StartActivity("meridian.route.attempt");
        span?.SetTag("meridian.backend", backend.Id);
        span?.SetTag("meridian.processing_region", backend.ProcessingLocation);
        IAsyncEnumerator<StreamEvent>? events = null;
        var handedOver = false;
        try
        {
            events = backend.Client.StreamAsync(call, cancellationToken).GetAsyncEnumerator(cancellationToken);
            if (await events.MoveNextAsync())
            {
                state.Succeeded(chooser.Time.GetElapsedTime(started), chooser.Options.LatencyEwmaWeight);
                state.Traffic.Attempted(chooser.Time.GetUtcNow(), error: false);
                result.Attempted(backend, "ok");
                span?.SetTag("meridian.route.outcome", "ok");
                result.Opened(backend, events);
                handedOver = true;
                return (null, null);
            }

            span?.SetTag("meridian.route.outcome", "empty_stream");
            return ("empty_stream", new ApiError(502, ErrorTypes.Api, "The backend ended the stream without an answer."));
        }
        catch (BackendException ex) when (IsRetryable(ex.Status))
        {
            var outcome = ex.Unreachable ? "connect_error" : "http_" + ex.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            span?.SetTag("meridian.route.outcome", outcome);
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
            return (outcome, new ApiError(ex.Status, ex.ErrorType, ex.Message));
        }
        catch (BackendException ex)
        {
            // The request itself is at fault (too long, malformed for this model): another backend would say the same,
            // so it counts as traffic, not as the backend's error.
            state.Traffic.Attempted(chooser.Time.GetUtcNow(), error: false);
            result.Attempted(backend, "http_" + ex.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            result.Failed(new ApiError(ex.Status, ex.ErrorType, ex.Message), settled: true);
            return (null, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            span?.SetTag("meridian.route.outcome", "connect_error");
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
            return ("connect_error", ApiError.Unavailable("The upstream could not be reached."));
        }
        finally
        {
            if (!handedOver)
            {
                if (events is not null)
                {
                    await events.DisposeAsync();
                }

                state.Finished();
            }
        }
    }

    public static bool IsRetryable(int status) => status is 429 or 529 or >= 500;

    /// <summary>The indices of the backends that cannot express the request (IInferenceBackend.Refusal), and the first one's reason.</summary>
    private static int[] Unable(EligibleSet set, MessagesRequest request, out string? firstRefusal)
    {
        firstRefusal = null;
        if (request.Features.Items.Count == 0)
        {
            return [];
        }

        var unable = new List<int>();
        for (var i = 0; i < set.Count; i++)
        {
            if (set.Backends[i].Client.Refusal(request) is { } why)
            {
                firstRefusal ??= why;
                unable.Add(i);
            }
        }

        return [.. unable];
    }

    private static string NoneEligibleMessage(DeploymentRoute deployment, BackendRegistry registry)
    {
        var text = new StringBuilder()
            .Append("No backend inside this deployment's boundary (").Append(BoundaryExplanation.DescribeBoundary(deployment)).Append(") serves model ")
            .Append(deployment.ModelId).Append("; the request was not sent anywhere else.");
        var named = 0;
        foreach (var backend in registry.All)
        {
            // Inside the boundary but unable (another model): named. Outside it: never shown to the tenant.
            if (BoundaryExplanation.Explain(deployment, backend.Placement) != BoundaryRejection.None || backend.RejectionFor(deployment) is not { } why)
            {
                continue;
            }

            text.Append(named == 0 ? " Inside it: " : "; ");
            if (named++ >= MaxNamed)
            {
                text.Append('…');
                break;
            }

            text.Append(backend.Id).Append(": ").Append(why);
        }

        return text.Append(named > 0 ? "." : string.Empty).Append(OperatorsView).ToString();
    }

    private string UnavailableMessage(DeploymentRoute deployment, EligibleSet set, IReadOnlyList<RouteAttempt> attempts)
    {
        var text = new StringBuilder()
            .Append("No backend inside this deployment's boundary (").Append(BoundaryExplanation.DescribeBoundary(deployment))
            .Append(") can take the request now; it was not sent anywhere else. Candidates: ");
        var now = chooser.Time.GetUtcNow();
        var named = 0;
        foreach (var backend in set.Backends)
        {
            if (named++ >= MaxNamed)
            {
                text.Append("…; ");
                break;
            }

            var attempt = attempts.FirstOrDefault(a => a.Backend == backend.Id);
            text.Append(backend.Id).Append(": ").Append(attempt is not null
                ? "failed (" + attempt.Outcome + ")"
                : Describe(backend.State.ConditionAt(now, backend.MaxInFlight))).Append("; ");
        }

        text.Length -= 2;
        text.Append('.');
        return text.ToString();
    }

    public static string Describe(BackendCondition condition) => condition switch
    {
        BackendCondition.Ejected => "unhealthy (ejected after failures)",
        BackendCondition.ProbeDown => "unhealthy (health probe failed)",
        BackendCondition.Overloaded => "overloaded (at its in-flight limit)",
        _ => "healthy",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "No eligible backend for deployment {DeploymentId}; failing closed")]
        public static partial void NoEligibleBackend(ILogger logger, string deploymentId);

        [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Backend {BackendId} failed ({Outcome}) for deployment {DeploymentId}; failing over inside the boundary")]
        public static partial void AttemptFailed(ILogger logger, string backendId, string outcome, string deploymentId);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Backend {BackendId} ejected until {Until:O} after consecutive failures")]
        public static partial void Ejected(ILogger logger, string backendId, DateTimeOffset until);

        [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "No eligible backend of deployment {DeploymentId} could take the request ({Tried} tried); failing closed")]
        public static partial void AllUnavailable(ILogger logger, string deploymentId, int tried);
    }
}

/// <summary>
/// One request's route: the backend that answers and its event stream (positioned on the first event), or the error
/// that closed it; and every attempt, for the receipt. Owns the backend's in-flight slot until disposed. Not shared.
/// </summary>
internal sealed class RoutedCall(RoutingOptions options) : IAsyncDisposable
{
    private readonly List<RouteAttempt> _attempts = new(1);
    private bool _disposed;

    /// <summary>The backend answering; null when the route failed.</summary>
    public RegisteredBackend? Backend { get; private set; }

    /// <summary>Its events, <see cref="IAsyncEnumerator{T}.Current"/> being the first; null when the route failed.</summary>
    public IAsyncEnumerator<StreamEvent>? Events { get; private set; }

    public ApiError? Error { get; private set; }

    /// <summary>Why no backend processed the request, for the receipt; null on success and for the client's own errors.</summary>
    public string? Failure { get; private set; }

    public IReadOnlyList<RouteAttempt> Attempts => _attempts;

    /// <summary>The operators (<c>platform</c> or a publisher id) the request's content was sent to.</summary>
    public IEnumerable<string> ContentOperators => _attempts.Select(a => a.Operator).Distinct(StringComparer.Ordinal);

    /// <summary>The chosen backend failed after its first event: counts toward ejecting it (the answer cannot move).</summary>
    public void StreamFailed(DateTimeOffset now)
    {
        if (Backend is { } backend)
        {
            backend.State.Traffic.FailedAfterStart(now);
            backend.State.Failed(now, options);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (Events is { } events)
        {
            await events.DisposeAsync();
            Backend!.State.Finished();
        }
    }

    internal void Attempted(RegisteredBackend backend, string outcome)
    {
        _attempts.Add(new RouteAttempt(backend.Id, backend.ProcessingLocation, backend.Placement.DataZone, backend.Placement.OperatedBy, outcome));
    }

    internal void Opened(RegisteredBackend backend, IAsyncEnumerator<StreamEvent> events)
    {
        Backend = backend;
        Events = events;
    }

    internal RoutedCall Failed(ApiError error, bool settled = false)
    {
        Error = error;
        Failure = settled ? null : error.Message;
        return this;
    }
}
