using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meridian.Simulator.Hosting;

/// <summary>
/// The simulator's HTTP handlers. Every response carries a <c>request-id</c>; every error has Anthropic's shape.
/// Bodies are written straight into the response's <see cref="PipeWriter"/>, and each SSE event is flushed as soon
/// as it is framed so clients see tokens as they are "generated".
/// </summary>
internal sealed partial class SimulatorEndpoints(SimulatorBackend backend, string modelId, ILogger logger)
{
    private const string JsonContentType = "application/json";
    private const string EventStreamContentType = "text/event-stream";
    private const string ModelDisplayName = "Meridian Simulator";
    private const string ModelCreatedAt = "2025-01-01T00:00:00Z";
    private const int DefaultModelsLimit = 20;
    private const int MaxModelsLimit = 1000;
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public async Task CreateMessageAsync(HttpContext context)
    {
        if (!await AuthenticateAsync(context) || await ReadBodyAsync(context) is not { } body)
        {
            return;
        }

        if (!MessagesRequestParser.TryParse(body, isCountTokens: false, out var request, out var error))
        {
            await WriteErrorAsync(context, error.Status, error.Type, error.Message);
            return;
        }

        using (request)
        {
            // As an upstream it refuses what it cannot express, as the in-process simulator's router would have.
            if (backend.Refusal(request) is { } refusal)
            {
                await WriteErrorAsync(context, 400, ErrorTypes.InvalidRequest, refusal);
                return;
            }

            var call = new BackendCall(request, request.Model, NewId("msg_"));
            try
            {
                if (request.Stream)
                {
                    await StreamAsync(context, call);
                }
                else
                {
                    await RespondWithMessageAsync(context, call);
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                Log.ClientDisconnected(logger);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug, not a client mistake; still answer in Anthropic's shape so SDKs surface it properly.
                Log.SimulatorFailed(logger, ex);
                await ReportFailureAsync(context);
            }
        }
    }

    public async Task CountTokensAsync(HttpContext context)
    {
        if (!await AuthenticateAsync(context) || await ReadBodyAsync(context) is not { } body)
        {
            return;
        }

        if (!MessagesRequestParser.TryParse(body, isCountTokens: true, out var request, out var error))
        {
            await WriteErrorAsync(context, error.Status, error.Type, error.Message);
            return;
        }

        using (request)
        {
            var tokens = TokenCounter.CountInput(request);
            context.Response.ContentType = JsonContentType;
            using (var json = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions))
            {
                json.WriteStartObject();
                json.WriteNumber("input_tokens"u8, tokens);
                json.WriteEndObject();
            }

            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        }
    }

    public async Task ListModelsAsync(HttpContext context)
    {
        if (!await AuthenticateAsync(context))
        {
            return;
        }

        var query = context.Request.Query;
        var limit = DefaultModelsLimit;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, out limit) || limit is < 1 or > MaxModelsLimit))
        {
            await WriteErrorAsync(context, 400, ErrorTypes.InvalidRequest, $"limit: Input should be an integer between 1 and {MaxModelsLimit}");
            return;
        }

        // One model: nothing lies after or before it, whatever id the page starts from.
        var paged = query.ContainsKey("after_id") || query.ContainsKey("before_id");
        context.Response.ContentType = JsonContentType;
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("data"u8);
            if (!paged)
            {
                WriteModel(json);
            }

            json.WriteEndArray();
            json.WriteBoolean("has_more"u8, false);
            if (paged)
            {
                json.WriteNull("first_id"u8);
                json.WriteNull("last_id"u8);
            }
            else
            {
                json.WriteString("first_id"u8, modelId);
                json.WriteString("last_id"u8, modelId);
            }

            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    public async Task GetModelAsync(HttpContext context)
    {
        if (!await AuthenticateAsync(context))
        {
            return;
        }

        if (context.Request.RouteValues["modelId"] as string != modelId)
        {
            await WriteErrorAsync(context, 404, ErrorTypes.NotFound, "model: not found");
            return;
        }

        context.Response.ContentType = JsonContentType;
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions))
        {
            WriteModel(json);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    public async Task NotFoundAsync(HttpContext context)
    {
        if (await AuthenticateAsync(context))
        {
            await WriteErrorAsync(context, 404, ErrorTypes.NotFound, "Not found");
        }
    }

    private async Task RespondWithMessageAsync(HttpContext context, BackendCall call)
    {
        var aborted = context.RequestAborted;
        var message = new MessageAggregate();
        try
        {
            await foreach (var streamEvent in backend.StreamAsync(call, aborted).WithCancellation(aborted))
            {
                message.Apply(streamEvent);
            }
        }
        catch (BackendException ex)
        {
            await WriteErrorAsync(context, ex.Status, ex.ErrorType, ex.Message);
            return;
        }

        if (message.Error is { } failure)
        {
            await WriteErrorAsync(context, ErrorTypes.StatusOf(failure.ErrorType), failure.ErrorType, failure.Message);
            return;
        }

        if (!message.IsComplete || message.StopReason is null)
        {
            await WriteErrorAsync(context, 500, ErrorTypes.Api, "The simulator ended the message early.");
            return;
        }

        context.Response.ContentType = JsonContentType;
        AnthropicJsonWriter.WriteMessage(context.Response.BodyWriter, message);
        await context.Response.BodyWriter.FlushAsync(aborted);
        Log.MessageServed(logger, false, message.StopReason, message.Usage.InputTokens, message.Usage.OutputTokens);
    }

    private async Task StreamAsync(HttpContext context, BackendCall call)
    {
        var aborted = context.RequestAborted;
        var response = context.Response;
        await using var events = backend.StreamAsync(call, aborted).GetAsyncEnumerator(aborted);

        // A failure before the first event can still be an HTTP error; after it, only an error event.
        bool any;
        try
        {
            any = await events.MoveNextAsync();
        }
        catch (BackendException ex)
        {
            await WriteErrorAsync(context, ex.Status, ex.ErrorType, ex.Message);
            return;
        }

        if (!any)
        {
            await WriteErrorAsync(context, 500, ErrorTypes.Api, "The simulator produced no events.");
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = EventStreamContentType;
        response.Headers.CacheControl = "no-cache";
        MessageDeltaEvent? last = null;
        while (true)
        {
            var streamEvent = events.Current;
            last = streamEvent as MessageDeltaEvent ?? last;
            if (!await WriteEventAsync(response.BodyWriter, streamEvent, aborted))
            {
                return;
            }

            try
            {
                if (!await events.MoveNextAsync())
                {
                    break;
                }
            }
            catch (BackendException ex)
            {
                await WriteEventAsync(response.BodyWriter, new ErrorEvent(ex.ErrorType, ex.Message), aborted);
                return;
            }
        }

        if (last is not null)
        {
            Log.MessageServed(logger, true, last.StopReason, last.Usage.InputTokens, last.Usage.OutputTokens);
        }
    }

    private static async Task ReportFailureAsync(HttpContext context)
    {
        const string Message = "The simulator failed to answer this request.";
        if (!context.Response.HasStarted)
        {
            context.Response.Headers.CacheControl = default;
            await WriteErrorAsync(context, 500, ErrorTypes.Api, Message);
        }
        else if (context.Response.ContentType == EventStreamContentType)
        {
            await WriteEventAsync(context.Response.BodyWriter, new ErrorEvent(ErrorTypes.Api, Message), context.RequestAborted);
        }
    }

    /// <summary>Frames and flushes one event; false when the client has gone.</summary>
    private static async ValueTask<bool> WriteEventAsync(PipeWriter writer, StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        SseFraming.Write(writer, streamEvent);
        var flush = await writer.FlushAsync(cancellationToken);
        return !flush.IsCanceled && !flush.IsCompleted;
    }

    private void WriteModel(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "model"u8);
        json.WriteString("id"u8, modelId);
        json.WriteString("display_name"u8, ModelDisplayName);
        json.WriteString("created_at"u8, ModelCreatedAt);
        json.WriteEndObject();
    }

    /// <summary>
    /// Stamps the request id and checks that some API key was sent. Any key is accepted: the simulator is an upstream
    /// for tests and demos, but a client that sends none is misconfigured and should hear so, as it would from Anthropic.
    /// </summary>
    private static async ValueTask<bool> AuthenticateAsync(HttpContext context)
    {
        context.Response.Headers["request-id"] = NewId("req_");
        var headers = context.Request.Headers;
        var hasKey = !string.IsNullOrWhiteSpace(headers["x-api-key"])
            || (headers.Authorization.ToString() is { } authorization
                && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                && !string.IsNullOrWhiteSpace(authorization.AsSpan(7).ToString()));
        if (hasKey)
        {
            return true;
        }

        await WriteErrorAsync(context, 401, ErrorTypes.Authentication, "An API key is required: send it in the x-api-key header or as Authorization: Bearer <key>.");
        return false;
    }

    /// <summary>The whole body, or null after answering 413 when it is over the Messages limit.</summary>
    private static async ValueTask<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MessagesRequestParser.MaxBodyBytes)
        {
            await WriteTooLargeAsync(context);
            return null;
        }

        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                var buffer = result.Buffer;
                if (buffer.Length > MessagesRequestParser.MaxBodyBytes)
                {
                    reader.AdvanceTo(buffer.End);
                    await WriteTooLargeAsync(context);
                    return null;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    var body = buffer.ToArray();
                    reader.AdvanceTo(buffer.End);
                    return body;
                }

                // Examined everything, consumed nothing: the next read returns the whole body so far plus more.
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteTooLargeAsync(context);
            return null;
        }
    }

    private static Task WriteTooLargeAsync(HttpContext context) =>
        WriteErrorAsync(context, 413, ErrorTypes.RequestTooLarge, $"Request exceeds the maximum allowed number of bytes ({MessagesRequestParser.MaxBodyBytes}).");

    private static async Task WriteErrorAsync(HttpContext context, int status, string errorType, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = JsonContentType;
        AnthropicJsonWriter.WriteError(response.BodyWriter, errorType, message, response.Headers["request-id"].ToString());
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static string NewId(string prefix) => prefix + RandomNumberGenerator.GetString(IdAlphabet, 24);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Debug,
            Message = "Simulated message served (stream: {Stream}, stop reason: {StopReason}, input tokens: {InputTokens}, output tokens: {OutputTokens})")]
        public static partial void MessageServed(ILogger logger, bool stream, string stopReason, long inputTokens, long outputTokens);

        [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "The client disconnected before the simulated message was complete")]
        public static partial void ClientDisconnected(ILogger logger);

        [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "The simulator failed while answering a request")]
        public static partial void SimulatorFailed(ILogger logger, Exception exception);
    }
}
