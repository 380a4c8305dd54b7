using System.Text.Json;

namespace Meridian.Protocol.Messages;

/// <summary>
/// A validated <c>POST /v1/messages</c> (or <c>count_tokens</c>) body: the original bytes, which are forwarded
/// untouched, plus a read-only view of the parsed document. Owns the pooled <see cref="JsonDocument"/>.
/// </summary>
public sealed class MessagesRequest : IDisposable
{
    private readonly JsonDocument _document;

    internal MessagesRequest(ReadOnlyMemory<byte> body, JsonDocument document, string model, int maxTokens, bool stream)
    {
        Body = body;
        _document = document;
        Model = model;
        MaxTokens = maxTokens;
        Stream = stream;
    }

    /// <summary>The request exactly as the client sent it, unknown fields included.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    public JsonElement Root => _document.RootElement;

    public string Model { get; }

    /// <summary>0 for count_tokens bodies, which carry no max_tokens.</summary>
    public int MaxTokens { get; }

    public bool Stream { get; }

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
