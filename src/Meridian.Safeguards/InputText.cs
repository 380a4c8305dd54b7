using System.Text;
using System.Text.Json;
using Meridian.Protocol.Messages;

namespace Meridian.Safeguards;

/// <summary>
/// Gathers the screenable text of a Messages request by where it came from — joined per source so each classifier is
/// called at most four times per request, however long the conversation:
/// <list type="bullet">
/// <item><b>system</b>: the system prompt, and every tool definition (name, description, input schema — the deployer's
/// own, like the system prompt);</item>
/// <item><b>user</b> and <b>assistant</b>: every block of a turn of that role — text, thinking, tool-use inputs, and the
/// strings of block types this gateway does not know;</item>
/// <item><b>tool results</b>: tool-result content, documents (text, content blocks, title and context) and search
/// results, third-party text where injection is looked for.</item>
/// </list>
/// JSON (tool inputs, schemas, unknown blocks) is screened as its strings, keys and values, one per line: the quotes
/// and braces of JSON syntax are not quoted speech, and must not make a threat look like one (issue 15). Images, PDFs,
/// signatures and other opaque data are skipped.
/// </summary>
internal static class InputText
{
    public static string?[] Collect(MessagesRequest request) => Collect(request, segments: null);

    /// <summary>
    /// <see cref="Collect(MessagesRequest)"/>, and when <paramref name="segments"/> is given, where each piece of each
    /// text came from (a JSON path into the request), in order: for case excerpts, off the hot path.
    /// </summary>
    public static string?[] Collect(MessagesRequest request, List<TextSegment>? segments)
    {
        var builders = new Builders(segments);
        if (request.System is { } system)
        {
            AppendContent(system, TextSource.System, builders, builders.Path("system"));
        }

        if (request.Tools is { } tools)
        {
            var t = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                AppendStrings(tool, TextSource.System, builders, builders.Path("tools", t++));
            }
        }

        if (request.Root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            var m = -1;
            foreach (var message in messages.EnumerateArray())
            {
                m++;
                if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
                {
                    continue;
                }

                var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String && r.ValueEquals("assistant"u8)
                    ? TextSource.Assistant
                    : TextSource.User;
                AppendContent(content, role, builders, Child(builders.Path("messages", m), "content"));
            }
        }

        var texts = new string?[4];
        for (var i = 0; i < texts.Length; i++)
        {
            texts[i] = builders.Texts[i]?.ToString();
        }

        return texts;
    }

    /// <summary>The slot of a source in <see cref="Collect(MessagesRequest)"/>'s result.</summary>
    public static TextSource SourceAt(int index) => (TextSource)index;

    private static void AppendContent(JsonElement content, TextSource source, Builders builders, string? path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            Append(builders, source, content, path);
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var i = -1;
        foreach (var block in content.EnumerateArray())
        {
            i++;
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            AppendBlock(block, type, source, builders, Index(path, i));
        }
    }

    private static void AppendBlock(JsonElement block, JsonElement type, TextSource source, Builders builders, string? path)
    {
        if (type.ValueEquals("text"u8))
        {
            AppendProperty(block, "text", source, builders, path);
        }
        else if (type.ValueEquals("thinking"u8))
        {
            AppendProperty(block, "thinking", source, builders, path);
        }
        else if (type.ValueEquals("tool_use"u8) || type.ValueEquals("server_tool_use"u8))
        {
            if (block.TryGetProperty("input", out var input))
            {
                AppendStrings(input, source, builders, Child(path, "input"));
            }
        }
        else if (type.ValueEquals("tool_result"u8))
        {
            if (block.TryGetProperty("content", out var inner))
            {
                AppendContent(inner, TextSource.ToolResult, builders, Child(path, "content"));
            }
        }
        else if (type.ValueEquals("document"u8))
        {
            // A document is third-party content, like a tool result: injection is looked for there too.
            AppendDocument(block, builders, path);
        }
        else if (type.ValueEquals("search_result"u8))
        {
            AppendProperty(block, "title", TextSource.ToolResult, builders, path);
            if (block.TryGetProperty("content", out var results))
            {
                AppendContent(results, TextSource.ToolResult, builders, Child(path, "content"));
            }
        }
        else if (!IsOpaque(type))
        {
            // A block type this gateway does not know still reaches a backend that may: its strings are screened.
            AppendStrings(block, source, builders, path);
        }
    }

    /// <summary>Blocks whose payload is not text (or is encrypted): nothing in them to screen.</summary>
    private static bool IsOpaque(JsonElement type) =>
        type.ValueEquals("image"u8) || type.ValueEquals("redacted_thinking"u8) || type.ValueEquals("web_search_tool_result"u8)
        || type.ValueEquals("container_upload"u8);

    private static void AppendDocument(JsonElement document, Builders builders, string? path)
    {
        AppendProperty(document, "title", TextSource.ToolResult, builders, path);
        AppendProperty(document, "context", TextSource.ToolResult, builders, path);
        if (!document.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object
            || !source.TryGetProperty("type", out var sourceType) || sourceType.ValueKind != JsonValueKind.String)
        {
            return;
        }

        if (sourceType.ValueEquals("text"u8))
        {
            AppendProperty(source, "data", TextSource.ToolResult, builders, Child(path, "source"));
        }
        else if (sourceType.ValueEquals("content"u8) && source.TryGetProperty("content", out var content))
        {
            AppendContent(content, TextSource.ToolResult, builders, Child(Child(path, "source"), "content"));
        }
    }

    /// <summary>Every string in a JSON value, keys included, one per line (JSON syntax left out).</summary>
    private static void AppendStrings(JsonElement value, TextSource source, Builders builders, string? path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                Append(builders, source, value, path);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    AppendStrings(item, source, builders, Index(path, i++));
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (property.NameEquals("type"u8) || IsOpaqueData(property))
                    {
                        continue;
                    }

                    var child = Child(path, property.Name);
                    AppendRaw(builders, source, property.Name, child);
                    AppendStrings(property.Value, source, builders, child);
                }

                break;
            default:
                break;
        }
    }

    /// <summary>Base64 payloads and signatures inside a block: encoded bytes, not text.</summary>
    private static bool IsOpaqueData(JsonProperty property) =>
        property.NameEquals("data"u8) || property.NameEquals("signature"u8) || property.NameEquals("encrypted_content"u8);

    private static void AppendProperty(JsonElement element, string name, TextSource source, Builders builders, string? path)
    {
        if (element.TryGetProperty(name, out var value))
        {
            Append(builders, source, value, Child(path, name));
        }
    }

    private static void Append(Builders builders, TextSource source, JsonElement text, string? path)
    {
        if (text.ValueKind != JsonValueKind.String)
        {
            return;
        }

        string? value;
        try
        {
            value = text.GetString();
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate: not text a person can read; nothing to screen.
            return;
        }

        AppendRaw(builders, source, value, path);
    }

    private static void AppendRaw(Builders builders, TextSource source, string? value, string? path)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        var builder = builders.Texts[(int)source] ??= new StringBuilder();
        if (builder.Length > 0)
        {
            // A blank line keeps phrases from running across two strings, and quotation state from carrying over.
            builder.Append("\n\n");
        }

        builders.Segments?.Add(new TextSegment(source, builder.Length, value.Length, path!));
        builder.Append(value);
    }

    /// <summary>A path one step down; null (no path kept) stays null, so the screening path builds no strings.</summary>
    private static string? Child(string? path, string name) => path is null ? null : path + "." + name;

    private static string? Index(string? path, int index) => path is null ? null : path + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

    /// <summary>The texts being gathered, one per source, and the segment map when one is asked for.</summary>
    private sealed class Builders(List<TextSegment>? segments)
    {
        public StringBuilder?[] Texts { get; } = new StringBuilder?[4];

        public List<TextSegment>? Segments => segments;

        public string? Path(string root) => segments is null ? null : root;

        public string? Path(string root, int index) => segments is null ? null : Index(root, index);
    }
}

/// <summary>One piece of a collected text: which source's text, where in it, how long, and the JSON path it came from.</summary>
internal readonly record struct TextSegment(TextSource Source, int Start, int Length, string Path)
{
    public int End => Start + Length;
}
