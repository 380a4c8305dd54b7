using System.Text;
using System.Text.Json;
using Meridian.Protocol.Messages;

namespace Meridian.Simulator.Answers;

/// <summary>The few facts about a conversation that the simulator's answer is built from.</summary>
internal sealed class Conversation
{
    private Conversation(ulong hash, int turn, string lastUserText, string? systemText, IReadOnlyList<ToolResultFact> toolResults)
    {
        Hash = hash;
        Turn = turn;
        LastUserText = lastUserText;
        SystemText = systemText;
        ToolResults = toolResults;
    }

    /// <summary>The text of the latest system message inside the conversation (a <c>"role": "system"</c> message), if any.</summary>
    public string? LatestSystemMessage { get; private init; }

    /// <summary>How many images and documents the last user turn carries, tool results included.</summary>
    public (int Images, int Documents) LastUserMedia { get; private init; }

    /// <summary>FNV-1a of the system prompt and every turn's role and text: the seed of everything "random".</summary>
    public ulong Hash { get; }

    /// <summary>How many user turns the conversation has (1 for a single question).</summary>
    public int Turn { get; }

    /// <summary>The text blocks (or the string) of the last user turn; tool results are not part of it.</summary>
    public string LastUserText { get; }

    public string? SystemText { get; }

    /// <summary>The <c>tool_result</c> blocks of the last user turn, in order.</summary>
    public IReadOnlyList<ToolResultFact> ToolResults { get; }

    public static Conversation Read(MessagesRequest request)
    {
        var hash = default(Fnv1a);
        string? systemText = null;
        if (request.System is { } system)
        {
            systemText = ContentText.Of(system);
            hash.Append("system");
            hash.AppendSeparator();
            hash.Append(systemText);
            hash.AppendSeparator();
        }

        var turn = 0;
        JsonElement? lastUser = null;
        JsonElement? assistantBeforeLastUser = null;
        JsonElement? previousAssistant = null;
        string? latestSystemMessage = null;
        foreach (var message in request.Messages.EnumerateArray())
        {
            var role = message.GetProperty("role").GetString()!;
            var content = message.GetProperty("content");
            var text = ContentText.Of(content);
            hash.Append(role);
            hash.AppendSeparator();
            hash.Append(text);
            hash.AppendSeparator();
            switch (role)
            {
                case "user":
                    turn++;
                    lastUser = content;
                    assistantBeforeLastUser = previousAssistant;
                    break;
                case "system":
                    // Instructions added partway through (mid-conversation system messages): not a turn of either side.
                    latestSystemMessage = text;
                    break;
                default:
                    previousAssistant = content;
                    break;
            }
        }

        var lastUserText = lastUser is { } user ? TextOf(user) : string.Empty;
        var toolResults = lastUser is { } withResults ? ToolResultsOf(withResults, assistantBeforeLastUser) : [];
        return new Conversation(hash.Value, turn, lastUserText, systemText, toolResults)
        {
            LatestSystemMessage = latestSystemMessage,
            LastUserMedia = lastUser is { } media ? MediaOf(media) : default,
        };
    }

    private static (int Images, int Documents) MediaOf(JsonElement content)
    {
        var (images, documents) = (0, 0);
        if (content.ValueKind != JsonValueKind.Array)
        {
            return (images, documents);
        }

        foreach (var block in content.EnumerateArray())
        {
            if (!block.TryGetProperty("type", out var type))
            {
                continue;
            }

            if (type.ValueEquals("image"))
            {
                images++;
            }
            else if (type.ValueEquals("document"))
            {
                documents++;
            }
            else if (type.ValueEquals("tool_result") && block.TryGetProperty("content", out var inner))
            {
                var (innerImages, innerDocuments) = MediaOf(inner);
                images += innerImages;
                documents += innerDocuments;
            }
        }

        return (images, documents);
    }

    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return SafeString(content);
        }

        var builder = new StringBuilder();
        foreach (var block in content.EnumerateArray())
        {
            if (block.TryGetProperty("type", out var type) && type.ValueEquals("text")
                && block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                if (builder.Length > 0)
                {
                    builder.Append('\n');
                }

                builder.Append(SafeString(text));
            }
        }

        return builder.ToString();
    }

    private static List<ToolResultFact> ToolResultsOf(JsonElement content, JsonElement? assistant)
    {
        var results = new List<ToolResultFact>();
        if (content.ValueKind != JsonValueKind.Array)
        {
            return results;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (!block.TryGetProperty("type", out var type) || !type.ValueEquals("tool_result"))
            {
                continue;
            }

            var id = SafeString(block.GetProperty("tool_use_id"));
            var text = block.TryGetProperty("content", out var inner) ? ContentText.Of(inner) : string.Empty;
            var isError = block.TryGetProperty("is_error", out var error) && error.ValueKind == JsonValueKind.True;
            results.Add(new ToolResultFact(ToolNameOf(id, assistant), text, isError));
        }

        return results;
    }

    /// <summary>The name of the tool_use block, in the assistant turn before, that the result answers.</summary>
    private static string? ToolNameOf(string toolUseId, JsonElement? assistant)
    {
        if (assistant is not { ValueKind: JsonValueKind.Array } blocks)
        {
            return null;
        }

        foreach (var block in blocks.EnumerateArray())
        {
            if (block.TryGetProperty("type", out var type) && type.ValueEquals("tool_use")
                && block.TryGetProperty("id", out var id) && id.ValueEquals(toolUseId)
                && block.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
            {
                return SafeString(name);
            }
        }

        return null;
    }

    /// <summary>
    /// The parser accepts JSON strings it never reads, and JSON may escape an unpaired surrogate ("\ud800") that no
    /// .NET string can hold; such text is treated as empty rather than failing the answer.
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
}

internal sealed record ToolResultFact(string? ToolName, string Text, bool IsError);
