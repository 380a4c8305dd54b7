using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Meridian.Protocol.Errors;

namespace Meridian.Protocol.Messages;

/// <summary>
/// Validates a Messages request body the way Anthropic does, field by field, and names the field in every error:
/// what Anthropic refuses (shapes, roles and their order, tool call pairing, the limits in <see cref="RequestLimits"/>,
/// media that is not what it claims) and what routing, quotas, screening and metering read. Everything else passes
/// through untouched so newer API features keep working; what the gateway does not know is noted in
/// <see cref="RequestFeatures"/>, so a backend that could not express it refuses instead of dropping it.
/// </summary>
public static partial class MessagesRequestParser
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
        catch (InvalidOperationException)
        {
            // The duplicate-member check unescapes every member name; found by the fuzzer (tests/data/fuzz/request).
            error = UnpairedSurrogate();
            return false;
        }

        string? model;
        int maxTokens;
        bool stream;
        var features = new RequestFeatures();
        try
        {
            error = Validate(document.RootElement, isCountTokens, features, out model, out maxTokens, out stream);
        }
        catch (InvalidOperationException)
        {
            // Legal JSON that cannot become a .NET string (an escaped lone surrogate such as "\ud800").
            error = UnpairedSurrogate();
            document.Dispose();
            return false;
        }

        if (error is not null)
        {
            document.Dispose();
            return false;
        }

        request = new MessagesRequest(body, document, model!, maxTokens, stream, features);
        return true;
    }

    /// <summary>Legal JSON that cannot become a .NET string: an escaped lone surrogate such as <c>"\ud800"</c>.</summary>
    private static ApiError UnpairedSurrogate() =>
        ApiError.InvalidRequest("The request body contains a string that is not valid Unicode (an unpaired surrogate escape).");

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

    private static ApiError? Validate(JsonElement root, bool isCountTokens, RequestFeatures features, out string? model, out int maxTokens, out bool stream)
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

        return new MessagesWalk(features).Validate(root)
            ?? ValidateSystem(root)
            ?? ValidateUnitInterval(root, "temperature")
            ?? ValidateUnitInterval(root, "top_p")
            ?? ValidateTopK(root)
            ?? ValidateStopSequences(root)
            ?? ValidateMetadata(root)
            ?? ValidateTools(root, features)
            ?? ValidateToolChoice(root, features)
            ?? ValidateThinking(root, maxTokens, isCountTokens, features)
            ?? ValidateOutputConfig(root, features)
            ?? ValidateContextManagement(root, features)
            ?? NoteUnknownFields(root, features);
    }

    /// <summary>
    /// Top-level fields the gateway knows. Anything else is passed to Anthropic-kind upstreams as it came and refused by
    /// backends that cannot express it (<see cref="FeatureKind.Unknown"/>): the gateway cannot tell whether ignoring it
    /// would change the answer.
    /// </summary>
    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "model", "messages", "max_tokens", "stream", "system", "temperature", "top_p", "top_k", "stop_sequences",
        "metadata", "tools", "tool_choice", "thinking", "output_config", "context_management",

        // Hints whose absence changes nothing an answer may say: one service tier, and prompt caching, which a backend
        // without a cache simply does not do.
        "service_tier", "cache_control",
    };

    private static ApiError? NoteUnknownFields(JsonElement root, RequestFeatures features)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!KnownFields.Contains(property.Name))
            {
                features.Add(FeatureKind.Unknown, property.Name, property.Name);
            }
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
            if (!IsTextBlock(block))
            {
                return Invalid($"system.{index}: Input should be a text block with a string \"text\"");
            }

            index++;
        }

        return null;
    }

    private static bool IsTextBlock(JsonElement block) =>
        block.ValueKind == JsonValueKind.Object
        && block.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("text")
        && block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String;

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

        if (value.GetArrayLength() > RequestLimits.MaxStopSequences)
        {
            return Invalid($"stop_sequences: List should have at most {RequestLimits.MaxStopSequences} items, not {value.GetArrayLength()}");
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

        if (!metadata.TryGetProperty("user_id", out var userId) || userId.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (StringOf(userId) is not { } id)
        {
            return Invalid("metadata.user_id: Input should be a valid string");
        }

        return id.Length > RequestLimits.MaxUserIdLength
            ? Invalid($"metadata.user_id: String should have at most {RequestLimits.MaxUserIdLength} characters, not {id.Length}")
            : null;
    }

    private static ApiError? ValidateTools(JsonElement root, RequestFeatures features)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            return Invalid("tools: Input should be a valid list");
        }

        if (tools.GetArrayLength() > RequestLimits.MaxTools)
        {
            return Invalid($"tools: List should have at most {RequestLimits.MaxTools} items, not {tools.GetArrayLength()}");
        }

        var index = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tool in tools.EnumerateArray())
        {
            if (ValidateTool(tool, $"tools.{index}", names, features) is { } error)
            {
                return error;
            }

            index++;
        }

        return null;
    }

    private static ApiError? ValidateTool(JsonElement tool, string path, HashSet<string> names, RequestFeatures features)
    {
        if (tool.ValueKind != JsonValueKind.Object)
        {
            return Invalid($"{path}: Input should be a valid dictionary");
        }

        if (!tool.TryGetProperty("name", out var name) || StringOf(name) is not { Length: > 0 } toolName)
        {
            return Invalid($"{path}.name: Field required (a non-empty string)");
        }

        if (toolName.Length > RequestLimits.MaxToolNameLength)
        {
            return Invalid($"{path}.name: String should have at most {RequestLimits.MaxToolNameLength} characters, not {toolName.Length}");
        }

        if (!IsToolName(toolName))
        {
            return Invalid($"{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,{RequestLimits.MaxToolNameLength}}}$'");
        }

        if (!names.Add(toolName))
        {
            return Invalid($"tools: tool names must be unique; \"{toolName}\" appears more than once");
        }

        if (tool.TryGetProperty("type", out var toolType) && toolType.ValueKind != JsonValueKind.String)
        {
            return Invalid($"{path}.type: Input should be a valid string");
        }

        if (tool.TryGetProperty("description", out var description) && description.ValueKind != JsonValueKind.Null)
        {
            if (StringOf(description) is not { } text)
            {
                return Invalid($"{path}.description: Input should be a valid string");
            }

            if (text.Length > RequestLimits.MaxToolDescriptionChars)
            {
                return Invalid($"{path}.description: String should have at most {RequestLimits.MaxToolDescriptionChars} characters, not {text.Length}");
            }
        }

        // Server tools (web_search, bash, ...) carry a versioned "type" and no schema; custom tools need one.
        var isCustom = !tool.TryGetProperty("type", out var type) || type.ValueEquals("custom");
        if (!isCustom)
        {
            features.Add(FeatureKind.ServerTool, path, StringOf(type));
            return null;
        }

        if (!tool.TryGetProperty("input_schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
        {
            return Invalid($"{path}.input_schema: Field required (a JSON Schema object)");
        }

        if (!schema.TryGetProperty("type", out var schemaType) || !schemaType.ValueEquals("object"))
        {
            return Invalid($"{path}.input_schema.type: Input should be 'object'");
        }

        var schemaBytes = JsonMarshal.GetRawUtf8Value(schema).Length;
        return schemaBytes > RequestLimits.MaxToolSchemaBytes
            ? Invalid($"{path}.input_schema: the schema is {schemaBytes} bytes of JSON; at most {RequestLimits.MaxToolSchemaBytes} are accepted")
            : null;
    }

    private static bool IsToolName(string name)
    {
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static ApiError? ValidateToolChoice(JsonElement root, RequestFeatures features)
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
            case "auto" or "none":
                return null;
            case "any":
                features.Add(FeatureKind.ForcedToolCall, "tool_choice");
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
                    features.Add(FeatureKind.ForcedToolCall, "tool_choice");
                    return null;
                }

                return Invalid($"tool_choice.name: no tool named \"{wanted}\" is listed in tools");
            default:
                return Invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
        }
    }

    private static ApiError? ValidateThinking(JsonElement root, int maxTokens, bool isCountTokens, RequestFeatures features)
    {
        if (!root.TryGetProperty("thinking", out var thinking) || thinking.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (thinking.ValueKind != JsonValueKind.Object || !thinking.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return Invalid("thinking: Input should be an object with a \"type\"");
        }

        if (type.ValueEquals("disabled") || type.ValueEquals("adaptive"))
        {
            return null;
        }

        if (!type.ValueEquals("enabled"))
        {
            features.Add(FeatureKind.Unknown, "thinking.type", StringOf(type));
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

    /// <summary><c>output_config</c>: <c>effort</c> (a hint) and <c>format</c> (structured outputs) are known; other keys are not.</summary>
    private static ApiError? ValidateOutputConfig(JsonElement root, RequestFeatures features)
    {
        if (!root.TryGetProperty("output_config", out var config) || config.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (config.ValueKind != JsonValueKind.Object)
        {
            return Invalid("output_config: Input should be a valid dictionary");
        }

        foreach (var property in config.EnumerateObject())
        {
            switch (property.Name)
            {
                case "effort":
                    if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        return Invalid("output_config.effort: Input should be a valid string");
                    }

                    break;
                case "format":
                    if (ValidateFormat(property.Value, features) is { } error)
                    {
                        return error;
                    }

                    break;
                default:
                    features.Add(FeatureKind.Unknown, "output_config." + property.Name, property.Name);
                    break;
            }
        }

        return null;
    }

    private static ApiError? ValidateFormat(JsonElement format, RequestFeatures features)
    {
        if (format.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (format.ValueKind != JsonValueKind.Object || !format.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return Invalid("output_config.format: Input should be an object with a \"type\"");
        }

        if (!type.ValueEquals("json_schema"))
        {
            features.Add(FeatureKind.Unknown, "output_config.format.type", StringOf(type));
            return null;
        }

        if (!format.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
        {
            return Invalid("output_config.format.schema: Field required (a JSON Schema object)");
        }

        features.Add(FeatureKind.StructuredOutput, "output_config.format");
        return null;
    }

    /// <summary>
    /// <c>context_management.edits</c>: clearing old thinking is moot for a backend that makes no thinking blocks, so
    /// only other edits (clearing tool results, compaction) need a backend that performs them.
    /// </summary>
    private static ApiError? ValidateContextManagement(JsonElement root, RequestFeatures features)
    {
        if (!root.TryGetProperty("context_management", out var management) || management.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (management.ValueKind != JsonValueKind.Object)
        {
            return Invalid("context_management: Input should be a valid dictionary");
        }

        foreach (var property in management.EnumerateObject())
        {
            if (!property.NameEquals("edits"))
            {
                features.Add(FeatureKind.Unknown, "context_management." + property.Name, property.Name);
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.Array)
            {
                return Invalid("context_management.edits: Input should be a valid list");
            }

            var index = 0;
            foreach (var edit in property.Value.EnumerateArray())
            {
                if (edit.ValueKind != JsonValueKind.Object || !edit.TryGetProperty("type", out var type) || StringOf(type) is not { } editType)
                {
                    return Invalid($"context_management.edits.{index}.type: Field required");
                }

                if (!editType.StartsWith("clear_thinking_", StringComparison.Ordinal))
                {
                    features.Add(FeatureKind.ContextEdit, $"context_management.edits.{index}", editType);
                }

                index++;
            }
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
