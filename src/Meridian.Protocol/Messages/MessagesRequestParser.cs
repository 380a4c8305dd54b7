using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;
using Meridian.Protocol.Errors;

namespace Meridian.Protocol.Messages;

/// <summary>
/// Validates a Messages request body the way Anthropic does, field by field, and names the field in every
/// error. It checks only fields the gateway knows; unknown fields pass through untouched so newer API
/// features keep working, but nothing the gateway decides (routing, tenancy, billing) ever reads them.
/// </summary>
public static class MessagesRequestParser
{
    /// <summary>Anthropic's documented limit for a Messages request.</summary>
    public const int MaxBodyBytes = 32 * 1024 * 1024;

    private const int MaxDepth = 64;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static bool TryParse(
        ReadOnlyMemory<byte> body,
        bool isCountTokens,
        [NotNullWhen(true)] out MessagesRequest? request,
        [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (body.IsEmpty)
        {
            error = ApiError.InvalidRequest("The request body is empty; expected a JSON object.");
            return false;
        }

        // JsonDocument checks the UTF-8 of the structure but not inside string values; check it all up front.
        if (!Utf8.IsValid(body.Span))
        {
            error = ApiError.InvalidRequest("The request body is not valid UTF-8.");
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            error = ApiError.InvalidRequest(DescribeJsonFailure(ex));
            return false;
        }

        string? model;
        int maxTokens;
        bool stream;
        try
        {
            error = Validate(document.RootElement, isCountTokens, out model, out maxTokens, out stream);
        }
        catch (InvalidOperationException)
        {
            // Legal JSON that cannot become a .NET string (an escaped lone surrogate such as "\ud800").
            error = ApiError.InvalidRequest("The request body contains a string that is not valid Unicode (an unpaired surrogate escape).");
            document.Dispose();
            return false;
        }

        if (error is not null)
        {
            document.Dispose();
            return false;
        }

        request = new MessagesRequest(body, document, model!, maxTokens, stream);
        return true;
    }

    private static string DescribeJsonFailure(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("duplicate", StringComparison.OrdinalIgnoreCase))
        {
            var start = message.IndexOf('\'');
            var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
            var name = end > start ? $" '{message[(start + 1)..end]}'" : string.Empty;
            return $"The request body has a duplicate property{name}{Where(ex)}; each property may appear only once.";
        }

        if (message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            return $"The request body is nested too deeply (more than {MaxDepth} levels).";
        }

        if (message.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || message.Contains("UTF8", StringComparison.OrdinalIgnoreCase))
        {
            return "The request body is not valid UTF-8" + Where(ex) + ".";
        }

        return "The request body is not valid JSON" + Where(ex) + ".";
    }

    private static string Where(JsonException ex) =>
        ex.BytePositionInLine is { } column && ex.LineNumber is { } line
            ? $" (line {line + 1}, byte {column + 1})"
            : string.Empty;

    private static ApiError? Validate(JsonElement root, bool isCountTokens, out string? model, out int maxTokens, out bool stream)
    {
        model = null;
        maxTokens = 0;
        stream = false;

        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid("The request body must be a JSON object.");
        }

        if (!root.TryGetProperty("model", out var modelElement))
        {
            return Invalid("model: Field required");
        }

        if (StringOf(modelElement) is not { Length: > 0 } modelName)
        {
            return Invalid("model: Input should be a non-empty string");
        }

        model = modelName;

        if (!isCountTokens)
        {
            if (!root.TryGetProperty("max_tokens", out var maxTokensElement))
            {
                return Invalid("max_tokens: Field required");
            }

            if (maxTokensElement.ValueKind != JsonValueKind.Number || !maxTokensElement.TryGetInt32(out maxTokens))
            {
                return Invalid("max_tokens: Input should be a valid integer");
            }

            if (maxTokens < 1)
            {
                return Invalid("max_tokens: Input should be greater than or equal to 1");
            }

            if (root.TryGetProperty("stream", out var streamElement))
            {
                switch (streamElement.ValueKind)
                {
                    case JsonValueKind.True: stream = true; break;
                    case JsonValueKind.False: case JsonValueKind.Null: break;
                    default: return Invalid("stream: Input should be a valid boolean");
                }
            }
        }

        return ValidateMessages(root)
            ?? ValidateSystem(root)
            ?? ValidateUnitInterval(root, "temperature")
            ?? ValidateUnitInterval(root, "top_p")
            ?? ValidateTopK(root)
            ?? ValidateStopSequences(root)
            ?? ValidateMetadata(root)
            ?? ValidateTools(root)
            ?? ValidateToolChoice(root)
            ?? ValidateThinking(root, maxTokens, isCountTokens);
    }

    private static ApiError? ValidateMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages))
        {
            return Invalid("messages: Field required");
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            return Invalid("messages: Input should be a valid list");
        }

        if (messages.GetArrayLength() == 0)
        {
            return Invalid("messages: at least one message is required");
        }

        var index = 0;
        string? previousRole = null;
        foreach (var message in messages.EnumerateArray())
        {
            var path = $"messages.{index}";
            if (message.ValueKind != JsonValueKind.Object)
            {
                return Invalid($"{path}: Input should be a valid dictionary");
            }

            if (!message.TryGetProperty("role", out var roleElement))
            {
                return Invalid($"{path}.role: Field required");
            }

            var role = StringOf(roleElement);
            if (role is not ("user" or "assistant"))
            {
                return Invalid($"{path}.role: Input should be 'user' or 'assistant'");
            }

            if (index == 0 && role != "user")
            {
                return Invalid("messages: the first message must use the \"user\" role");
            }

            if (role == previousRole)
            {
                return Invalid($"messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"{role}\" roles in a row at {path}");
            }

            if (!message.TryGetProperty("content", out var content))
            {
                return Invalid($"{path}.content: Field required");
            }

            if (ValidateContent(content, $"{path}.content", role) is { } contentError)
            {
                return contentError;
            }

            // Only a final assistant turn (a prefill) may be empty.
            var isFinalAssistant = role == "assistant" && index == messages.GetArrayLength() - 1;
            if (!isFinalAssistant && IsEmptyContent(content))
            {
                return Invalid($"{path}.content: messages must have non-empty content (only a final assistant message may be empty)");
            }

            previousRole = role;
            index++;
        }

        return null;
    }

    private static ApiError? ValidateContent(JsonElement content, string path, string role)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return null;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return Invalid($"{path}: Input should be a valid string or list of content blocks");
        }

        var index = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.{index}";
            if (block.ValueKind != JsonValueKind.Object)
            {
                return Invalid($"{blockPath}: Input should be a valid dictionary");
            }

            if (!block.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                return Invalid($"{blockPath}.type: Field required");
            }

            switch (typeElement.GetString())
            {
                case "text":
                    if (!block.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    {
                        return Invalid($"{blockPath}.text: Input should be a valid string");
                    }

                    break;
                case "tool_use":
                    if (role != "assistant")
                    {
                        return Invalid($"{blockPath}: tool_use blocks may only appear in assistant messages");
                    }

                    if (!IsNonEmptyString(block, "id") || !IsNonEmptyString(block, "name"))
                    {
                        return Invalid($"{blockPath}: tool_use blocks need a string id and name");
                    }

                    if (!block.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
                    {
                        return Invalid($"{blockPath}.input: Input should be a valid dictionary");
                    }

                    break;
                case "tool_result":
                    if (role != "user")
                    {
                        return Invalid($"{blockPath}: tool_result blocks may only appear in user messages");
                    }

                    if (!IsNonEmptyString(block, "tool_use_id"))
                    {
                        return Invalid($"{blockPath}.tool_use_id: Field required");
                    }

                    if (block.TryGetProperty("content", out var resultContent)
                        && resultContent.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
                    {
                        return Invalid($"{blockPath}.content: Input should be a valid string or list of content blocks");
                    }

                    break;
                default:
                    // image, document, thinking, redacted_thinking and newer block types are the backend's to judge.
                    break;
            }

            index++;
        }

        return null;
    }

    private static ApiError? ValidateSystem(JsonElement root)
    {
        if (!root.TryGetProperty("system", out var system) || system.ValueKind is JsonValueKind.String or JsonValueKind.Null)
        {
            return null;
        }

        if (system.ValueKind != JsonValueKind.Array)
        {
            return Invalid("system: Input should be a valid string or list of text blocks");
        }

        var index = 0;
        foreach (var block in system.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object
                || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("text")
                || !block.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                return Invalid($"system.{index}: Input should be a text block with a string \"text\"");
            }

            index++;
        }

        return null;
    }

    private static ApiError? ValidateUnitInterval(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
        {
            return Invalid($"{name}: Input should be a valid number");
        }

        return number switch
        {
            < 0 => Invalid($"{name}: Input should be greater than or equal to 0"),
            > 1 => Invalid($"{name}: Input should be less than or equal to 1"),
            _ => null,
        };
    }

    private static ApiError? ValidateTopK(JsonElement root)
    {
        if (!root.TryGetProperty("top_k", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var topK))
        {
            return Invalid("top_k: Input should be a valid integer");
        }

        return topK < 0 ? Invalid("top_k: Input should be greater than or equal to 0") : null;
    }

    private static ApiError? ValidateStopSequences(JsonElement root)
    {
        if (!root.TryGetProperty("stop_sequences", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return Invalid("stop_sequences: Input should be a valid list");
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (StringOf(item) is not { Length: > 0 })
            {
                return Invalid($"stop_sequences.{index}: Input should be a non-empty string");
            }

            index++;
        }

        return null;
    }

    private static ApiError? ValidateMetadata(JsonElement root)
    {
        if (!root.TryGetProperty("metadata", out var metadata) || metadata.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (metadata.ValueKind != JsonValueKind.Object)
        {
            return Invalid("metadata: Input should be a valid dictionary");
        }

        if (metadata.TryGetProperty("user_id", out var userId) && userId.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            return Invalid("metadata.user_id: Input should be a valid string");
        }

        return null;
    }

    private static ApiError? ValidateTools(JsonElement root)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            return Invalid("tools: Input should be a valid list");
        }

        var index = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tool in tools.EnumerateArray())
        {
            var path = $"tools.{index}";
            if (tool.ValueKind != JsonValueKind.Object)
            {
                return Invalid($"{path}: Input should be a valid dictionary");
            }

            if (!tool.TryGetProperty("name", out var name) || StringOf(name) is not { Length: > 0 } toolName)
            {
                return Invalid($"{path}.name: Field required (a non-empty string)");
            }

            if (!names.Add(toolName))
            {
                return Invalid($"tools: tool names must be unique; \"{toolName}\" appears more than once");
            }

            if (tool.TryGetProperty("type", out var toolType) && toolType.ValueKind != JsonValueKind.String)
            {
                return Invalid($"{path}.type: Input should be a valid string");
            }

            // Server tools (web_search, bash, ...) carry a versioned "type" and no schema; custom tools need one.
            var isCustom = !tool.TryGetProperty("type", out var type) || (type.ValueKind == JsonValueKind.String && type.ValueEquals("custom"));
            if (isCustom && (!tool.TryGetProperty("input_schema", out var schema) || schema.ValueKind != JsonValueKind.Object))
            {
                return Invalid($"{path}.input_schema: Field required (a JSON Schema object)");
            }

            index++;
        }

        return null;
    }

    private static ApiError? ValidateToolChoice(JsonElement root)
    {
        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return Invalid("tool_choice: Input should be an object with a \"type\"");
        }

        switch (type.GetString())
        {
            case "auto" or "any" or "none":
                return null;
            case "tool":
                if (!IsNonEmptyString(choice, "name"))
                {
                    return Invalid("tool_choice.name: Field required when tool_choice.type is \"tool\"");
                }

                var wanted = choice.GetProperty("name").GetString();
                if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array
                    && tools.EnumerateArray().Any(t => t.TryGetProperty("name", out var n) && n.ValueEquals(wanted)))
                {
                    return null;
                }

                return Invalid($"tool_choice.name: no tool named \"{wanted}\" is listed in tools");
            default:
                return Invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
        }
    }

    private static ApiError? ValidateThinking(JsonElement root, int maxTokens, bool isCountTokens)
    {
        if (!root.TryGetProperty("thinking", out var thinking) || thinking.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (thinking.ValueKind != JsonValueKind.Object || !thinking.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return Invalid("thinking: Input should be an object with a \"type\"");
        }

        if (!type.ValueEquals("enabled"))
        {
            return null;
        }

        if (!thinking.TryGetProperty("budget_tokens", out var budget) || budget.ValueKind != JsonValueKind.Number || !budget.TryGetInt32(out var tokens))
        {
            return Invalid("thinking.budget_tokens: Field required (an integer)");
        }

        if (tokens < 1024)
        {
            return Invalid("thinking.budget_tokens: Input should be greater than or equal to 1024");
        }

        if (!isCountTokens && tokens >= maxTokens)
        {
            return Invalid("thinking.budget_tokens: must be less than max_tokens");
        }

        return null;
    }

    private static bool IsEmptyContent(JsonElement content) =>
        content.ValueKind == JsonValueKind.String ? content.GetString()!.Length == 0 : content.GetArrayLength() == 0;

    private static bool IsNonEmptyString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && StringOf(value) is { Length: > 0 };

    /// <summary>The string value, or null when the element is not a string or holds an unpaired surrogate escape.</summary>
    private static string? StringOf(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static ApiError Invalid(string message) => ApiError.InvalidRequest(message);
}
