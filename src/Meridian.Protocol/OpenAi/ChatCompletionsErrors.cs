using System.Text.Json;
using Meridian.Protocol.Errors;

namespace Meridian.Protocol.OpenAi;

/// <summary>
/// Maps an OpenAI-compatible server's failure (an HTTP status, or an <c>error</c> object inside a stream) to the
/// Anthropic error a client of the gateway sees. The rule: the caller's fault stays the caller's (400, 413, 429),
/// the operator's fault never looks like the caller's (an upstream 401/403/404 is a 502), overload stays retryable.
/// </summary>
public static class ChatCompletionsErrors
{
    private const int MaxMessageLength = 1000;

    /// <param name="upstreamMessage">The upstream's own message; passed on only where it tells the caller what to fix.</param>
    public static BackendException FromStatus(int status, string? upstreamMessage) => status switch
    {
        401 or 403 => new(502, ErrorTypes.Api, "The upstream rejected the gateway's credentials."),
        404 => new(502, ErrorTypes.Api, "The upstream does not serve this model (its served model names do not match the deployment's model)."),
        413 => new(413, ErrorTypes.RequestTooLarge, Describe(upstreamMessage, "The upstream refused the request as too large.")),
        429 => new(429, ErrorTypes.RateLimit, Describe(upstreamMessage, "The upstream is rate limiting requests.")),
        503 or 529 => new(529, ErrorTypes.Overloaded, "The upstream is overloaded or not ready."),
        >= 500 => new(status, ErrorTypes.Api, $"The upstream failed (HTTP {status})."),
        >= 400 => new(400, ErrorTypes.InvalidRequest, Describe(upstreamMessage, "The upstream rejected the request.")),
        _ => new(502, ErrorTypes.Api, $"The upstream answered with an unexpected HTTP {status}."),
    };

    /// <summary>
    /// The message in an error body, whichever dialect: <c>{"error":{"message"}}</c> (OpenAI, vLLM, llama.cpp, Ollama),
    /// <c>{"error":"…"}</c> (TGI) or <c>{"message"}</c> (older vLLM). Null when there is none or it is not JSON.
    /// </summary>
    public static string? MessageOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return MessageOf(document.RootElement, out _);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The message and (when it says) the HTTP status of an error object.</summary>
    internal static string? MessageOf(JsonElement root, out int? code)
    {
        code = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var holder = root.TryGetProperty("error", out var error) ? error : root;
        if (holder.ValueKind == JsonValueKind.String)
        {
            return holder.GetString();
        }

        if (holder.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (holder.TryGetProperty("code", out var codeElement) && codeElement.ValueKind == JsonValueKind.Number && codeElement.TryGetInt32(out var number))
        {
            code = number;
        }

        return holder.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null;
    }

    private static string Describe(string? upstreamMessage, string fallback) =>
        string.IsNullOrWhiteSpace(upstreamMessage)
            ? fallback
            : "The upstream said: " + (upstreamMessage.Length > MaxMessageLength ? upstreamMessage[..MaxMessageLength] + "…" : upstreamMessage);
}
