using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Backends;

/// <summary>
/// An Anthropic-compatible upstream over HTTP (the Anthropic API, Foundry's <c>/anthropic</c>, or <c>meridian simulate</c>).
/// The client's body is forwarded as it came when the upstream knows the model by the name the client used, else with
/// only <c>model</c> rewritten; unknown fields, roles and block types pass through, and so do the client's
/// <c>anthropic-beta</c> and <c>anthropic-version</c> headers and its query string (<c>?beta=true</c>). A streaming client's answer is read as SSE events while it
/// streams; a non-streaming client's is asked for and read as one JSON message — as the upstream answers it, so the
/// gateway can send those bytes on (<see cref="UpstreamMessageEvent"/>). Thread-safe.
/// </summary>
/// <remarks>
/// Asking for a stream whatever the client wanted made the upstream frame ≈ 18 events instead of one object and the gateway
/// parse them back: ≈ 110 µs more upstream CPU and ≈ 20 µs more gateway CPU per 16-token answer (bench/PROFILE.md).
/// </remarks>
internal sealed class AnthropicHttpBackend(HttpMessageInvoker http, Uri baseAddress, string? apiKey) : IInferenceBackend, IBackendProbe
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    // A non-streaming answer is read whole before it is screened; bounded like a request.
    private const int MaxMessageBodyBytes = 32 * 1024 * 1024;

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly Uri _messages = new(baseAddress, "v1/messages");

    /// <summary>The model behind it decides what it supports: the gateway refuses nothing on its behalf.</summary>
    public BackendCapabilities Capabilities => BackendCapabilities.Anthropic;

    public string? Refusal(MessagesRequest request) => null;

    public async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = call.Request.PassThrough;
        var target = client.Query.Length > 0 ? new Uri(_messages + client.Query) : _messages;
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = Body(call) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation("anthropic-version", client.Version ?? "2023-06-01");
        if (client.Beta is { } beta)
        {
            request.Headers.TryAddWithoutValidation("anthropic-beta", beta);
        }

        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        }

        HttpResponseMessage response;
        try
        {
            // An invoker, not HttpClient: the response comes back as soon as its headers are read, and nothing is buffered.
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new BackendException(503, ErrorTypes.Api, "The upstream could not be reached: " + ex.HttpRequestError) { Unreachable = true };
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ToBackendExceptionAsync(response, cancellationToken);
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (response.Content.Headers.ContentType?.MediaType is "text/event-stream")
            {
                await foreach (var streamEvent in SseReader.ReadAsync(body, ParseEvent, cancellationToken))
                {
                    yield return streamEvent;
                }

                yield break;
            }

            var json = await ReadMessageAsync(body, response.Content.Headers.ContentLength, cancellationToken);
            List<StreamEvent> events;
            bool complete;
            try
            {
                events = MessageJsonReader.Read(json, out complete);
            }
            catch (JsonException)
            {
                throw Malformed();
            }

            foreach (var streamEvent in events)
            {
                yield return streamEvent;
            }

            if (complete)
            {
                yield return new UpstreamMessageEvent(json);
            }
        }
    }

    /// <summary>The health probe: <c>GET v1/models</c>, the cheapest authenticated call of the Messages API.</summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, "v1/models"));
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        return (int)response.StatusCode is < 500 and not 429;
    }

    /// <summary>
    /// The client's bytes when the upstream knows the model by the client's name (the usual case: no copy); else the
    /// body with <c>model</c> rewritten. <c>stream</c> stays as the client sent it. Safe to send as they came because the
    /// request parser refuses duplicate members: the upstream reads the same <c>model</c> the gateway routed and billed.
    /// </summary>
    private static HttpContent Body(BackendCall call)
    {
        if (call.Request.Model == call.UpstreamModel)
        {
            return new ReadOnlyMemoryContent(call.Request.Body);
        }

        var buffer = new ArrayBufferWriter<byte>(call.Request.Body.Length + 64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var property in call.Request.Root.EnumerateObject())
            {
                if (!property.NameEquals("model"u8))
                {
                    property.WriteTo(json);
                }
            }

            json.WriteString("model"u8, call.UpstreamModel);
            json.WriteEndObject();
        }

        return new ReadOnlyMemoryContent(buffer.WrittenMemory);
    }

    private static StreamEvent? ParseEvent(ReadOnlySpan<byte> data)
    {
        try
        {
            return StreamEventParser.Parse(data);
        }
        catch (JsonException)
        {
            throw Malformed();
        }
    }

    /// <summary>The whole answer, in one array of its declared length when it has one.</summary>
    private static async Task<byte[]> ReadMessageAsync(Stream body, long? length, CancellationToken cancellationToken)
    {
        if (length is > MaxMessageBodyBytes)
        {
            throw TooLarge();
        }

        if (length is { } known)
        {
            var exact = new byte[known];
            await body.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxMessageBodyBytes)
                {
                    throw TooLarge();
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static BackendException Malformed() => new(502, ErrorTypes.Api, "The upstream's answer is not valid Anthropic JSON.");

    private static BackendException TooLarge() => new(502, ErrorTypes.Api, "The upstream's answer is too large.");

    private static async Task<BackendException> ToBackendExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var errorType = ErrorTypes.Api;
        var message = $"The upstream answered {status}.";
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (bytes.Length <= MaxErrorBodyBytes)
            {
                using var document = JsonDocument.Parse(bytes);
                if (document.RootElement.TryGetProperty("error", out var error))
                {
                    errorType = error.TryGetProperty("type", out var type) ? type.GetString() ?? errorType : errorType;
                    message = error.TryGetProperty("message", out var text) ? text.GetString() ?? message : message;
                }
            }
        }
        catch (JsonException)
        {
            // Not an Anthropic error body; the status alone tells the story.
        }

        // The upstream's own auth failures are the operator's problem, not the caller's: never report them as the caller's 401.
        return status is 401 or 403
            ? new BackendException(502, ErrorTypes.Api, "The upstream rejected the gateway's credentials.")
            : new BackendException(status, errorType, message);
    }
}
