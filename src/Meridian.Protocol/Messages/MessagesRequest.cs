using System.Text.Json;

namespace Meridian.Protocol.Messages;

/// <summary>
/// A validated <c>POST /v1/messages</c> (or <c>count_tokens</c>) body: the original bytes, which are forwarded
/// untouched, plus a read-only view of the parsed document. Owns the pooled <see cref="JsonDocument"/>.
/// </summary>
public sealed class MessagesRequest : IDisposable
{
    private readonly JsonDocument _document;

    internal MessagesRequest(ReadOnlyMemory<byte> body, JsonDocument document, string model, int maxTokens, bool stream, RequestFeatures features)
    {
        Body = body;
        _document = document;
        Model = model;
        MaxTokens = maxTokens;
        Stream = stream;
        Features = features;
    }

    /// <summary>The request exactly as the client sent it, unknown fields included.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    public JsonElement Root => _document.RootElement;

    public string Model { get; }

    /// <summary>0 for count_tokens bodies, which carry no max_tokens.</summary>
    public int MaxTokens { get; }

    public bool Stream { get; }

    /// <summary>What the request asks of a backend beyond plain text (media, structured output, unknown fields…).</summary>
    public RequestFeatures Features { get; }

    /// <summary>
    /// What the client sent beside the body that an Anthropic upstream must see as it came: its <c>anthropic-beta</c>
    /// and <c>anthropic-version</c> headers and the query string (Claude Code sends <c>?beta=true</c>). Set by the
    /// endpoint that read the request; empty for requests built in-process.
    /// </summary>
    public ClientPassThrough PassThrough { get; set; } = ClientPassThrough.None;

    public JsonElement Messages => Root.GetProperty("messages");

    public JsonElement? System => Root.TryGetProperty("system", out var s) && s.ValueKind != JsonValueKind.Null ? s : null;

    public JsonElement? Tools => Root.TryGetProperty("tools", out var t) && t.ValueKind == JsonValueKind.Array ? t : null;

    public JsonElement? ToolChoice => Root.TryGetProperty("tool_choice", out var t) && t.ValueKind == JsonValueKind.Object ? t : null;

    public IReadOnlyList<string> StopSequences
    {
        get
        {
            if (!Root.TryGetProperty("stop_sequences", out var s) || s.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var list = new List<string>(s.GetArrayLength());
            foreach (var item in s.EnumerateArray())
            {
                list.Add(item.GetString()!);
            }

            return list;
        }
    }

    public void Dispose() => _document.Dispose();
}

/// <param name="Beta">The <c>anthropic-beta</c> header, comma-separated values as the client sent them; null when absent.</param>
/// <param name="Version">The <c>anthropic-version</c> header; null when absent.</param>
/// <param name="Query">The query string with its leading <c>?</c>, or empty.</param>
public sealed record ClientPassThrough(string? Beta, string? Version, string Query)
{
    public static ClientPassThrough None { get; } = new(null, null, string.Empty);
}
