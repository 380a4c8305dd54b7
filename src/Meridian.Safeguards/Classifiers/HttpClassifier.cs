using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Meridian.Safeguards.Classifiers;

/// <summary>Where and how to reach an external classifier.</summary>
public sealed record HttpClassifierOptions
{
    /// <summary>The classifier's name in policies and verdicts (snake_case, e.g. <c>llama_guard</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The absolute URL that takes <c>POST {"text": …}</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>How long one call may take before the classifier counts as unavailable (then the policy decides:
    /// fail open or closed). Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longer texts are sent in consecutive pieces of this many chars. Default 32 768.</summary>
    public int MaxTextChars { get; init; } = 32_768;

    /// <summary>Sent as <c>Authorization: Bearer …</c> when set.</summary>
    public string? BearerToken { get; init; }

    /// <summary>
    /// The region the service runs in. It is sent content, so it is a recipient like a backend: a gateway asks it only for
    /// deployments whose boundary contains this region, and one that declares none is inside no boundary.
    /// </summary>
    public string? Region { get; init; }
}

/// <summary>
/// Adapter for an external classification service (a Llama-Guard-style server, a content-safety API behind a small
/// shim). The contract, also in docs/safeguards.md:
/// <code>
/// POST {endpoint}            Content-Type: application/json
/// {"text": "…", "source": "user|system|assistant|tool_result|output"}
///
/// 200 OK                     Content-Type: application/json
/// {"categories": [{"category": "violence", "severity": "high"}, …]}
/// </code>
/// Categories use the snake_case names (<c>hate</c>, <c>sexual</c>, <c>violence</c>, <c>self_harm</c>, <c>pii</c>,
/// <c>prompt_injection</c>); unknown categories are ignored so a service may report more; severities are
/// <c>safe|low|medium|high</c>. An empty list means nothing found. The service gives no positions, so a finding spans
/// the whole text it was sent. Anything else — a timeout, a non-2xx status, a connection failure, a body that does not
/// parse — makes the result <see cref="ClassifierResult.Unavailable"/> with a short reason, and the policy decides.
/// Thread-safe; share one instance (and one <see cref="HttpClient"/>).
/// </summary>
public sealed class HttpClassifier : IClassifier
{
    private const int MaxResponseBytes = 1 << 20;
    private readonly HttpClient _client;
    private readonly HttpClassifierOptions _options;
    private readonly TimeProvider _time;

    public HttpClassifier(HttpClient client, HttpClassifierOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name);
        if (!options.Endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The classifier endpoint must be an absolute URL.", nameof(options));
        }

        if (options.Timeout <= TimeSpan.Zero || options.MaxTextChars < 1)
        {
            throw new ArgumentException("The classifier timeout and piece size must be positive.", nameof(options));
        }

        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Name => _options.Name;

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken) =>
        RemoteClassification.InPiecesAsync(
            text, _options.MaxTextChars, _options.Timeout, _time,
            (piece, offset, findings, ct) => ClassifyPieceAsync(piece, text.Source, offset, findings, ct), cancellationToken);

    private async Task<string?> ClassifyPieceAsync(
        ReadOnlyMemory<char> piece, TextSource source, int offset, List<Finding> findings, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>(Math.Min(piece.Length * 2, 1 << 20) + 64);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("text"u8, piece.Span);
            writer.WriteString("source"u8, SafeguardNames.Name(source));
            writer.WriteEndObject();
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _options.Endpoint)
        {
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (_options.BearerToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return $"http_{(int)response.StatusCode}";
        }

        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            return "invalid_response";
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
        return Read(document.RootElement, offset, piece.Length, findings);
    }

    /// <summary>Reads <c>{"categories":[{"category","severity"}]}</c>; null when well formed.</summary>
    internal static string? Read(JsonElement root, int offset, int length, List<Finding> findings)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("categories", out var categories)
            || categories.ValueKind != JsonValueKind.Array)
        {
            return "invalid_response";
        }

        foreach (var entry in categories.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("category", out var category) || category.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("severity", out var severity) || severity.ValueKind != JsonValueKind.String
                || !SafeguardNames.TryParseSeverity(severity.GetString(), out var s))
            {
                return "invalid_response";
            }

            if (SafeguardNames.TryParseCategory(category.GetString(), out var c) && s > Severity.Safe)
            {
                findings.Add(new Finding(c, HarmKinds.External, s, offset, length));
            }
        }

        return null;
    }
}
