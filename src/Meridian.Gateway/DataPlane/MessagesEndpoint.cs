using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Gateway.Auth;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Http;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.Routing;
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
public sealed partial class MessagesEndpoint(
    ApiKeyAuthenticator authenticator,
    RoutingSnapshotProvider snapshots,
    ReceiptWriter receipts,
    GatewayOptions options,
    TimeProvider time,
    ILogger<MessagesEndpoint> logger)
{
    private static ReadOnlySpan<byte> InputTokensPrefix => "{\"input_tokens\":"u8;

    public Task CreateAsync(HttpContext context) => HandleAsync(context, isCountTokens: false);

    public Task CountTokensAsync(HttpContext context) => HandleAsync(context, isCountTokens: true);

    private async Task HandleAsync(HttpContext context, bool isCountTokens)
    {
        if (!authenticator.TryAuthenticate(context.Request, out var key, out var authError))
        {
            await ErrorResponses.WriteAsync(context, authError);
            return;
        }

        var started = time.GetTimestamp();
        var outcome = new RequestOutcome(key, isCountTokens ? "count_tokens" : "messages");
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
            outcome.DurationMs = time.GetElapsedTime(started).TotalMilliseconds;
            await receipts.EnqueueAsync(outcome.ToReceipt(RequestIds.Of(context), time.GetUtcNow(), options.IngressRegion), CancellationToken.None);
        }
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
        if (!MessagesRequestParser.TryParse(ownedBody.Memory, isCountTokens, out var request, out var parseError))
        {
            await FailAsync(context, outcome, parseError);
            return;
        }

        using var ownedRequest = request;
        outcome.Streamed = request.Stream;
        var resolution = snapshots.Current.Resolve(outcome.Key, request.Model);
        if (resolution.Deployment is not { } deployment)
        {
            await FailAsync(context, outcome, resolution.Status == ModelResolutionStatus.NotPermitted
                ? ApiError.Permission($"This API key does not have access to model '{request.Model}'; it belongs to another resource of your organization.")
                : ApiError.NotFound($"model: {request.Model}"));
            return;
        }

        outcome.Deployment = deployment;
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

        var backend = snapshots.Current.Backends.Select(deployment);
        if (backend is null)
        {
            Log.NoEligibleBackend(logger, deployment.DeploymentId);
            await FailAsync(context, outcome, ApiError.Unavailable(
                "No backend inside this deployment's data boundary is available; the request was not sent anywhere else."));
            return;
        }

        outcome.Backend = backend;
        var call = new BackendCall(request, deployment.ModelId, RequestIds.New("msg_"));
        if (request.Stream)
        {
            await StreamAsync(context, backend, call, outcome);
        }
        else
        {
            await AnswerAsync(context, backend, call, outcome);
        }
    }

    private static async Task AnswerAsync(HttpContext context, RegisteredBackend backend, BackendCall call, RequestOutcome outcome)
    {
        var message = new MessageAggregate();
        try
        {
            await foreach (var streamEvent in backend.Client.StreamAsync(call, context.RequestAborted))
            {
                message.Apply(streamEvent);
                outcome.Observe(streamEvent);
            }
        }
        catch (BackendException ex)
        {
            await FailAsync(context, outcome, new ApiError(ex.Status, ex.ErrorType, ex.Message));
            return;
        }

        if (message.Error is { } error)
        {
            await FailAsync(context, outcome, new ApiError(ErrorTypes.StatusOf(error.ErrorType), error.ErrorType, error.Message));
            return;
        }

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        AnthropicJsonWriter.WriteMessage(response.BodyWriter, message);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
        outcome.Status = 200;
    }

    private static async Task StreamAsync(HttpContext context, RegisteredBackend backend, BackendCall call, RequestOutcome outcome)
    {
        var response = context.Response;
        var writer = response.BodyWriter;
        await using var events = backend.Client.StreamAsync(call, context.RequestAborted).GetAsyncEnumerator(context.RequestAborted);
        try
        {
            // Nothing is sent until the backend produced its first event, so a backend that fails to start
            // still gets a proper HTTP error status the SDKs can retry on.
            if (!await events.MoveNextAsync())
            {
                await FailAsync(context, outcome, ApiError.Internal("The backend ended the stream without an answer."));
                return;
            }
        }
        catch (BackendException ex)
        {
            await FailAsync(context, outcome, new ApiError(ex.Status, ex.ErrorType, ex.Message));
            return;
        }

        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["x-accel-buffering"] = "no";
        outcome.Status = 200;
        try
        {
            do
            {
                outcome.Observe(events.Current);
                SseFraming.Write(writer, events.Current);
                await writer.FlushAsync(context.RequestAborted);
            }
            while (await events.MoveNextAsync());
        }
        catch (Exception ex) when (ex is BackendException or HttpRequestException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            var failure = new ErrorEvent(ErrorTypes.Api, "The backend failed while streaming the answer.");
            outcome.Observe(failure);
            SseFraming.Write(writer, failure);
            await writer.FlushAsync(context.RequestAborted);
        }
    }

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
        return ErrorResponses.WriteAsync(context, error);
    }

    /// <summary>What happened to one request, gathered as it flows, for its receipt. One per request; not shared.</summary>
    private sealed class RequestOutcome(KeyRecord key, string endpoint)
    {
        public KeyRecord Key { get; } = key;

        public DeploymentRoute? Deployment { get; set; }

        public RegisteredBackend? Backend { get; set; }

        public bool Streamed { get; set; }

        public int Status { get; set; } = 500;

        public string? ErrorType { get; set; }

        public double DurationMs { get; set; }

        private Usage _usage;
        private string? _stopReason;

        public void Observe(StreamEvent streamEvent)
        {
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
            StopReason = _stopReason,
            InputTokens = _usage.InputTokens,
            OutputTokens = _usage.OutputTokens,
            CacheCreationInputTokens = _usage.CacheCreationInputTokens,
            CacheReadInputTokens = _usage.CacheReadInputTokens,
            DurationMs = DurationMs,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "No eligible backend for deployment {DeploymentId}; failing closed")]
        public static partial void NoEligibleBackend(ILogger logger, string deploymentId);
    }
}
