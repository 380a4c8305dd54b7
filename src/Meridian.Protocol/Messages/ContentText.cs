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
            return content.GetString()!;
        }

        var builder = new StringBuilder();
        AppendBlocks(content, builder);
        return builder.ToString();
    }

    public static void AppendBlocks(JsonElement content, StringBuilder builder)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            Append(builder, content.GetString()!);
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type))
            {
                continue;
            }

            switch (type.GetString())
            {
                case "text" when block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String:
                    Append(builder, text.GetString()!);
                    break;
                case "tool_result" when block.TryGetProperty("content", out var inner):
                    AppendBlocks(inner, builder);
                    break;
                case "tool_use" when block.TryGetProperty("input", out var input):
                    Append(builder, input.GetRawText());
                    break;
                case "thinking" when block.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.String:
                    Append(builder, thinking.GetString()!);
                    break;
                default:
                    break;
            }
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
