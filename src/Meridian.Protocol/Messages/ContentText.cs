using System.Text;
using System.Text.Json;

namespace Meridian.Protocol.Messages;

/// <summary>Reads the human-readable text out of Anthropic content (a string or an array of blocks).</summary>
public static class ContentText
{
    public static string Of(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return SafeString(content);
        }

        var builder = new StringBuilder();
        AppendBlocks(content, builder);
        return builder.ToString();
    }

    public static void AppendBlocks(JsonElement content, StringBuilder builder)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            Append(builder, SafeString(content));
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            switch (SafeString(type))
            {
                case "text" when block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String:
                    Append(builder, SafeString(text));
                    break;
                case "tool_result" when block.TryGetProperty("content", out var inner):
                    AppendBlocks(inner, builder);
                    break;
                case "tool_use" when block.TryGetProperty("input", out var input):
                    Append(builder, input.GetRawText());
                    break;
                case "thinking" when block.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.String:
                    Append(builder, SafeString(thinking));
                    break;
                case "document" when block.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object:
                    AppendDocument(source, builder);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>A document's text: a text source's data, or a content source's blocks. PDF and file sources hold no text to read here.</summary>
    private static void AppendDocument(JsonElement source, StringBuilder builder)
    {
        if (!source.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return;
        }

        if (type.ValueEquals("text") && source.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
        {
            Append(builder, SafeString(data));
        }
        else if (type.ValueEquals("content") && source.TryGetProperty("content", out var content))
        {
            AppendBlocks(content, builder);
        }
    }

    /// <summary>
    /// JSON may legally hold an escaped unpaired surrogate, which no .NET string can; such text counts as empty
    /// rather than failing the request.
    /// </summary>
    private static string SafeString(JsonElement element)
    {
        try
        {
            return element.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            return string.Empty;
        }
    }

    private static void Append(StringBuilder builder, string text)
    {
        if (builder.Length > 0)
        {
            builder.Append('\n');
        }

        builder.Append(text);
    }
}
