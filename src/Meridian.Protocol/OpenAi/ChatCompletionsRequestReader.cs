using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Meridian.Protocol.Errors;

namespace Meridian.Protocol.OpenAi;

/// <summary>What the OpenAI front door learnt from a chat completions request, besides the Messages body it became.</summary>
/// <param name="MessagesBody">The equivalent Anthropic Messages body; it goes through <c>MessagesRequestParser</c> like any other.</param>
/// <param name="Stream">The client asked for <c>chat.completion.chunk</c> events.</param>
/// <param name="IncludeUsage"><c>stream_options.include_usage</c>: a usage chunk before <c>[DONE]</c>.</param>
public sealed record ChatCompletionsRequest(ReadOnlyMemory<byte> MessagesBody, bool Stream, bool IncludeUsage);

/// <summary>
/// Reads an OpenAI chat completions request (<c>POST /v1/chat/completions</c>) and writes the Anthropic Messages request
/// that means the same (docs/openai.md, "Request"). Anything the Messages API cannot express faithfully — several
/// choices, log probabilities, penalties, audio, a temperature above 1, an unknown field — is refused with a 400 naming
/// the field (<see cref="ApiError.Param"/>), never dropped: a client must not get an answer to a different question than
/// it asked. Stateless and thread-safe.
/// </summary>
public static class ChatCompletionsRequestReader
{
    /// <summary>
    /// <c>max_tokens</c> when the client sends neither <c>max_completion_tokens</c> nor <c>max_tokens</c>: OpenAI then
    /// lets the model run to its own limit, while Anthropic requires a number, and the gateway reserves quota for it.
    /// </summary>
    public const int DefaultMaxTokens = 4096;

    private const int MaxDepth = 64;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    // Relaxed escaping keeps base64 image data and non-ASCII text as they came.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Translates <paramref name="body"/>, or says why it cannot be (a 400 with the field in <see cref="ApiError.Param"/>).</summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out ChatCompletionsRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (body.IsEmpty)
        {
            error = ApiError.InvalidRequest("The request body is empty; expected a JSON object.");
            return false;
        }

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
            error = ApiError.InvalidRequest(
                $"We could not parse the JSON body of your request ({(ex.LineNumber is { } line ? $"line {line + 1}, byte {ex.BytePositionInLine + 1}" : "invalid JSON")}).");
            return false;
        }

        using (document)
        {
            var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
            try
            {
                bool stream, includeUsage;
                using (var json = new Utf8JsonWriter(buffer, WriterOptions))
                {
                    Translate(document.RootElement, json, out stream, out includeUsage);
                }

                request = new ChatCompletionsRequest(buffer.WrittenMemory, stream, includeUsage);
                error = null;
                return true;
            }
            catch (Refused refused)
            {
                error = ApiError.InvalidRequest(refused.Message) with { Param = refused.Param };
                return false;
            }
            catch (InvalidOperationException)
            {
                // Legal JSON that cannot become a .NET string (an escaped lone surrogate such as "\ud800").
                error = ApiError.InvalidRequest("The request body contains a string that is not valid Unicode (an unpaired surrogate escape).");
                return false;
            }
        }
    }

    private static void Translate(JsonElement root, Utf8JsonWriter json, out bool stream, out bool includeUsage)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new Refused(null, "The request body must be a JSON object.");
        }

        CheckFields(root);
        var model = root.TryGetProperty("model", out var modelElement) && modelElement.ValueKind == JsonValueKind.String
            ? modelElement.GetString()!
            : throw new Refused("model", "you must provide a model parameter (a string).");
        if (model.Length == 0)
        {
            throw new Refused("model", "model must be a non-empty string.");
        }

        stream = BooleanOf(root, "stream") ?? false;
        includeUsage = false;
        if (root.TryGetProperty("stream_options", out var streamOptions) && streamOptions.ValueKind != JsonValueKind.Null)
        {
            if (streamOptions.ValueKind != JsonValueKind.Object)
            {
                throw new Refused("stream_options", "stream_options must be an object.");
            }

            // include_obfuscation pads chunks against length side channels; leaving the padding out changes no content.
            includeUsage = BooleanOf(streamOptions, "include_usage", "stream_options.include_usage") ?? false;
        }

        var conversation = Conversation.Read(root);

        json.WriteStartObject();
        json.WriteString("model"u8, model);
        json.WriteNumber("max_tokens"u8, MaxTokensOf(root));
        if (conversation.System.Count == 1)
        {
            json.WriteString("system"u8, conversation.System[0]);
        }
        else if (conversation.System.Count > 1)
        {
            json.WriteStartArray("system"u8);
            foreach (var text in conversation.System)
            {
                WriteTextBlock(json, text);
            }

            json.WriteEndArray();
        }

        json.WriteStartArray("messages"u8);
        foreach (var turn in conversation.Turns)
        {
            turn.Write(json);
        }

        json.WriteEndArray();

        WriteTemperature(root, json);
        WriteUnitInterval(root, json, "top_p");
        WriteStop(root, json);
        if (stream)
        {
            json.WriteBoolean("stream"u8, true);
        }

        // safety_identifier is OpenAI's newer name for user; both identify the end user to the provider.
        if ((OptionalString(root, "safety_identifier") ?? OptionalString(root, "user")) is { } user)
        {
            json.WriteStartObject("metadata"u8);
            json.WriteString("user_id"u8, user);
            json.WriteEndObject();
        }

        WriteTools(root, json);
        WriteOutputConfig(root, json);
        json.WriteEndObject();
    }

    /// <summary>
    /// Every top-level field is either translated, harmless to leave out (its absence changes no answer), or refused.
    /// OpenAI itself answers an unknown field with 400, so an unknown one is refused too rather than ignored.
    /// </summary>
    private static void CheckFields(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            var isNull = value.ValueKind == JsonValueKind.Null;
            switch (property.Name)
            {
                case "model" or "messages" or "max_tokens" or "max_completion_tokens" or "temperature" or "top_p" or "stop" or "stream"
                    or "stream_options" or "user" or "safety_identifier" or "tools" or "tool_choice" or "parallel_tool_calls"
                    or "response_format" or "reasoning_effort":
                    break;

                // Ignored: seed is best effort in OpenAI's own API (no answer is promised to be reproducible); metadata only
                // labels a stored completion, and nothing is stored; prompt_cache_key is a routing hint for OpenAI's cache.
                case "seed" when isNull || value.ValueKind == JsonValueKind.Number:
                case "metadata" when isNull || value.ValueKind == JsonValueKind.Object:
                case "prompt_cache_key" when isNull || value.ValueKind == JsonValueKind.String:
                    break;

                case "store" when isNull || value.ValueKind == JsonValueKind.False:
                    break;
                case "store":
                    throw new Refused("store", "store: true is not supported: this gateway does not store completions.");

                case "service_tier" when isNull || value.ValueEquals("auto"u8) || value.ValueEquals("default"u8):
                    break;
                case "service_tier":
                    throw new Refused("service_tier", "service_tier: only 'auto' and 'default' are supported.");

                case "n" when isNull || (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n == 1):
                    break;
                case "n":
                    throw new Refused("n", "n: only one choice per request is supported (n = 1).");

                case "frequency_penalty" or "presence_penalty" when isNull || (value.ValueKind == JsonValueKind.Number && value.GetDouble() == 0):
                    break;
                case "frequency_penalty" or "presence_penalty":
                    throw new Refused(property.Name, $"{property.Name} is not supported by this gateway's models; send 0 or leave it out.");

                case "logit_bias" when isNull || (value.ValueKind == JsonValueKind.Object && !value.EnumerateObject().Any()):
                    break;
                case "logit_bias":
                    throw new Refused("logit_bias", "logit_bias is not supported by this gateway's models.");

                case "logprobs" when isNull || value.ValueKind == JsonValueKind.False:
                case "top_logprobs" when isNull || (value.ValueKind == JsonValueKind.Number && value.GetDouble() == 0):
                    break;
                case "logprobs" or "top_logprobs":
                    throw new Refused(property.Name, $"{property.Name}: log probabilities are not supported by this gateway's models.");

                case "modalities" when isNull || (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(m => m.ValueEquals("text"u8))):
                    break;
                case "modalities":
                    throw new Refused("modalities", "modalities: only text output is supported.");

                case "verbosity" when isNull || value.ValueEquals("medium"u8):
                    break;

                case "audio" or "prediction" or "web_search_options" or "verbosity" when !isNull:
                    throw new Refused(property.Name, $"{property.Name} is not supported by this gateway.");
                case "audio" or "prediction" or "web_search_options":
                    break;

                case "functions" or "function_call" when !isNull:
                    throw new Refused(property.Name, $"{property.Name} (the legacy function calling API) is not supported; use tools and tool_choice.");
                case "functions" or "function_call":
                    break;

                default:
                    throw new Refused(property.Name, $"Unrecognized request argument supplied: {property.Name}");
            }
        }
    }

    private static int MaxTokensOf(JsonElement root)
    {
        var completion = PositiveInt(root, "max_completion_tokens");
        var legacy = PositiveInt(root, "max_tokens");
        if (completion is { } a && legacy is { } b && a != b)
        {
            throw new Refused("max_tokens", "max_tokens and max_completion_tokens disagree; send one of them.");
        }

        return completion ?? legacy ?? DefaultMaxTokens;
    }

    /// <summary>
    /// OpenAI accepts temperatures up to 2, Anthropic up to 1. Values in [0, 1] mean the same on both sides and pass
    /// unchanged; above 1 there is no Anthropic equivalent (halving every value would change the common 0.7 or 1 too),
    /// so it is refused rather than clamped.
    /// </summary>
    private static void WriteTemperature(JsonElement root, Utf8JsonWriter json)
    {
        if (!root.TryGetProperty("temperature", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Number || value.GetDouble() is < 0 or > 2)
        {
            throw new Refused("temperature", "temperature must be a number between 0 and 2.");
        }

        if (value.GetDouble() > 1)
        {
            throw new Refused("temperature", "temperature above 1 is not supported: this gateway's models take 0 to 1, where a value means what it means to OpenAI.");
        }

        json.WritePropertyName("temperature"u8);
        value.WriteTo(json);
    }

    private static void WriteUnitInterval(JsonElement root, Utf8JsonWriter json, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Number || value.GetDouble() is < 0 or > 1)
        {
            throw new Refused(name, $"{name} must be a number between 0 and 1.");
        }

        json.WritePropertyName(name);
        value.WriteTo(json);
    }

    private static void WriteStop(JsonElement root, Utf8JsonWriter json)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        var sequences = new List<string>();
        if (stop.ValueKind == JsonValueKind.String)
        {
            sequences.Add(stop.GetString()!);
        }
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in stop.EnumerateArray())
            {
                sequences.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new Refused("stop", "stop must be a string or an array of strings."));
            }
        }
        else
        {
            throw new Refused("stop", "stop must be a string or an array of strings.");
        }

        if (sequences.Exists(s => s.Length == 0))
        {
            throw new Refused("stop", "stop sequences must be non-empty strings.");
        }

        if (sequences.Count == 0)
        {
            return;
        }

        json.WriteStartArray("stop_sequences"u8);
        foreach (var sequence in sequences)
        {
            json.WriteStringValue(sequence);
        }

        json.WriteEndArray();
    }

    /// <summary>
    /// <c>tools[].function</c> → a custom tool (<c>parameters</c> → <c>input_schema</c>); <c>tool_choice</c> auto / none /
    /// required / a named function → auto / none / any / tool; <c>parallel_tool_calls: false</c> →
    /// <c>disable_parallel_tool_use</c>.
    /// </summary>
    private static void WriteTools(JsonElement root, Utf8JsonWriter json)
    {
        var hasTools = root.TryGetProperty("tools", out var tools) && tools.ValueKind != JsonValueKind.Null;
        if (hasTools && tools.ValueKind != JsonValueKind.Array)
        {
            throw new Refused("tools", "tools must be an array.");
        }

        hasTools = hasTools && tools.GetArrayLength() > 0;
        var choice = root.TryGetProperty("tool_choice", out var c) && c.ValueKind != JsonValueKind.Null ? c : (JsonElement?)null;
        var parallel = BooleanOf(root, "parallel_tool_calls");
        if (!hasTools)
        {
            // Without tools, "auto" and "none" both mean a plain answer; anything that demands a call cannot be met.
            if (choice is { } demanded && !(demanded.ValueEquals("auto"u8) || demanded.ValueEquals("none"u8)))
            {
                throw new Refused("tool_choice", "tool_choice requires tools.");
            }

            return;
        }

        json.WriteStartArray("tools"u8);
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var path = $"tools[{index}]";
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || !type.ValueEquals("function"u8))
            {
                throw new Refused($"{path}.type", $"{path}: only tools of type 'function' are supported.");
            }

            if (!tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || OptionalString(function, "name", $"{path}.function.name") is not { Length: > 0 } name)
            {
                throw new Refused($"{path}.function.name", $"{path}.function.name is required.");
            }

            json.WriteStartObject();
            json.WriteString("name"u8, name);
            if (OptionalString(function, "description", $"{path}.function.description") is { } description)
            {
                json.WriteString("description"u8, description);
            }

            json.WritePropertyName("input_schema"u8);
            if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind != JsonValueKind.Null)
            {
                if (parameters.ValueKind != JsonValueKind.Object)
                {
                    throw new Refused($"{path}.function.parameters", $"{path}.function.parameters must be a JSON Schema object.");
                }

                parameters.WriteTo(json);
            }
            else
            {
                // OpenAI: "Omitting parameters defines a function with an empty parameter list."
                json.WriteStartObject();
                json.WriteString("type"u8, "object"u8);
                json.WriteStartObject("properties"u8);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            if (BooleanOf(function, "strict", $"{path}.function.strict") is true)
            {
                json.WriteBoolean("strict"u8, true);
            }

            json.WriteEndObject();
            index++;
        }

        json.WriteEndArray();

        string choiceType;
        string? named = null;
        switch (choice)
        {
            case null:
                choiceType = "auto";
                break;
            case { ValueKind: JsonValueKind.String } text when text.ValueEquals("auto"u8):
                choiceType = "auto";
                break;
            case { ValueKind: JsonValueKind.String } text when text.ValueEquals("none"u8):
                choiceType = "none";
                break;
            case { ValueKind: JsonValueKind.String } text when text.ValueEquals("required"u8):
                choiceType = "any";
                break;
            case { ValueKind: JsonValueKind.Object } forced when forced.TryGetProperty("type", out var forcedType) && forcedType.ValueEquals("function"u8):
                named = forced.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
                    ? OptionalString(f, "name", "tool_choice.function.name")
                    : null;
                choiceType = named is { Length: > 0 } ? "tool" : throw new Refused("tool_choice.function.name", "tool_choice.function.name is required.");
                break;
            default:
                throw new Refused("tool_choice", "tool_choice must be 'none', 'auto', 'required' or {\"type\":\"function\",\"function\":{\"name\":…}}.");
        }

        if (choice is null && parallel is not false)
        {
            // Anthropic's default is auto too: leave it out rather than add a field the client never sent.
            return;
        }

        json.WriteStartObject("tool_choice"u8);
        json.WriteString("type"u8, choiceType);
        if (named is not null)
        {
            json.WriteString("name"u8, named);
        }

        if (parallel is false && choiceType != "none")
        {
            json.WriteBoolean("disable_parallel_tool_use"u8, true);
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// <c>response_format</c> → <c>output_config.format</c> (<c>json_schema</c> with the client's schema; <c>json_object</c>
    /// as any JSON object), <c>reasoning_effort</c> low / medium / high → <c>output_config.effort</c>.
    /// </summary>
    private static void WriteOutputConfig(JsonElement root, Utf8JsonWriter json)
    {
        JsonElement? schema = null;
        var anyObject = false;
        if (root.TryGetProperty("response_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            if (format.ValueKind != JsonValueKind.Object || OptionalString(format, "type", "response_format.type") is not { } type)
            {
                throw new Refused("response_format", "response_format must be an object with a type.");
            }

            switch (type)
            {
                case "text":
                    break;
                case "json_object":
                    anyObject = true;
                    break;
                case "json_schema":
                    if (!format.TryGetProperty("json_schema", out var jsonSchema) || jsonSchema.ValueKind != JsonValueKind.Object)
                    {
                        throw new Refused("response_format.json_schema", "response_format.json_schema is required for type 'json_schema'.");
                    }

                    if (jsonSchema.TryGetProperty("schema", out var given) && given.ValueKind != JsonValueKind.Null)
                    {
                        schema = given.ValueKind == JsonValueKind.Object
                            ? given
                            : throw new Refused("response_format.json_schema.schema", "response_format.json_schema.schema must be a JSON Schema object.");
                    }
                    else
                    {
                        anyObject = true;
                    }

                    break;
                default:
                    throw new Refused("response_format.type", $"response_format.type '{type}' is not supported; use 'text', 'json_object' or 'json_schema'.");
            }
        }

        var effort = OptionalString(root, "reasoning_effort");
        if (effort is not (null or "low" or "medium" or "high"))
        {
            throw new Refused("reasoning_effort", "reasoning_effort: only 'low', 'medium' and 'high' are supported.");
        }

        if (schema is null && !anyObject && effort is null)
        {
            return;
        }

        json.WriteStartObject("output_config"u8);
        if (schema is not null || anyObject)
        {
            json.WriteStartObject("format"u8);
            json.WriteString("type"u8, "json_schema"u8);
            json.WritePropertyName("schema"u8);
            if (schema is { } given)
            {
                given.WriteTo(json);
            }
            else
            {
                json.WriteStartObject();
                json.WriteString("type"u8, "object"u8);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        if (effort is not null)
        {
            json.WriteString("effort"u8, effort);
        }

        json.WriteEndObject();
    }

    private static void WriteTextBlock(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "text"u8);
        json.WriteString("text"u8, text);
        json.WriteEndObject();
    }

    private static int? PositiveInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 1
            ? number
            : throw new Refused(name, $"{name} must be an integer greater than or equal to 1.");
    }

    private static bool? BooleanOf(JsonElement element, string name, string? path = null) =>
        !element.TryGetProperty(name, out var value) ? null : value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null => null,
            _ => throw new Refused(path ?? name, $"{path ?? name} must be a boolean."),
        };

    private static string? OptionalString(JsonElement element, string name, string? path = null) =>
        !element.TryGetProperty(name, out var value) ? null : value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null => null,
            _ => throw new Refused(path ?? name, $"{path ?? name} must be a string."),
        };

    /// <summary>
    /// The messages as Anthropic turns: system and developer messages lifted into <c>system</c> (in order), tool results
    /// folded into the user turn that follows them, and consecutive messages of one role merged, because Anthropic
    /// requires alternating user and assistant turns starting with a user one.
    /// </summary>
    private sealed class Conversation
    {
        public List<string> System { get; } = [];

        public List<Turn> Turns { get; } = [];

        public static Conversation Read(JsonElement root)
        {
            if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                throw new Refused("messages", "messages is required (an array of messages).");
            }

            var conversation = new Conversation();
            var index = 0;
            foreach (var message in messages.EnumerateArray())
            {
                conversation.Add(message, $"messages[{index}]");
                index++;
            }

            if (conversation.Turns.Count == 0)
            {
                throw new Refused("messages", "messages must hold at least one user message.");
            }

            if (conversation.Turns[0].Role != "user")
            {
                throw new Refused("messages", "the first message after any system or developer messages must be a user (or tool) message.");
            }

            return conversation;
        }

        private void Add(JsonElement message, string path)
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw new Refused(path, $"{path} must be an object.");
            }

            var role = OptionalString(message, "role", $"{path}.role") ?? throw new Refused($"{path}.role", $"{path}.role is required.");
            switch (role)
            {
                case "system" or "developer" or "user" or "assistant" or "tool":
                    break;
                case "function":
                    throw new Refused($"{path}.role", $"{path}.role: 'function' messages (the legacy function calling API) are not supported; use tool messages.");
                default:
                    throw new Refused($"{path}.role", $"{path}.role: '{role}' is not one of 'system', 'developer', 'user', 'assistant', 'tool'.");
            }

            foreach (var property in message.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "role" or "content":
                        break;
                    case "tool_calls" when role == "assistant":
                    case "refusal" when role == "assistant":

                    // Citations OpenAI attached to an earlier answer that a client sends back: metadata about that text, not input.
                    case "annotations" when role == "assistant":
                    case "tool_call_id" when role == "tool":
                        break;
                    case { } when property.Value.ValueKind == JsonValueKind.Null:
                        break;
                    case "name":
                        // Anthropic messages carry no participant name; dropping it would merge speakers the client told apart.
                        throw new Refused($"{path}.name", $"{path}.name: participant names are not supported.");
                    default:
                        throw new Refused($"{path}.{property.Name}", $"{path}.{property.Name} is not supported on a '{role}' message.");
                }
            }

            switch (role)
            {
                case "system" or "developer":
                    System.Add(TextOf(message, path, allowRefusal: false) ?? throw new Refused($"{path}.content", $"{path}.content is required."));
                    break;
                case "user":
                    Append("user", UserBlocks(message, path), path);
                    break;
                case "assistant":
                    Append("assistant", AssistantBlocks(message, path), path);
                    break;
                case "tool":
                    var toolCallId = OptionalString(message, "tool_call_id", $"{path}.tool_call_id") is { Length: > 0 } id
                        ? id
                        : throw new Refused($"{path}.tool_call_id", $"{path}.tool_call_id is required.");
                    Append("user", [new ToolResult(toolCallId, TextOf(message, path, allowRefusal: false) ?? string.Empty)], path);
                    break;
                default:
                    break;
            }
        }

        private void Append(string role, List<Block> blocks, string path)
        {
            if (blocks.Count == 0)
            {
                throw new Refused($"{path}.content", $"{path}.content must not be empty.");
            }

            if (Turns.Count > 0 && Turns[^1].Role == role)
            {
                Turns[^1].Blocks.AddRange(blocks);
            }
            else
            {
                Turns.Add(new Turn(role, blocks));
            }
        }

        private static List<Block> UserBlocks(JsonElement message, string path)
        {
            var blocks = new List<Block>();
            if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            {
                throw new Refused($"{path}.content", $"{path}.content is required.");
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                AddText(blocks, content.GetString()!);
                return blocks;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                throw new Refused($"{path}.content", $"{path}.content must be a string or an array of content parts.");
            }

            var index = 0;
            foreach (var part in content.EnumerateArray())
            {
                var partPath = $"{path}.content[{index++}]";
                switch (PartType(part, partPath))
                {
                    case "text":
                        AddText(blocks, PartText(part, partPath));
                        break;
                    case "image_url":
                        blocks.Add(ImageOf(part, partPath));
                        break;
                    case "file":
                        blocks.Add(DocumentOf(part, partPath));
                        break;
                    case var type:
                        throw new Refused($"{partPath}.type", $"{partPath}.type: content parts of type '{type}' are not supported (text, image_url and PDF files are).");
                }
            }

            return blocks;
        }

        private static List<Block> AssistantBlocks(JsonElement message, string path)
        {
            var blocks = new List<Block>();
            if (TextOf(message, path, allowRefusal: true) is { } text)
            {
                AddText(blocks, text);
            }

            // An earlier refusal is what the assistant said; as Anthropic has no refusal block, it is that turn's text.
            if (OptionalString(message, "refusal", $"{path}.refusal") is { Length: > 0 } refusal)
            {
                AddText(blocks, refusal);
            }

            if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null)
            {
                return blocks;
            }

            if (calls.ValueKind != JsonValueKind.Array)
            {
                throw new Refused($"{path}.tool_calls", $"{path}.tool_calls must be an array.");
            }

            var index = 0;
            foreach (var call in calls.EnumerateArray())
            {
                var callPath = $"{path}.tool_calls[{index++}]";
                if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("type", out var type) || !type.ValueEquals("function"u8)
                    || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
                {
                    throw new Refused(callPath, $"{callPath}: only tool calls of type 'function' are supported.");
                }

                var id = OptionalString(call, "id", $"{callPath}.id") is { Length: > 0 } callId ? callId : throw new Refused($"{callPath}.id", $"{callPath}.id is required.");
                var name = OptionalString(function, "name", $"{callPath}.function.name") is { Length: > 0 } n ? n : throw new Refused($"{callPath}.function.name", $"{callPath}.function.name is required.");
                blocks.Add(new ToolUse(id, name, ArgumentsOf(function, $"{callPath}.function.arguments")));
            }

            return blocks;
        }

        /// <summary>The arguments string as the JSON object Anthropic's <c>tool_use.input</c> is; an empty string is no arguments.</summary>
        private static JsonElement ArgumentsOf(JsonElement function, string path)
        {
            var text = OptionalString(function, "arguments", path) ?? string.Empty;
            if (string.IsNullOrWhiteSpace(text))
            {
                text = "{}";
            }

            try
            {
                using var document = JsonDocument.Parse(text, DocumentOptions);
                return document.RootElement.ValueKind == JsonValueKind.Object
                    ? document.RootElement.Clone()
                    : throw new Refused(path, $"{path} must be a JSON object encoded as a string.");
            }
            catch (JsonException)
            {
                throw new Refused(path, $"{path} is not valid JSON.");
            }
        }

        /// <summary>Text content of a system, developer, tool or assistant message: a string, or text parts joined by newlines.</summary>
        private static string? TextOf(JsonElement message, string path, bool allowRefusal)
        {
            if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                return content.GetString();
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                throw new Refused($"{path}.content", $"{path}.content must be a string or an array of text parts.");
            }

            var texts = new List<string>();
            var index = 0;
            foreach (var part in content.EnumerateArray())
            {
                var partPath = $"{path}.content[{index++}]";
                switch (PartType(part, partPath))
                {
                    case "text":
                        texts.Add(PartText(part, partPath));
                        break;
                    case "refusal" when allowRefusal:
                        texts.Add(OptionalString(part, "refusal", $"{partPath}.refusal") ?? string.Empty);
                        break;
                    case var type:
                        throw new Refused($"{partPath}.type", $"{partPath}.type: content parts of type '{type}' are not supported in this message (text only).");
                }
            }

            return string.Join('\n', texts);
        }

        /// <summary>An <c>image_url</c> part: a base64 data URL → a base64 image source, an http(s) URL → a URL source.</summary>
        private static Block ImageOf(JsonElement part, string path)
        {
            var url = part.TryGetProperty("image_url", out var imageUrl) && imageUrl.ValueKind == JsonValueKind.Object
                ? OptionalString(imageUrl, "url", $"{path}.image_url.url")
                : null;
            if (string.IsNullOrEmpty(url))
            {
                throw new Refused($"{path}.image_url.url", $"{path}.image_url.url is required.");
            }

            // detail (low / high / auto) picks OpenAI's image resolution; Anthropic sizes images itself, so the content is unchanged.
            if (DataUrl.TryParse(url, out var mediaType, out var data))
            {
                // image/jpg is a common misspelling browsers and SDKs produce; Anthropic knows only image/jpeg.
                return mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
                    ? new Image(mediaType.Equals("image/jpg", StringComparison.OrdinalIgnoreCase) ? "image/jpeg" : mediaType.ToLowerInvariant(), data, null)
                    : throw new Refused($"{path}.image_url.url", $"{path}.image_url.url: a data URL of type '{mediaType}' is not an image.");
            }

            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
            {
                return new Image(null, null, url);
            }

            throw new Refused($"{path}.image_url.url", $"{path}.image_url.url must be an http(s) URL or a base64 data URL.");
        }

        /// <summary>A <c>file</c> part with inline PDF data → a base64 document block; uploaded file ids cannot be resolved here.</summary>
        private static Block DocumentOf(JsonElement part, string path)
        {
            if (!part.TryGetProperty("file", out var file) || file.ValueKind != JsonValueKind.Object)
            {
                throw new Refused($"{path}.file", $"{path}.file is required.");
            }

            if (file.TryGetProperty("file_id", out var fileId) && fileId.ValueKind != JsonValueKind.Null)
            {
                throw new Refused($"{path}.file.file_id", $"{path}.file.file_id: uploaded files are not supported; send the file inline as file_data.");
            }

            var fileData = OptionalString(file, "file_data", $"{path}.file.file_data") ?? throw new Refused($"{path}.file.file_data", $"{path}.file.file_data is required.");
            if (DataUrl.TryParse(fileData, out var mediaType, out var data))
            {
                return mediaType.Equals("application/pdf", StringComparison.OrdinalIgnoreCase)
                    ? new Document(data)
                    : throw new Refused($"{path}.file.file_data", $"{path}.file.file_data: only PDF files are supported, not '{mediaType}'.");
            }

            throw new Refused($"{path}.file.file_data", $"{path}.file.file_data must be a data URL (data:application/pdf;base64,…).");
        }

        private static string PartType(JsonElement part, string path) =>
            part.ValueKind == JsonValueKind.Object && OptionalString(part, "type", $"{path}.type") is { } type
                ? type
                : throw new Refused($"{path}.type", $"{path}.type is required.");

        private static string PartText(JsonElement part, string path) =>
            OptionalString(part, "text", $"{path}.text") ?? throw new Refused($"{path}.text", $"{path}.text is required.");

        /// <summary>Empty text carries nothing, and Anthropic refuses empty text blocks: it is left out.</summary>
        private static void AddText(List<Block> blocks, string text)
        {
            if (text.Length > 0)
            {
                blocks.Add(new Text(text));
            }
        }
    }

    private sealed class Turn(string role, List<Block> blocks)
    {
        public string Role { get; } = role;

        public List<Block> Blocks { get; } = blocks;

        public void Write(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            json.WriteString("role"u8, Role);
            if (Blocks is [Text only])
            {
                json.WriteString("content"u8, only.Value);
            }
            else
            {
                json.WriteStartArray("content"u8);

                // Anthropic wants a user turn's tool results before its other content (they answer the previous turn's calls).
                foreach (var block in Blocks.Where(b => b is ToolResult).Concat(Blocks.Where(b => b is not ToolResult)))
                {
                    block.Write(json);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }
    }

    private abstract record Block
    {
        public abstract void Write(Utf8JsonWriter json);
    }

    private sealed record Text(string Value) : Block
    {
        public override void Write(Utf8JsonWriter json) => WriteTextBlock(json, Value);
    }

    private sealed record Image(string? MediaType, string? Data, string? Url) : Block
    {
        public override void Write(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "image"u8);
            json.WriteStartObject("source"u8);
            if (Url is not null)
            {
                json.WriteString("type"u8, "url"u8);
                json.WriteString("url"u8, Url);
            }
            else
            {
                json.WriteString("type"u8, "base64"u8);
                json.WriteString("media_type"u8, MediaType);
                json.WriteString("data"u8, Data);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }
    }

    private sealed record Document(string Data) : Block
    {
        public override void Write(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "document"u8);
            json.WriteStartObject("source"u8);
            json.WriteString("type"u8, "base64"u8);
            json.WriteString("media_type"u8, "application/pdf"u8);
            json.WriteString("data"u8, Data);
            json.WriteEndObject();
            json.WriteEndObject();
        }
    }

    private sealed record ToolUse(string Id, string Name, JsonElement Input) : Block
    {
        public override void Write(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "tool_use"u8);
            json.WriteString("id"u8, Id);
            json.WriteString("name"u8, Name);
            json.WritePropertyName("input"u8);
            Input.WriteTo(json);
            json.WriteEndObject();
        }
    }

    private sealed record ToolResult(string ToolUseId, string Content) : Block
    {
        public override void Write(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "tool_result"u8);
            json.WriteString("tool_use_id"u8, ToolUseId);
            json.WriteString("content"u8, Content);
            json.WriteEndObject();
        }
    }

    /// <summary><c>data:&lt;media type&gt;[;params];base64,&lt;data&gt;</c>; only base64 data URLs can become a base64 source.</summary>
    private static class DataUrl
    {
        public static bool TryParse(string url, out string mediaType, out string data)
        {
            mediaType = string.Empty;
            data = string.Empty;
            if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var comma = url.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0)
            {
                return false;
            }

            var header = url.AsSpan(5, comma - 5);
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var semicolon = header.IndexOf(';');
            mediaType = header[..semicolon].ToString();
            data = url[(comma + 1)..];
            return mediaType.Length > 0 && data.Length > 0;
        }
    }

    /// <summary>Why a request cannot be translated; caught in <see cref="TryRead"/> and never escapes it.</summary>
    private sealed class Refused(string? param, string message) : Exception(message)
    {
        public string? Param { get; } = param;
    }
}
