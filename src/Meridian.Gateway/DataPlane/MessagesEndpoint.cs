using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Http;
using Meridian.Gateway.Metering;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Routing;
using Meridian.Gateway.Safeguards;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Meridian.Storage.Control;

namespace Meridian.Gateway.DataPlane;

/// <summary>
/// <c>POST /v1/messages</c> and <c>/v1/messages/count_tokens</c>: authenticate, read and validate, resolve the
/// deployment, pick a backend inside the boundary (or fail closed), answer as SSE or JSON, and receipt the request.
/// </summary>
public sealed class MessagesEndpoint(
    ApiKeyAuthenticator authenticator,
    RoutingSnapshotProvider snapshots,
    BoundaryRouter router,
    MeteringService metering,
    RequestSafeguards safeguards,
    GatewayOptions options,
    TimeProvider time)
{
    /// <summary>On a served request: where it was processed (the backend's region, or a publisher's declared location).</summary>
    public const string ProcessingRegionHeader = "meridian-processing-region";

    private static ReadOnlySpan<byte> InputTokensPrefix => "{\"input_tokens\":"u8;

    public Task CreateAsync(HttpContext context) => HandleAsync(context, isCountTokens: false, AnthropicDialect.Instance);

    /// <summary>The same request path behind another door (OpenAI's chat completions): the dialect reads the body and writes the answers.</summary>
    public Task CreateAsync(HttpContext context, AnswerDialect dialect) => HandleAsync(context, isCountTokens: false, dialect);

    public Task CountTokensAsync(HttpContext context) => HandleAsync(context, isCountTokens: true, AnthropicDialect.Instance);

    private async Task HandleAsync(HttpContext context, bool isCountTokens, AnswerDialect dialect)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await dialect.WriteErrorAsync(context, authError, screening: null);
            return;
        }

        var started = time.GetTimestamp();
        var outcome = new RequestOutcome(key, isCountTokens ? "count_tokens" : dialect.Endpoint, dialect);
        outcome.BeforeCompletion = () => RecordAsync(context, outcome, started, durable: true);
        try
        {
            await ServeAsync(context, isCountTokens, outcome);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            outcome.Status = 499;
            outcome.ErrorType = "client_closed_request";
        }
        finally
        {
            await RecordAsync(context, outcome, started, durable: false);
        }
    }

    /// <summary>
    /// Receipts and meters the request, once: durably (committed) just before a complete answer's last byte, so a
    /// client that saw the whole answer has its usage in the ledger even if the process dies; otherwise at the end.
    /// </summary>
    private async Task RecordAsync(HttpContext context, RequestOutcome outcome, long started, bool durable)
    {
        if (outcome.Meter.Recorded)
        {
            return;
        }

        outcome.DurationMs = time.GetElapsedTime(started).TotalMilliseconds;
        var receipt = outcome.ToReceipt(RequestIds.Of(context), time.GetUtcNow(), options.IngressRegion);
        await metering.RecordAsync(outcome.Meter, RoutingReceipts.Complete(receipt, outcome.Deployment, outcome.Route),
            outcome.Key, outcome.Deployment, durable, context.RequestAborted);
    }

    private async Task ServeAsync(HttpContext context, bool isCountTokens, RequestOutcome outcome)
    {
        var aborted = context.RequestAborted;
        var (body, bodyError) = await RequestBody.ReadAsync(context, aborted);
        if (bodyError is not null)
        {
            await FailAsync(context, outcome, bodyError);
            return;
        }

        using var ownedBody = body!;
        if (outcome.Dialect.ReadRequest(ownedBody.Memory, out var messagesBody) is { } readError)
        {
            await FailAsync(context, outcome, readError);
            return;
        }

        if (!MessagesRequestParser.TryParse(messagesBody, isCountTokens, out var request, out var parseError))
        {
            await FailAsync(context, outcome, parseError);
            return;
        }

        using var ownedRequest = request;
        outcome.Streamed = request.Stream;
        if (outcome.Key.SuspendedAt is not null)
        {
            await FailAsync(context, outcome, ApiError.Permission("This API key has been suspended after a Trust & Safety review."));
            return;
        }

        var resolution = snapshots.Current.Resolve(outcome.Key, request.Model);
        if (resolution.Deployment is not { } deployment)
        {
            await FailAsync(context, outcome, resolution.Status == ModelResolutionStatus.NotPermitted
                ? ApiError.Permission($"This API key does not have access to model '{request.Model}'; it belongs to another resource of your organization.")
                : ApiError.NotFound($"model: {request.Model}"));
            return;
        }

        outcome.Deployment = deployment;
        if (deployment.SuspendedAt is not null)
        {
            await FailAsync(context, outcome, ApiError.Permission($"The deployment '{deployment.Name}' has been suspended after a Trust & Safety review."));
            return;
        }

        if (deployment.RefusedForRetention)
        {
            // Fail closed before anything is screened, routed or stored (docs/safeguards.md, "Retention modes"). A 403 is not
            // retried by the SDKs: only a change of the deployment's settings can make the request succeed.
            await FailAsync(context, outcome, ApiError.Permission(
                $"The deployment '{deployment.Name}' cannot serve requests: its offer requires flagged content to be retained for Trust & Safety review, "
                + "and the deployment's retention mode is 'none' without an operator exemption. Set its retention_mode to 'standard', or ask the operator for an exemption."));
            return;
        }

        if (isCountTokens)
        {
            await WriteTokenCountAsync(context, TokenCounter.CountInput(request));
            outcome.Status = 200;
            return;
        }

        if (request.MaxTokens > deployment.MaxOutputTokens)
        {
            await FailAsync(context, outcome, ApiError.InvalidRequest(
                $"max_tokens: {request.MaxTokens} > {deployment.MaxOutputTokens}, which is the maximum allowed number of output tokens for {deployment.ModelId}"));
            return;
        }

        // Budgets and quotas (deployment, key) before any backend is chosen; the reservation is settled at the end.
        if (await metering.AdmitAsync(context, outcome.Meter, outcome.Key, deployment, request) is { } refusal)
        {
            await FailAsync(context, outcome, refusal);
            return;
        }

        // Input is screened once the request is admitted and before any backend sees it; a block answers 400 naming the
        // policy, never the matched text. A flagged (or blocked) request opens a T&S case when it ends (Safeguards/).
        var guard = await safeguards.ScreenInputAsync(deployment, request, request.Body, aborted);
        outcome.Safeguards = guard;
        try
        {
            if (guard.Refusal is { } blocked)
            {
                await FailAsync(context, outcome, blocked);
                return;
            }

            await RouteAsync(context, request, deployment, guard, outcome);
        }
        finally
        {
            await guard.CompleteAsync(RequestIds.Of(context), outcome.Key, deployment);
        }
    }

    private async Task RouteAsync(HttpContext context, MessagesRequest request, DeploymentRoute deployment, SafeguardSession guard, RequestOutcome outcome)
    {
        // Only backends inside the deployment's boundary are tried, failing over among them before the first event;
        // nothing eligible and healthy fails closed (BoundaryRouter).
        var call = new BackendCall(request, deployment.ModelId, RequestIds.New("msg_"));
        await using var route = await router.OpenAsync(deployment, snapshots.Current.Backends, call, context.RequestAborted);
        outcome.Route = route;
        if (route.Error is { } routeError)
        {
            await FailAsync(context, outcome, routeError);
            return;
        }

        outcome.Backend = route.Backend;

        // Output is screened on the stream, for streaming and non-streaming answers alike; the screener starts on the
        // route's first event, which it passes through at once.
        await using var events = guard.Screen(route.Events!, context.RequestAborted);
        if (!await events.MoveNextAsync())
        {
            await FailAsync(context, outcome, ApiError.Internal("The backend produced no answer."));
            return;
        }

        if (request.Stream)
        {
            await StreamAsync(context, route, events, guard, outcome, time);
        }
        else
        {
            await AnswerAsync(context, route, events, guard, outcome, time);
        }
    }

    private static async Task AnswerAsync(
        HttpContext context, RoutedCall route, IAsyncEnumerator<StreamEvent> events, SafeguardSession guard, RequestOutcome outcome, TimeProvider time)
    {
        var message = new MessageAggregate();
        UpstreamMessageEvent? upstream = null;
        try
        {
            do
            {
                message.Apply(events.Current);
                outcome.Observe(events.Current);
                upstream = events.Current as UpstreamMessageEvent ?? upstream;
            }
            while (await events.MoveNextAsync());
        }
        catch (Exception ex) when (ex is BackendException or HttpRequestException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            route.StreamFailed(time.GetUtcNow());
            await FailAsync(context, outcome, ex is BackendException backendError
                ? new ApiError(backendError.Status, backendError.ErrorType, backendError.Message)
                : ApiError.Internal("The backend failed while producing the answer."));
            return;
        }

        if (message.Error is { } error)
        {
            await FailAsync(context, outcome, new ApiError(ErrorTypes.StatusOf(error.ErrorType), error.ErrorType, error.Message));
            return;
        }

        outcome.Status = 200;
        await outcome.CompleteAsync();
        var response = context.Response;
        response.StatusCode = 200;
        response.Headers[ProcessingRegionHeader] = HeaderSafe(route.Backend!.ProcessingLocation);
        if (guard.HeaderValue is { } verdict)
        {
            response.Headers[RequestSafeguards.Header] = verdict;
        }

        await outcome.Dialect.WriteMessageAsync(context, message, guard.OutputAltered ? null : upstream);

        outcome.Status = 200;
    }

    private static async Task StreamAsync(
        HttpContext context, RoutedCall route, IAsyncEnumerator<StreamEvent> events, SafeguardSession guard, RequestOutcome outcome, TimeProvider time)
    {
        var response = context.Response;
        var writer = response.BodyWriter;

        // The route holds the backend's first event: nothing was sent before it, so a backend that failed to start was
        // failed over (or its error answered with a proper HTTP status the SDKs can retry on).
        response.StatusCode = 200;
        response.Headers[ProcessingRegionHeader] = HeaderSafe(route.Backend!.ProcessingLocation);
        if (guard.HeaderValue is { } verdict)
        {
            // Headers go before the first event: on a stream they carry the input's verdict (the receipt has the whole).
            response.Headers[RequestSafeguards.Header] = verdict;
        }

        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["x-accel-buffering"] = "no";
        outcome.Status = 200;
        using var sse = outcome.Dialect.OpenStream(response, guard);
        try
        {
            do
            {
                outcome.Observe(events.Current);
                if (events.Current is MessageStopEvent)
                {
                    await outcome.CompleteAsync();
                }

                sse.Write(events.Current);
                await writer.FlushAsync(context.RequestAborted);
            }
            while (await events.MoveNextAsync());
        }
        catch (Exception ex) when (ex is BackendException or HttpRequestException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            route.StreamFailed(time.GetUtcNow());
            var failure = new ErrorEvent(ErrorTypes.Api, "The backend failed while streaming the answer.");
            outcome.Observe(failure);
            sse.Write(failure);
            await writer.FlushAsync(context.RequestAborted);
        }
    }

    /// <summary>A publisher's declared location is free text: percent-encode it unless it is printable ASCII.</summary>
    private static string HeaderSafe(string value) =>
        value.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E) ? Uri.EscapeDataString(value) : value;

    private static async Task WriteTokenCountAsync(HttpContext context, int inputTokens)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        var writer = response.BodyWriter;
        System.Buffers.BuffersExtensions.Write(writer, InputTokensPrefix);
        var span = writer.GetSpan(16);
        inputTokens.TryFormat(span, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        span[written++] = (byte)'}';
        writer.Advance(written);
        await writer.FlushAsync(context.RequestAborted);
    }

    private static Task FailAsync(HttpContext context, RequestOutcome outcome, ApiError error)
    {
        outcome.Status = error.Status;
        outcome.ErrorType = error.Type;
        return outcome.Dialect.WriteErrorAsync(context, error, outcome.Safeguards);
    }

    /// <summary>What happened to one request, gathered as it flows, for its receipt. One per request; not shared.</summary>
    private sealed class RequestOutcome(KeyRecord key, string endpoint, AnswerDialect dialect)
    {
        public KeyRecord Key { get; } = key;

        /// <summary>The door the request came in by: how its body is read and its answers written.</summary>
        public AnswerDialect Dialect { get; } = dialect;

        public DeploymentRoute? Deployment { get; set; }

        public RegisteredBackend? Backend { get; set; }

        public RoutedCall? Route { get; set; }

        /// <summary>Input and output screening (Safeguards/RequestSafeguards); null until the input was screened.</summary>
        public SafeguardSession? Safeguards { get; set; }

        public bool Streamed { get; set; }

        public int Status { get; set; } = 500;

        public string? ErrorType { get; set; }

        public double DurationMs { get; set; }

        /// <summary>Quota reservation and usage as the answer flows (Metering/RequestMeter).</summary>
        public RequestMeter Meter { get; } = new();

        /// <summary>Records the request durably; awaited just before the last byte of a complete answer.</summary>
        public Func<Task>? BeforeCompletion { get; set; }

        public Task CompleteAsync() => BeforeCompletion?.Invoke() ?? Task.CompletedTask;

        private Usage _usage;
        private string? _stopReason;

        public void Observe(StreamEvent streamEvent)
        {
            Meter.Observe(streamEvent);
            switch (streamEvent)
            {
                case MessageStartEvent start:
                    _usage = start.Usage;
                    break;
                case MessageDeltaEvent delta:
                    _stopReason = delta.StopReason;
                    _usage = _usage.MergeDelta(delta.Usage);
                    break;
                case ErrorEvent error:
                    ErrorType = error.ErrorType;
                    break;
                default:
                    break;
            }
        }

        public Receipt ToReceipt(string requestId, DateTimeOffset now, string ingressRegion) => new()
        {
            RequestId = requestId,
            CreatedAt = now,
            TenantId = Key.TenantId,
            KeyId = Key.KeyId,
            DeploymentId = Deployment?.DeploymentId,
            DeploymentName = Deployment?.Name,
            Model = Deployment?.ModelId,
            HostingOption = Deployment is null ? null : WireNames.Of(Deployment.Hosting),
            DeploymentType = Deployment?.Type is { } type ? WireNames.Of(type) : null,
            IngressRegion = ingressRegion,
            Backend = Backend is null ? null : $"{Backend.Placement.BackendId} ({Backend.Kind})",
            ProcessingRegion = Backend?.ProcessingLocation,
            StorageGeography = (Deployment?.ResourceRegion ?? Key.ResourceRegion).Geography,
            Endpoint = endpoint,
            Streamed = Streamed,
            Status = Status,
            ErrorType = ErrorType,
            SafeguardVerdict = Safeguards?.Compact ?? "not_screened",
            StopReason = _stopReason,
            InputTokens = _usage.InputTokens,
            OutputTokens = _usage.OutputTokens,
            CacheCreationInputTokens = _usage.CacheCreationInputTokens,
            CacheReadInputTokens = _usage.CacheReadInputTokens,
            DurationMs = DurationMs,
        };
    }

}
