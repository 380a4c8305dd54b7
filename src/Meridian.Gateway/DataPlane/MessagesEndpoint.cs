using Meridian.Core.Marketplace;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Http;
using Meridian.Gateway.Metering;
using Meridian.Gateway.Operations;
using Meridian.Gateway.Records;
using Meridian.Gateway.Safeguards;
using Meridian.Gateway.Snapshot;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// <c>POST /v1/messages</c> and <c>/v1/messages/count_tokens</c> (and the other doors onto the same path, such as OpenAI's
/// chat completions, through an <see cref="AnswerDialect"/>): one <see cref="RequestExchange"/> per request, taken
/// through a short ordered list of stages — cheap refusals first, then counting, reserving, screening, and the answer
/// from a backend pipeline (route inside the boundary → usage metering → review capture → output screening) driven into
/// SSE or JSON — and one record when it ends (<see cref="RequestRecordBuilder"/>, <see cref="RecordWriter"/>).
/// </summary>
internal sealed class MessagesEndpoint
{
    public const string MessagesEndpointName = "messages";
    public const string CountTokensEndpoint = "count_tokens";

    /// <summary>On a served request: where it was processed (the backend's region, or a publisher's declared location).</summary>
    public const string ProcessingRegionHeader = "meridian-processing-region";

    private static ReadOnlySpan<byte> InputTokensPrefix => "{\"input_tokens\":"u8;

    private readonly ApiKeyAuthenticator _authenticator;
    private readonly GatewaySnapshotProvider _snapshots;
    private readonly BoundaryRouter _router;
    private readonly AdmissionControl _admission;
    private readonly RequestSafeguards _safeguards;
    private readonly RequestRecordBuilder _records;
    private readonly RecordWriter _writer;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly BodyMemoryBudget _bodies;
    private readonly KeyConcurrency _concurrency;
    private readonly NodeConcurrency _nodeConcurrency;
    private readonly GatewayTelemetry _telemetry;

    /// <summary>The stages of a request, in order; each returns the refusal that ends the request, or null to go on.</summary>
    private readonly Stage[] _messageStages;
    private readonly Stage[] _countTokensStages;

    private delegate ValueTask<ApiError?> Stage(RequestExchange exchange);

    public MessagesEndpoint(
        ApiKeyAuthenticator authenticator,
        GatewaySnapshotProvider snapshots,
        BoundaryRouter router,
        AdmissionControl admission,
        RequestSafeguards safeguards,
        RequestRecordBuilder records,
        RecordWriter writer,
        GatewayOptions options,
        BodyMemoryBudget bodies,
        KeyConcurrency concurrency,
        NodeConcurrency nodeConcurrency,
        GatewayTelemetry telemetry,
        TimeProvider time)
    {
        _telemetry = telemetry;
        _concurrency = concurrency;
        _nodeConcurrency = nodeConcurrency;
        _bodies = bodies;
        _authenticator = authenticator;
        _snapshots = snapshots;
        _router = router;
        _admission = admission;
        _safeguards = safeguards;
        _records = records;
        _writer = writer;
        _options = options;
        _time = time;
        _messageStages = [ReadBodyAsync, Parse, Resolve, AdmitIngress, RefuseEarly, CountInput, FitContextWindow, ReserveAsync, ScreenInputAsync, AnswerAsync];
        _countTokensStages = [ReadBodyAsync, Parse, Resolve, AdmitIngress, RefuseEarly, ReserveCountTokensAsync, CountInput, WriteTokenCountAsync];
    }

    public Task CreateAsync(HttpContext context) => CreateAsync(context, AnthropicDialect.Instance);

    /// <summary>A Messages request that came in through another door (<see cref="AnswerDialect"/>): the same path, that door's wire.</summary>
    public Task CreateAsync(HttpContext context, AnswerDialect dialect) => HandleAsync(context, dialect, dialect.Endpoint, _messageStages);

    public Task CountTokensAsync(HttpContext context) => HandleAsync(context, AnthropicDialect.Instance, CountTokensEndpoint, _countTokensStages);

    private async Task HandleAsync(HttpContext context, AnswerDialect dialect, string endpoint, Stage[] stages)
    {
        var snapshot = _snapshots.Current;
        if (!_authenticator.TryAuthenticate(context.Request, snapshot, out var key, out var authError))
        {
            await dialect.WriteErrorAsync(context, authError, blockedBySafeguard: false);
            return;
        }

        using var activity = GatewayTelemetry.StartRequest(endpoint);
        await using var exchange = new RequestExchange(context, snapshot, key, dialect, endpoint, _time.GetTimestamp()) { Activity = activity };
        if (!_concurrency.TryEnter(key.KeyId))
        {
            await FailAsync(exchange, new ApiError(429, ErrorTypes.RateLimit,
                $"This API key has {_concurrency.Limit} requests in flight on this node, its limit: wait for one to finish."));
            await RecordAsync(exchange, durable: false);
            return;
        }

        if (!_nodeConcurrency.TryEnter())
        {
            _concurrency.Exit(key.KeyId);
            context.Response.Headers.RetryAfter = "1";
            await FailAsync(exchange, ApiError.Overloaded(
                $"This gateway node has {_nodeConcurrency.Limit} requests in flight, its limit: retry shortly (another node may take it)."));
            await RecordAsync(exchange, durable: false);
            return;
        }

        try
        {
            foreach (var stage in stages)
            {
                if (await stage(exchange) is { } refusal)
                {
                    await FailAsync(exchange, refusal);
                    break;
                }
            }
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            // Answered and receipted alike: what the wire says is what the receipt records.
            await FailAsync(exchange, ErrorHandlingMiddleware.Unreadable(ex));
        }
        catch (WorkBudgetExceededException)
        {
            exchange.FailClosed = "work_budget";
            // Fail closed: the request is refused whole, before any backend saw it, and its record says so.
            await FailAsync(exchange, WorkBudgetRefusal(exchange));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            exchange.ClientAborted = true;
            exchange.Status = 499;
            exchange.ErrorType = "client_closed_request";
        }
        finally
        {
            _nodeConcurrency.Exit();
            _concurrency.Exit(key.KeyId);
            await RecordAsync(exchange, durable: false);
        }
    }

    /// <summary>
    /// Builds the request's one record and hands it to the writer, once: durably (committed) just before a complete
    /// answer's last byte, so a client that saw the whole answer has its usage in the ledger even if the process dies;
    /// otherwise when the request ends. The quota reservation is settled with what the record bills.
    /// </summary>
    private async Task RecordAsync(RequestExchange exchange, bool durable)
    {
        if (exchange.Recorded)
        {
            return;
        }

        exchange.Recorded = true;
        var record = _records.Build(exchange);
        _telemetry.Completed(exchange, record.Receipt);
        exchange.Capture?.Clear();
        await _admission.SettleAsync(exchange.Reservation, record.Usage?.Tokens);
        if (durable)
        {
            using var commit = GatewayTelemetry.Source.StartActivity("meridian.record.commit");
            await _writer.WriteDurablyAsync(record, exchange.Aborted);
        }
        else
        {
            await _writer.EnqueueAsync(record);
        }
    }

    private async ValueTask<ApiError?> ReadBodyAsync(RequestExchange exchange)
    {
        var (body, error) = await RequestBody.ReadAsync(exchange.Http, _bodies, exchange.Aborted);
        exchange.Body = body;
        return error;
    }

    private static ValueTask<ApiError?> Parse(RequestExchange exchange)
    {
        // A door other than Messages translates its body first; what comes out is validated like any Messages body.
        if (exchange.Dialect.ReadRequest(exchange.Body!.Memory, out var messagesBody) is { } untranslatable)
        {
            return ValueTask.FromResult<ApiError?>(untranslatable);
        }

        if (!MessagesRequestParser.TryParse(messagesBody, exchange.IsCountTokens, out var request, out var error))
        {
            return ValueTask.FromResult<ApiError?>(error);
        }

        exchange.Request = request;
        request.PassThrough = ClientHeaders.PassThroughOf(exchange.Http.Request); // for Anthropic upstreams (Backends/ClientHeaders.cs)
        exchange.Streamed = request.Stream;
        return ValueTask.FromResult<ApiError?>(null);
    }

    /// <summary>The deployment the caller named, and what refuses it before anything is counted, screened or routed.</summary>
    private ValueTask<ApiError?> Resolve(RequestExchange exchange)
    {
        var key = exchange.Key;
        var request = exchange.Request!;
        if (key.Suspension is { } keySuspension)
        {
            return Refuse(ApiError.Permission(SuspendedKeyMessage(keySuspension)));
        }

        var resolution = exchange.Snapshot.Resolve(key, request.Model);
        if (resolution.Deployment is not { } deployment)
        {
            return Refuse(RefusalOf(resolution, request.Model, key.ResourceId));
        }

        exchange.Deployment = deployment;
        if (deployment.Suspension is not null)
        {
            return Refuse(ApiError.Permission(
                $"The deployment '{deployment.Name}' has been suspended after a Trust & Safety review; only a Trust & Safety decision can lift it."));
        }

        if (deployment.RefusedForRetentionAt(_time.GetUtcNow()))
        {
            exchange.FailClosed = "retention_mode";
            // Fail closed before anything is screened, routed or stored (docs/safeguards.md, "Retention modes"). A 403 is not
            // retried by the SDKs: only a change of the deployment's settings can make the request succeed.
            return Refuse(ApiError.Permission(
                $"The deployment '{deployment.Name}' cannot serve requests: its offer requires flagged content to be retained for Trust & Safety review, "
                + "and the deployment's retention mode is 'none' without an operator exemption. Set its retention_mode to 'standard', or ask the operator for an exemption."));
        }

        if (!exchange.IsCountTokens && request.MaxTokens > deployment.MaxOutputTokens)
        {
            return Refuse(ApiError.InvalidRequest(
                $"max_tokens: {request.MaxTokens} > {deployment.MaxOutputTokens}, which is the maximum allowed number of output tokens for {deployment.ModelId}"));
        }

        return ValueTask.FromResult<ApiError?>(null);
    }

    /// <summary>
    /// Ingress is part of the boundary (<see cref="Core.Marketplace.Boundary.Ingress"/>): a request for a DataZone or
    /// Regional deployment that came in at a node outside its boundary is refused here, before its content is counted,
    /// screened or sent anywhere, unless the operator allowed this ingress for the deployment.
    /// </summary>
    private ValueTask<ApiError?> AdmitIngress(RequestExchange exchange)
    {
        var deployment = exchange.Deployment!;
        var world = exchange.Snapshot.World;
        var ingressRegion = _options.IngressRegion;
        exchange.IngressDataZone = world.TryGetRegion(ingressRegion, out var region) ? region.DataZone : null;
        exchange.Ingress = Core.Marketplace.Boundary.Ingress(deployment, ingressRegion, exchange.IngressDataZone);
        if (exchange.Ingress != IngressDecision.Refused)
        {
            return ValueTask.FromResult<ApiError?>(null);
        }

        exchange.FailClosed = "ingress_outside_boundary";

        return Refuse(ApiError.Permission(
            $"The deployment '{deployment.Name}' keeps its data in {BoundaryExplanation.DescribeBoundary(deployment)}, "
            + $"and this gateway node takes requests in at {ingressRegion}, outside it: the request was refused before its content was screened or sent anywhere. "
            + $"Call a Meridian node in {string.Join(", ", Core.Marketplace.Boundary.IngressRegionsInside(deployment, world))}."));
    }

    /// <summary>What the caller is told: which of its identities is suspended, and that the tenant cannot undo it (403 is not retried).</summary>
    private static string SuspendedKeyMessage(Suspension suspension) => suspension.Scope switch
    {
        SuspensionScope.Tenant => "This API key's tenant has been suspended after a Trust & Safety review; only a Trust & Safety decision can lift it.",
        SuspensionScope.Resource => "This API key's resource has been suspended after a Trust & Safety review; only a Trust & Safety decision can lift it.",
        _ => "This API key has been suspended after a Trust & Safety review; only a Trust & Safety decision can lift it.",
    };

    /// <summary>Budgets, and quota buckets already seen empty: refused before the request's text is counted.</summary>
    private ValueTask<ApiError?> RefuseEarly(RequestExchange exchange) =>
        ValueTask.FromResult(_admission.RefuseEarly(exchange.Http.Response, exchange.Snapshot, exchange.Key, exchange.Deployment!, exchange.IsCountTokens));

    /// <summary>
    /// The request's input, counted once: the quota estimate, <c>count_tokens</c>' answer, and the bill when the backend
    /// reports no count. The request's work budget starts here, sized by its body, and screening draws on the rest.
    /// </summary>
    private ValueTask<ApiError?> CountInput(RequestExchange exchange)
    {
        exchange.Work = new WorkBudget(_options.WorkUnitsFor(exchange.Body!.Length), exchange.Aborted);
        exchange.Usage.CountedInputTokens = TokenCounter.CountInput(exchange.Request!, exchange.Work);
        return ValueTask.FromResult<ApiError?>(null);
    }

    /// <summary>The refusal of a request over its work budget (docs/messages-api.md, "Work budget").</summary>
    private static ApiError WorkBudgetRefusal(RequestExchange exchange) => ApiError.TooLarge(
        $"The request needs more work to count and screen than this gateway allows for a body of {exchange.Body?.Length ?? 0} bytes "
        + $"({exchange.Work?.Limit ?? 0} work units); it was not sent to any model. Shorten or split its content.");

    /// <summary>Input longer than the model's context window is refused as Anthropic refuses it, before any quota is taken.</summary>
    private static ValueTask<ApiError?> FitContextWindow(RequestExchange exchange) =>
        ValueTask.FromResult(ModelLimits.Check(exchange.Request!, exchange.Usage.CountedInputTokens, exchange.Deployment!.ContextWindow));

    private async ValueTask<ApiError?> ReserveAsync(RequestExchange exchange)
    {
        var (refusal, reservation) = await _admission.ReserveAsync(
            exchange.Http.Response, exchange.Snapshot, exchange.Key, exchange.Deployment!, exchange.Usage.CountedInputTokens, exchange.Request!.MaxTokens, exchange.Aborted);
        exchange.Reservation = reservation;
        return refusal;
    }

    private ValueTask<ApiError?> ReserveCountTokensAsync(RequestExchange exchange) =>
        _admission.ReserveCountTokensAsync(exchange.Http.Response, exchange.Snapshot, exchange.Key, exchange.Deployment!, exchange.Aborted);

    /// <summary>
    /// Screens the input once the request is admitted and before any backend sees it; a block answers 400 naming the
    /// policy, never the matched text. A flagged (or blocked) request gets a case in its record.
    /// </summary>
    private async ValueTask<ApiError?> ScreenInputAsync(RequestExchange exchange)
    {
        using (var screening = GatewayTelemetry.Source.StartActivity("meridian.screen_input"))
        {
            exchange.Input = await _safeguards.ScreenInputAsync(exchange.Deployment!, exchange.Snapshot.World, exchange.Request!, exchange.Work, exchange.Aborted);
            if (screening is { IsAllDataRequested: true })
            {
                screening.SetTag("meridian.safeguard.policy", exchange.Input.Policy?.Name);
                screening.SetTag("meridian.safeguard.verdict", exchange.Input.Verdict.Compact);
            }
        }

        if (exchange.Input.Policy is null && exchange.Input.Refusal is not null)
        {
            exchange.FailClosed = "safeguard_policy_missing";
        }

        return exchange.Input.Refusal;
    }

    private static async ValueTask<ApiError?> WriteTokenCountAsync(RequestExchange exchange)
    {
        var response = exchange.Http.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        var writer = response.BodyWriter;
        System.Buffers.BuffersExtensions.Write(writer, InputTokensPrefix);
        var span = writer.GetSpan(16);
        exchange.Usage.CountedInputTokens.TryFormat(span, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        span[written++] = (byte)'}';
        writer.Advance(written);
        exchange.Status = 200;
        await writer.FlushAsync(exchange.Aborted);
        return null;
    }

    /// <summary>
    /// The answer: the backend pipeline for this request, from the route inside the boundary outward. Usage is metered on
    /// what the backend produced, the review copy is taken before redaction, and screening comes last, so the client gets
    /// only screened text. Nothing is sent before the first event, so a route that failed closed (or a backend that failed
    /// before answering) becomes a proper HTTP error the SDKs can act on.
    /// </summary>
    private async ValueTask<ApiError?> AnswerAsync(RequestExchange exchange)
    {
        var deployment = exchange.Deployment!;
        IInferenceBackend backend = exchange.Routed = new RoutedBackend(_router, deployment, exchange.Snapshot.Backends);
        backend = new UsageObservingBackend(backend, exchange.Usage);
        exchange.Capture = _safeguards.CaptureForReview(backend, deployment);
        backend = exchange.Capture ?? backend;
        backend = exchange.Output = _safeguards.ScreenOutput(backend, exchange.Input!);

        var call = new BackendCall(exchange.Request!, deployment.ModelId, RequestIds.New("msg_", _time.GetUtcNow())) { CountedInputTokens = exchange.Usage.CountedInputTokens };
        // The upstream call, from routing (one meridian.route.attempt child per backend tried) to the answer's last event.
        using var upstream = GatewayTelemetry.Source.StartActivity("meridian.upstream", System.Diagnostics.ActivityKind.Internal);
        await using var events = backend.StreamAsync(call, exchange.Aborted).GetAsyncEnumerator(exchange.Aborted);
        try
        {
            if (!await events.MoveNextAsync())
            {
                return ApiError.Internal("The backend produced no answer.");
            }
        }
        catch (BackendException ex)
        {
            return new ApiError(ex.Status, ex.ErrorType, ex.Message);
        }

        if (exchange.Request!.Stream)
        {
            await StreamAsync(exchange, events);
            return null;
        }

        return await AnswerJsonAsync(exchange, events);
    }

    private async ValueTask<ApiError?> AnswerJsonAsync(RequestExchange exchange, IAsyncEnumerator<StreamEvent> events)
    {
        var message = new MessageAggregate();
        UpstreamMessageEvent? upstream = null;
        try
        {
            do
            {
                message.Apply(events.Current);
                upstream = events.Current as UpstreamMessageEvent ?? upstream;
            }
            while (await events.MoveNextAsync());
        }
        catch (Exception ex) when (ex is BackendException or HttpRequestException or IOException && !exchange.Aborted.IsCancellationRequested)
        {
            exchange.BackendFailed = true;
            exchange.Routed!.StreamFailed(_time.GetUtcNow());
            return ex is BackendException backendError
                ? new ApiError(backendError.Status, backendError.ErrorType, backendError.Message)
                : ApiError.Internal("The backend failed while producing the answer.");
        }

        if (message.Error is { } error)
        {
            exchange.BackendFailed = exchange.Output?.Verdict.IsBlocked != true;
            return new ApiError(ErrorTypes.StatusOf(error.ErrorType), error.ErrorType, error.Message);
        }

        exchange.Status = 200;
        await RecordAsync(exchange, durable: true);
        exchange.Http.Response.StatusCode = 200;
        WriteAnswerHeaders(exchange);
        // Screening let the text through as it was: the upstream's own bytes may be the answer (no second serialization).
        await exchange.Dialect.WriteMessageAsync(exchange.Http, message, exchange.Output?.Altered == true ? null : upstream);
        return null;
    }

    private async Task StreamAsync(RequestExchange exchange, IAsyncEnumerator<StreamEvent> events)
    {
        var response = exchange.Http.Response;
        var writer = response.BodyWriter;

        // Headers go before the first event: on a stream they carry the input's verdict (the receipt has the whole).
        response.StatusCode = 200;
        WriteAnswerHeaders(exchange);
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["x-accel-buffering"] = "no";
        exchange.Status = 200;
        using var sse = exchange.Dialect.OpenStream(response, () => exchange.BlockedBySafeguard);
        try
        {
            do
            {
                switch (events.Current)
                {
                    case MessageStopEvent:
                        await RecordAsync(exchange, durable: true);
                        break;
                    case ErrorEvent error:
                        exchange.ErrorType = error.ErrorType;
                        exchange.BackendFailed = exchange.Output?.Verdict.IsBlocked != true;
                        break;
                    default:
                        break;
                }

                sse.Write(events.Current);
                await writer.FlushAsync(exchange.Aborted);
            }
            while (await events.MoveNextAsync());
        }
        catch (Exception ex) when (ex is BackendException or HttpRequestException or IOException && !exchange.Aborted.IsCancellationRequested)
        {
            exchange.BackendFailed = true;
            exchange.Routed!.StreamFailed(_time.GetUtcNow());
            var failure = new ErrorEvent(ErrorTypes.Api, "The backend failed while streaming the answer.");
            exchange.ErrorType = failure.ErrorType;
            sse.Write(failure);
            await writer.FlushAsync(exchange.Aborted);
        }
    }

    private static void WriteAnswerHeaders(RequestExchange exchange)
    {
        var headers = exchange.Http.Response.Headers;
        headers[ProcessingRegionHeader] = HeaderSafe(exchange.Routed!.Route!.Backend!.ProcessingLocation);
        WriteVerdictHeader(exchange);
    }

    /// <summary>Any screening verdict other than allow, on the answer or refusal (docs/safeguards.md).</summary>
    private static void WriteVerdictHeader(RequestExchange exchange)
    {
        if (exchange.Input?.Policy is not null && exchange.Verdict is { } verdict && verdict.Action != Meridian.Safeguards.SafeguardAction.Allow)
        {
            exchange.Http.Response.Headers[RequestSafeguards.Header] = verdict.Compact;
        }
    }

    /// <summary>A publisher's declared location is free text: percent-encode it unless it is printable ASCII.</summary>
    private static string HeaderSafe(string value) =>
        value.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E) ? Uri.EscapeDataString(value) : value;

    /// <summary>Why a <c>model</c> reaches no deployment, as the caller is told.</summary>
    internal static ApiError RefusalOf(ModelResolution resolution, string model, string resourceId) => resolution.Status switch
    {
        ModelResolutionStatus.NotPermitted =>
            ApiError.Permission($"This API key does not have access to model '{model}'; it belongs to another resource of your organization."),
        ModelResolutionStatus.NoDefault => ApiError.InvalidRequest(
            $"model: '{model}' is served by {(resolution.Candidates.Count == 1 ? "a deployment" : "several deployments")} of this resource but none is its default, "
            + $"so it is not sent anywhere on a guess. Call a deployment by its name: {string.Join("; ", resolution.Candidates.Select(Describe))}. "
            + $"Or make one the default (PUT /admin/v1/resources/{resourceId}/model-defaults/{model})."),
        _ => ApiError.NotFound($"model: {model}"),
    };

    private static string Describe(Core.Marketplace.DeploymentRoute d) =>
        $"'{d.Name}' ({BoundaryExplanation.DescribeBoundary(d)})";

    private static Task FailAsync(RequestExchange exchange, ApiError error)
    {
        exchange.Status = error.Status;
        exchange.ErrorType = error.Type;
        // A refusal after screening says what screening found, as an answer does (a blocked request above all).
        if (!exchange.Http.Response.HasStarted)
        {
            WriteVerdictHeader(exchange);
        }

        return exchange.Dialect.WriteErrorAsync(exchange.Http, error, exchange.BlockedBySafeguard);
    }

    private static ValueTask<ApiError?> Refuse(ApiError error) => ValueTask.FromResult<ApiError?>(error);
}
