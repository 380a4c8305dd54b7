using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Meridian.Protocol;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.OpenAi;
using Meridian.Protocol.Streaming;

namespace Meridian.Gateway.Backends;

/// <summary>
/// An OpenAI-compatible chat completions server (vLLM, llama.cpp server, TGI, Ollama) over HTTP. The Messages request
/// is translated to <c>POST {url}/chat/completions</c> (always streaming, with usage) and the chunks back to the
/// Anthropic event stream; see <see cref="ChatCompletionsRequestWriter"/> and <see cref="ChatCompletionsStreamTranslator"/>.
/// Thread-safe: it holds only the shared <see cref="HttpMessageInvoker"/> and its configuration.
/// </summary>
/// <param name="baseAddress">The API root ending in a slash, such as <c>http://host:8000/v1/</c>.</param>
/// <param name="apiKey">Sent as <c>Authorization: Bearer</c> when set; never logged.</param>
internal sealed class OpenAiChatBackend(HttpMessageInvoker http, Uri baseAddress, string? apiKey) : IInferenceBackend, IBackendProbe
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    // A server that ignores stream:true answers with one chat.completion; bounded like any answer we buffer.
    private const int MaxCompletionBodyBytes = 32 * 1024 * 1024;

    private readonly Uri _endpoint = new(baseAddress, "chat/completions");

    /// <summary>Images (as data URLs) and structured outputs (as <c>response_format</c>) translate; the rest has no field.</summary>
    public BackendCapabilities Capabilities { get; } = BackendCapabilities.None with { ImageInput = true, StructuredOutputs = true };

    /// <summary>
    /// Chat completions carries text, images given as data, text documents, tool calls and a JSON schema for the
    /// answer. URL sources are refused too: the server would fetch them from inside the operator's network.
    /// </summary>
    public string? Refusal(MessagesRequest request) => FeatureSupport.FirstUnsupported(request, "an OpenAI-compatible server",
        FeatureKind.ImageData, FeatureKind.TextDocument, FeatureKind.StructuredOutput, FeatureKind.ForcedToolCall);

    public async IAsyncEnumerable<StreamEvent> StreamAsync(BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = new ReadOnlyMemoryContent(ChatCompletionsRequestWriter.Write(call.Request, call.UpstreamModel)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new BackendException(503, ErrorTypes.Api, "The upstream could not be reached: " + ex.HttpRequestError) { Unreachable = true };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BackendException(503, ErrorTypes.Api, "The upstream did not answer in time.") { Unreachable = true };
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ToBackendExceptionAsync(response, cancellationToken);
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var events = response.Content.Headers.ContentType?.MediaType is "application/json"
                ? TranslateCompletionAsync(body, call, cancellationToken)
                : ChatCompletionsStreamTranslator.TranslateAsync(SseReader.ReadDataAsync(body, cancellationToken), call, cancellationToken);

            await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
            var produced = false;
            while (true)
            {
                StreamEvent? next;
                try
                {
                    next = await enumerator.MoveNextAsync() ? enumerator.Current : null;
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    // The connection broke mid-answer: an HTTP error while nothing was sent, an error event after.
                    if (!produced)
                    {
                        throw new BackendException(502, ErrorTypes.Api, "The upstream connection failed before the answer started.");
                    }

                    next = new ErrorEvent(ErrorTypes.Api, "The upstream connection failed while streaming the answer.");
                }

                if (next is null)
                {
                    yield break;
                }

                yield return next;
                if (next is ErrorEvent)
                {
                    yield break;
                }

                produced = true;
            }
        }
    }

    /// <summary>The health probe: <c>GET models</c>, which every OpenAI-compatible server answers without running the model.</summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, "models"));
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        return (int)response.StatusCode is < 500 and not 429;
    }

    private static async IAsyncEnumerable<StreamEvent> TranslateCompletionAsync(Stream body, BackendCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxCompletionBodyBytes)
            {
                throw new BackendException(502, ErrorTypes.Api, "The upstream's answer is too large.");
            }

            buffer.Write(chunk, 0, read);
        }

        var events = new List<StreamEvent>();
        new ChatCompletionsStreamTranslator(call).AcceptCompletion(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), events);
        foreach (var streamEvent in events)
        {
            yield return streamEvent;
        }
    }

    private static async Task<BackendException> ToBackendExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string? message = null;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxErrorBodyBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }

            message = ChatCompletionsErrors.MessageOf(buffer.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // The status alone tells the story.
        }

        return ChatCompletionsErrors.FromStatus(status, message);
    }
}
