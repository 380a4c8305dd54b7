using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Meridian.Safeguards.Classifiers;

/// <summary>The safety taxonomy a guard model answers in, which fixes how it is asked and how its answer maps.</summary>
public enum GuardTaxonomy
{
    /// <summary>Llama Guard 3 (8B or 1B): one chat completion, answered <c>safe</c> or <c>unsafe</c> and the codes S1–S14.</summary>
    LlamaGuard3,

    /// <summary>ShieldGemma (2B, 9B, 27B): one completion per policy, answered <c>Yes</c> or <c>No</c> with its probability.</summary>
    ShieldGemma,
}

/// <summary>Where and how to reach a guard model served by an OpenAI-compatible server (vLLM, llama.cpp's server, TGI).</summary>
public sealed record GuardModelOptions
{
    /// <summary>The classifier's name in policies, verdicts and receipts (snake_case, e.g. <c>llama_guard</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The server's OpenAI base URL, ending in <c>/v1/</c>: <c>chat/completions</c> and <c>completions</c> are
    /// resolved against it.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The model name the server serves it under (<c>meta-llama/Llama-Guard-3-8B</c>).</summary>
    public required string Model { get; init; }

    public GuardTaxonomy Taxonomy { get; init; } = GuardTaxonomy.LlamaGuard3;

    /// <summary>
    /// The region the model runs in. The model is sent content, so it is a recipient like a backend: the gateway asks it
    /// only for deployments whose boundary contains this region (docs/safeguards.md, "Guard models").
    /// </summary>
    public required string Region { get; init; }

    /// <summary>How long one screening may take before the classifier counts as unavailable. Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longer texts are sent in consecutive pieces of this many chars (well inside the models' context). Default 16 384.</summary>
    public int MaxTextChars { get; init; } = 16_384;

    /// <summary>Sent as <c>Authorization: Bearer …</c> when set (vLLM's <c>--api-key</c>).</summary>
    public string? BearerToken { get; init; }
}

/// <summary>
/// A classifier that asks a safety model: Llama Guard 3 or ShieldGemma, served by an OpenAI-compatible server. The
/// model's taxonomy is mapped to Meridian's categories and severities by <see cref="GuardTaxonomyMap"/> (the table is in
/// docs/safeguards.md). Like <see cref="HttpClassifier"/> it gives no positions (a finding spans the text sent), reports a
/// timeout, an error status or an answer it cannot read as <see cref="ClassifierResult.Unavailable"/>, and leaves the
/// policy to fail open or closed. Sends nothing but the text and the model name; keeps nothing. Thread-safe.
/// </summary>
public sealed class GuardModelClassifier : IClassifier
{
    private const int MaxResponseBytes = 1 << 20;
    private static readonly Uri ChatPath = new("chat/completions", UriKind.Relative);
    private static readonly Uri CompletionPath = new("completions", UriKind.Relative);

    private readonly HttpClient _client;
    private readonly GuardModelOptions _options;
    private readonly TimeProvider _time;
    private readonly Uri _chat;
    private readonly Uri _completions;

    public GuardModelClassifier(HttpClient client, GuardModelOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Region);
        if (!options.Endpoint.IsAbsoluteUri || options.Timeout <= TimeSpan.Zero || options.MaxTextChars < 1)
        {
            throw new ArgumentException("A guard model needs an absolute endpoint, a positive timeout and a positive piece size.", nameof(options));
        }

        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        var baseUri = options.Endpoint.AbsoluteUri.EndsWith('/') ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/");
        _chat = new Uri(baseUri, ChatPath);
        _completions = new Uri(baseUri, CompletionPath);
    }

    public string Name => _options.Name;

    /// <summary>Where the model runs (<see cref="GuardModelOptions.Region"/>).</summary>
    public string Region => _options.Region;

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken) =>
        RemoteClassification.InPiecesAsync(
            text, _options.MaxTextChars, _options.Timeout, _time,
            (piece, offset, findings, ct) => _options.Taxonomy == GuardTaxonomy.LlamaGuard3
                ? AskLlamaGuardAsync(piece.ToString(), text.Source, offset, findings, ct)
                : AskShieldGemmaAsync(piece.ToString(), text.Source, offset, findings, ct),
            cancellationToken);

    /// <summary>
    /// Llama Guard classifies the last turn of a conversation: the text as the user's turn, or — for model output — as
    /// the agent's turn after a placeholder user turn (the classifier is never sent the user's actual request with it).
    /// The server applies the model's chat template, which holds the S1–S14 categories.
    /// </summary>
    private async Task<string?> AskLlamaGuardAsync(string piece, TextSource source, int offset, List<Finding> findings, CancellationToken cancellationToken)
    {
        var body = Json(writer =>
        {
            writer.WriteString("model"u8, _options.Model);
            writer.WriteStartArray("messages"u8);
            if (source is TextSource.Output or TextSource.Assistant)
            {
                WriteMessage(writer, "user", "(not shown)");
                WriteMessage(writer, "assistant", piece);
            }
            else
            {
                WriteMessage(writer, "user", piece);
            }

            writer.WriteEndArray();
            writer.WriteNumber("max_tokens"u8, 24);
            writer.WriteNumber("temperature"u8, 0);
        });

        using var document = await PostAsync(_chat, body, cancellationToken);
        if (document is null)
        {
            return "invalid_response";
        }

        if (!TryFirstChoice(document.RootElement, "message", out var answer))
        {
            return "invalid_response";
        }

        var verdict = GuardTaxonomyMap.ReadLlamaGuard(answer);
        if (verdict is null)
        {
            return "invalid_response";
        }

        foreach (var (category, severity) in verdict)
        {
            findings.Add(new Finding(category, HarmKinds.External, severity, offset, piece.Length));
        }

        return null;
    }

    /// <summary>ShieldGemma is asked once per policy, concurrently, with the prompt from its model card; the probability
    /// of "Yes" (from the first token's log-probabilities, or 1/0 from the text) sets the severity.</summary>
    private async Task<string?> AskShieldGemmaAsync(string piece, TextSource source, int offset, List<Finding> findings, CancellationToken cancellationToken)
    {
        var asks = GuardTaxonomyMap.ShieldGemmaPolicies.Select(async policy =>
        {
            var prompt = GuardTaxonomyMap.ShieldGemmaPrompt(policy, piece, response: source is TextSource.Output or TextSource.Assistant);
            var body = Json(writer =>
            {
                writer.WriteString("model"u8, _options.Model);
                writer.WriteString("prompt"u8, prompt);
                writer.WriteNumber("max_tokens"u8, 1);
                writer.WriteNumber("temperature"u8, 0);
                writer.WriteNumber("logprobs"u8, 5);
            });
            using var document = await PostAsync(_completions, body, cancellationToken);
            return document is null ? null : GuardTaxonomyMap.ReadShieldGemma(document.RootElement);
        }).ToArray();

        var answers = await Task.WhenAll(asks);
        for (var i = 0; i < answers.Length; i++)
        {
            if (answers[i] is not { } probability)
            {
                return "invalid_response";
            }

            if (GuardTaxonomyMap.ShieldGemmaSeverity(probability) is { } severity and > Severity.Safe)
            {
                findings.Add(new Finding(GuardTaxonomyMap.ShieldGemmaPolicies[i].Category, HarmKinds.External, severity, offset, piece.Length));
            }
        }

        return null;
    }

    private async Task<JsonDocument?> PostAsync(Uri uri, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (_options.BearerToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(null, null, response.StatusCode);
        }

        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(stream, default, cancellationToken);
    }

    /// <summary>The text of <c>choices[0].message.content</c> (chat) or <c>choices[0].text</c> (completion).</summary>
    internal static bool TryFirstChoice(JsonElement root, string shape, out string text)
    {
        text = string.Empty;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices)
            || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            return false;
        }

        var choice = choices[0];
        var value = shape == "message"
            ? choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) ? content : default
            : choice.TryGetProperty("text", out var t) ? t : default;
        if (value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        text = value.GetString()!;
        return true;
    }

    private static ReadOnlyMemory<byte> Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteMessage(Utf8JsonWriter writer, string role, string content)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, role);
        writer.WriteString("content"u8, content);
        writer.WriteEndObject();
    }
}
