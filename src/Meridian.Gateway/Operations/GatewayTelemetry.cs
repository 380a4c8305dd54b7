using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meridian.Core.Receipts;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Cluster;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.DataPlane;
using Meridian.Gateway.Snapshot;
using Meridian.Safeguards;

namespace Meridian.Gateway.Operations;

/// <summary>
/// What the data plane tells an operator's telemetry pipeline: one span per request named and tagged after the
/// OpenTelemetry GenAI semantic conventions plus Meridian's own attributes, and the request metrics (README,
/// "Operating Meridian"). Everything is read off the request's finished record, once, in <see cref="Completed"/>; the
/// spans of the stages in between start from <see cref="Source"/>.
/// <para>
/// Cost when nothing listens: <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and each
/// instrument's <c>Enabled</c> is false, so a request pays a few branches. Tags are only built for a span that records
/// (<see cref="Activity.IsAllDataRequested"/>). No attribute or tag ever holds prompt or answer text, a key or a token:
/// only ids, names, counts and verdict names. Thread-safe.
/// </para>
/// </summary>
internal sealed class GatewayTelemetry
{
    /// <summary>The spans of the request path (<c>meridian.*</c> children of the request's span).</summary>
    public static readonly ActivitySource Source = new(GatewayOptions.TelemetryName);

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _verdicts;
    private readonly Counter<long> _failClosed;
    private readonly Counter<long> _attempts;

    public GatewayTelemetry(IMeterFactory meters, GatewaySnapshotProvider snapshots, TimeProvider time, IServiceProvider services)
    {
        var meter = meters.Create(GatewayOptions.TelemetryName);
        _requests = meter.CreateCounter<long>("meridian.requests", "{request}", "Data-plane requests by endpoint, deployment, model and HTTP status");
        _duration = meter.CreateHistogram<double>("gen_ai.server.request.duration", "s", "Time from a request's arrival to its record (the answer's end)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });
        _timeToFirstToken = meter.CreateHistogram<double>("gen_ai.server.time_to_first_token", "s", "Time from a request's arrival to its first output token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0] });
        _tokens = meter.CreateCounter<long>("meridian.tokens", "{token}", "Tokens billed, by deployment, model and gen_ai.token.type (input, output)");
        _errors = meter.CreateCounter<long>("meridian.errors", "{request}", "Requests that ended in an error, by error.type and HTTP status");
        _verdicts = meter.CreateCounter<long>("meridian.safeguard.verdicts", "{verdict}", "Screened requests by safety category and action (category none: nothing found)");
        _failClosed = meter.CreateCounter<long>("meridian.fail_closed.refusals", "{request}", "Requests refused rather than risked, by reason");
        _attempts = meter.CreateCounter<long>("meridian.backend.attempts", "{attempt}", "Routing attempts per backend and outcome (ok, connect_error, http_5xx, …)");

        meter.CreateObservableGauge("meridian.backend.healthy", () => ObserveBackends(snapshots, time, b => b.Condition == BackendCondition.Healthy ? 1 : 0),
            description: "1 while a backend is neither ejected, probed down nor at its in-flight limit; 0 otherwise (condition tag says which)");
        meter.CreateObservableGauge("meridian.backend.in_flight", () => ObserveBackends(snapshots, time, b => b.State.InFlight), "{request}", "Requests in flight per backend");
        meter.CreateObservableGauge("meridian.backend.latency", () => ObserveBackendLatency(snapshots), "ms",
            "Moving average of a backend's time to first event, as the router balances on it");
        if (services.GetService<RedisQuotaCounter>() is { } redis)
        {
            meter.CreateObservableGauge("meridian.redis.fallback", () => redis.Degraded ? 1 : 0,
                description: "1 while Redis is unreachable and quotas are counted per node (limit / nodes)");
        }
    }

    /// <summary>Starts the request's span (null when nothing listens).</summary>
    public static Activity? StartRequest(string endpoint) =>
        Source.StartActivity(endpoint == MessagesEndpoint.CountTokensEndpoint ? "count_tokens" : "chat", ActivityKind.Internal);

    /// <summary>Tags the request's span and adds the request to the metrics, from its finished record.</summary>
    public void Completed(RequestExchange exchange, Receipt receipt)
    {
        var model = exchange.Request?.Model ?? "unknown";
        var deployment = receipt.DeploymentId ?? "none";
        if (exchange.Activity is { IsAllDataRequested: true } activity)
        {
            Tag(activity, exchange, receipt, model);
        }

        if (_requests.Enabled)
        {
            var tags = new TagList
            {
                { "meridian.endpoint", receipt.Endpoint },
                { "meridian.deployment", deployment },
                { "gen_ai.request.model", model },
                { "http.response.status_code", receipt.Status },
            };
            _requests.Add(1, tags);
        }

        if (_duration.Enabled)
        {
            _duration.Record(
                receipt.DurationMs / 1000,
                new KeyValuePair<string, object?>("gen_ai.operation.name", OperationOf(receipt)),
                new KeyValuePair<string, object?>("meridian.deployment", deployment),
                new KeyValuePair<string, object?>("error.type", receipt.ErrorType));
        }

        if (_timeToFirstToken.Enabled && exchange.Usage.FirstOutputAt is > 0 and var first)
        {
            _timeToFirstToken.Record(
                Stopwatch.GetElapsedTime(exchange.StartedAt, first).TotalSeconds,
                new KeyValuePair<string, object?>("meridian.deployment", deployment),
                new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }

        if (_tokens.Enabled && receipt.InputTokens + receipt.OutputTokens > 0)
        {
            _tokens.Add(receipt.InputTokens, new("meridian.deployment", deployment), new("gen_ai.request.model", model), new("gen_ai.token.type", "input"));
            _tokens.Add(receipt.OutputTokens, new("meridian.deployment", deployment), new("gen_ai.request.model", model), new("gen_ai.token.type", "output"));
        }

        if (receipt.ErrorType is { } errorType && _errors.Enabled)
        {
            _errors.Add(1, new KeyValuePair<string, object?>("error.type", errorType), new KeyValuePair<string, object?>("http.response.status_code", receipt.Status));
        }

        if (_verdicts.Enabled && exchange.Input?.Policy is not null && exchange.Verdict is { } verdict)
        {
            var action = SafeguardNames.Name(verdict.Action);
            if (verdict.Categories.Count == 0)
            {
                _verdicts.Add(1, new KeyValuePair<string, object?>("category", "none"), new KeyValuePair<string, object?>("action", action));
            }

            foreach (var category in verdict.Categories)
            {
                _verdicts.Add(1, new KeyValuePair<string, object?>("category", SafeguardNames.Name(category.Category)), new KeyValuePair<string, object?>("action", SafeguardNames.Name(category.Action)));
            }
        }

        if (_failClosed.Enabled && FailClosedReason(exchange, receipt) is { } reason)
        {
            _failClosed.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }

        if (_attempts.Enabled && receipt.Attempts is { } attempts)
        {
            foreach (var attempt in attempts)
            {
                _attempts.Add(1, new KeyValuePair<string, object?>("meridian.backend", attempt.Backend), new KeyValuePair<string, object?>("outcome", attempt.Outcome));
            }
        }
    }

    /// <summary>Why the request was refused rather than risked, or null when it was not (docs/safeguards.md, docs/receipts.md).</summary>
    private static string? FailClosedReason(RequestExchange exchange, Receipt receipt) =>
        exchange.FailClosed
        ?? (receipt.RoutingFailure is not null ? "no_backend_in_boundary"
        : exchange.Verdict is { IsBlocked: true, Unavailable.Count: > 0 } ? "classifier_unavailable"
        : null);

    private static string OperationOf(Receipt receipt) => receipt.Endpoint == MessagesEndpoint.CountTokensEndpoint ? "count_tokens" : "chat";

    private static void Tag(Activity activity, RequestExchange exchange, Receipt receipt, string model)
    {
        // GenAI semantic conventions (gen_ai.*), then Meridian's own (meridian.*). Names, ids and counts only.
        activity.DisplayName = OperationOf(receipt) + " " + model;
        activity.SetTag("gen_ai.operation.name", OperationOf(receipt));
        activity.SetTag("gen_ai.provider.name", "anthropic");
        activity.SetTag("gen_ai.request.model", model);
        if (exchange.Request is { } request && !exchange.IsCountTokens)
        {
            activity.SetTag("gen_ai.request.max_tokens", request.MaxTokens);
            activity.SetTag("gen_ai.request.stream", request.Stream);
        }

        if (receipt.Model is { } responseModel)
        {
            activity.SetTag("gen_ai.response.model", responseModel);
        }

        if (receipt.InputTokens + receipt.OutputTokens > 0)
        {
            activity.SetTag("gen_ai.usage.input_tokens", receipt.InputTokens);
            activity.SetTag("gen_ai.usage.output_tokens", receipt.OutputTokens);
        }

        if (receipt.StopReason is { } stopReason)
        {
            activity.SetTag("gen_ai.response.finish_reasons", new[] { stopReason });
        }

        activity.SetTag("meridian.request_id", receipt.RequestId);
        activity.SetTag("meridian.tenant.id", receipt.TenantId);
        activity.SetTag("meridian.resource.id", receipt.ResourceId);
        activity.SetTag("meridian.deployment.id", receipt.DeploymentId);
        activity.SetTag("meridian.deployment.name", receipt.DeploymentName);
        activity.SetTag("meridian.hosting_option", receipt.HostingOption);
        activity.SetTag("meridian.deployment_type", receipt.DeploymentType);
        activity.SetTag("meridian.ingress_region", receipt.IngressRegion);
        activity.SetTag("meridian.processing_region", receipt.ProcessingRegion);
        activity.SetTag("meridian.backend", receipt.Backend);
        activity.SetTag("meridian.safeguard.verdict", receipt.SafeguardVerdict);
        activity.SetTag("meridian.quota.outcome", QuotaOutcome(exchange, receipt));
        activity.SetTag("meridian.fail_closed", FailClosedReason(exchange, receipt));
        activity.SetTag("http.response.status_code", receipt.Status);
        if (receipt.ErrorType is { } errorType)
        {
            activity.SetTag("error.type", errorType);
            activity.SetStatus(receipt.Status >= 500 ? ActivityStatusCode.Error : ActivityStatusCode.Unset);
        }
    }

    /// <summary>admitted (a reservation was taken), refused (a quota or budget said no), or not_reached.</summary>
    private static string QuotaOutcome(RequestExchange exchange, Receipt receipt) =>
        exchange.Reservation is not null ? "admitted"
        : receipt.Status == 429 && receipt.ErrorType == Protocol.Errors.ErrorTypes.RateLimit ? "refused"
        : "not_reached";

    private static IEnumerable<Measurement<long>> ObserveBackends(GatewaySnapshotProvider snapshots, TimeProvider time, Func<(RegisteredBackend Backend, BackendState State, BackendCondition Condition), long> value)
    {
        var now = time.GetUtcNow();
        foreach (var backend in snapshots.Current.Backends.All.DistinctBy(b => b.Id))
        {
            var condition = backend.State.ConditionAt(now, backend.MaxInFlight);
            yield return new Measurement<long>(
                value((backend, backend.State, condition)),
                new KeyValuePair<string, object?>("meridian.backend", backend.Id),
                new KeyValuePair<string, object?>("condition", Name(condition)));
        }
    }

    private static string Name(BackendCondition condition) => condition switch
    {
        BackendCondition.Ejected => "ejected",
        BackendCondition.ProbeDown => "probe_down",
        BackendCondition.Overloaded => "overloaded",
        _ => "healthy",
    };

    private static IEnumerable<Measurement<double>> ObserveBackendLatency(GatewaySnapshotProvider snapshots)
    {
        foreach (var backend in snapshots.Current.Backends.All.DistinctBy(b => b.Id))
        {
            yield return new Measurement<double>(backend.State.LatencyMs, new KeyValuePair<string, object?>("meridian.backend", backend.Id));
        }
    }
}
