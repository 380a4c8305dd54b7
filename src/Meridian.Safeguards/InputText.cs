using System.Text;
using System.Text.Json;
using Meridian.Protocol.Messages;

namespace Meridian.Safeguards;

/// <summary>
/// Gathers the screenable text of a Messages request by where it came from: the system prompt, user turns,
/// assistant turns (including prefill and tool-use inputs), and tool results — joined per source so each classifier
/// is called at most four times per request, however long the conversation. Images and thinking blocks are skipped.
/// </summary>
internal static class InputText
{
    public static string?[] Collect(MessagesRequest request)
    {
        var builders = new StringBuilder?[4];
        if (request.System is { } system)
        {
            AppendContent(system, TextSource.System, builders);
        }

        if (request.Root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
                {
                    continue;
                }

                var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String && r.ValueEquals("assistant"u8)
                    ? TextSource.Assistant
                    : TextSource.User;
                AppendContent(content, role, builders);
            }
        }

        var texts = new string?[4];
        for (var i = 0; i < texts.Length; i++)
        {
            texts[i] = builders[i]?.ToString();
        }

        return texts;
    }

    /// <summary>The slot of a source in <see cref="Collect"/>'s result.</summary>
    public static TextSource SourceAt(int index) => (TextSource)index;

    private static void AppendContent(JsonElement content, TextSource source, StringBuilder?[] builders)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            Append(builders, source, content);
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

            if (type.ValueEquals("text"u8) && block.TryGetProperty("text", out var text))
            {
                Append(builders, source, text);
            }
            else if (type.ValueEquals("tool_result"u8) && block.TryGetProperty("content", out var inner))
            {
                AppendContent(inner, TextSource.ToolResult, builders);
            }
            else if (type.ValueEquals("tool_use"u8) && block.TryGetProperty("input", out var input))
            {
                AppendRaw(builders, TextSource.Assistant, input.GetRawText());
            }
            else if (type.ValueEquals("document"u8)
                && block.TryGetProperty("source", out var documentSource)
                && documentSource.ValueKind == JsonValueKind.Object
                && documentSource.TryGetProperty("type", out var sourceType) && sourceType.ValueKind == JsonValueKind.String && sourceType.ValueEquals("text"u8)
                && documentSource.TryGetProperty("data", out var data))
            {
                // A document is third-party content, like a tool result: injection is looked for there too.
                Append(builders, TextSource.ToolResult, data);
            }
        }
    }

    private static void Append(StringBuilder?[] builders, TextSource source, JsonElement text)
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

        AppendRaw(builders, source, value);
    }

    private static void AppendRaw(StringBuilder?[] builders, TextSource source, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        var builder = builders[(int)source] ??= new StringBuilder();
        if (builder.Length > 0)
        {
            // A blank line keeps phrases from running across two messages.
            builder.Append("\n\n");
        }

        builder.Append(value);
    }
}
