using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Backends;

/// <summary>
/// An Anthropic-compatible upstream over HTTP (the Anthropic API, Foundry's <c>/anthropic</c>, or <c>meridian simulate</c>).
/// The client's body is forwarded with only <c>model</c> (to the upstream's id) and <c>stream</c> (always true, so
/// the answer arrives as events either way) rewritten; unknown fields pass through. Thread-safe.
/// </summary>
public sealed class AnthropicHttpBackend(HttpClient http, Uri baseAddress, string? apiKey) : IInferenceBackend, IBackendProbe
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    public async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "v1/messages"))
        {
            Content = new ByteArrayContent(RewriteBody(call)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
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
            await foreach (var data in SseReader.ReadDataAsync(body, cancellationToken))
            {
                if (StreamEventParser.Parse(data.Span) is { } streamEvent)
                {
                    yield return streamEvent;
                }
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

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return (int)response.StatusCode is < 500 and not 429;
    }

    private static byte[] RewriteBody(BackendCall call)
    {
        using var buffer = new MemoryStream(call.Request.Body.Length + 64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var property in call.Request.Root.EnumerateObject())
            {
                if (property.NameEquals("model"u8) || property.NameEquals("stream"u8))
                {
                    continue;
                }

                property.WriteTo(json);
            }

            json.WriteString("model"u8, call.UpstreamModel);
            json.WriteBoolean("stream"u8, true);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

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
