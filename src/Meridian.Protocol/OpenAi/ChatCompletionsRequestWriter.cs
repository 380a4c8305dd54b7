using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;

namespace Meridian.Protocol.OpenAi;

/// <summary>
/// Rewrites a validated Anthropic Messages request as an OpenAI chat completions request (the body vLLM, llama.cpp
/// server, TGI and Ollama accept at <c>/v1/chat/completions</c>), always streaming and always asking for usage.
/// Content with no chat completions equivalent (PDF documents, server tools, file references, URL sources) is refused
/// with <c>invalid_request_error</c> rather than dropped, so a request never silently means something else upstream;
/// the router asks first (<c>OpenAiChatBackend.Refusal</c>), and these checks stay as the writer's own guard.
/// Stateless and thread-safe.
/// </summary>
public static class ChatCompletionsRequestWriter
{
    // Relaxed escaping keeps base64 image data ('+', '/') and non-ASCII text as they are instead of \uXXXX-escaping them.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the chat completions body for <paramref name="request"/>, naming <paramref name="upstreamModel"/>.</summary>
    /// <exception cref="BackendException">400 <c>invalid_request_error</c> for content this protocol cannot carry.</exception>
    public static ReadOnlyMemory<byte> Write(MessagesRequest request, string upstreamModel)
    {
        var buffer = new ArrayBufferWriter<byte>(request.Body.Length + 256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            Write(json, request, upstreamModel);
        }

        return buffer.WrittenMemory;
    }

    private static void Write(Utf8JsonWriter json, MessagesRequest request, string upstreamModel)
    {
        var root = request.Root;
        json.WriteStartObject();
        json.WriteString("model"u8, upstreamModel);

        json.WriteStartArray("messages"u8);
        if (request.System is { } system && TextOf(system, "system") is { Length: > 0 } systemText)
        {
            WriteTextMessage(json, "system"u8, systemText);
        }

        var index = 0;
        foreach (var message in request.Messages.EnumerateArray())
        {
            var content = message.GetProperty("content");
            var role = message.GetProperty("role");
            if (role.ValueEquals("user"u8))
            {
                WriteUserTurn(json, content, $"messages.{index}.content");
            }
            else if (role.ValueEquals("assistant"u8))
            {
                WriteAssistantTurn(json, content, $"messages.{index}.content");
            }
            else if (role.ValueEquals("system"u8))
            {
                // A mid-conversation system message stays where it was: chat completions takes system messages anywhere,
                // though some chat templates (Qwen3's) refuse one that is not first, and the server then answers 400.
                WriteTextMessage(json, "system"u8, TextOf(content, $"messages.{index}.content"));
            }
            else
            {
                throw Unsupported($"messages.{index}.role", role.GetString(), "messages with the role");
            }

            index++;
        }

        json.WriteEndArray();

        // max_tokens, not max_completion_tokens: every server this kind targets (vLLM, llama.cpp, TGI, Ollama) honours
        // max_tokens, while TGI and older Ollama/llama.cpp builds ignore max_completion_tokens, which would leave the
        // answer unbounded. Sending both is rejected by some servers.
        json.WriteNumber("max_tokens"u8, request.MaxTokens);
        CopyNumber(json, root, "temperature", "temperature"u8);
        CopyNumber(json, root, "top_p", "top_p"u8);

        // Not in OpenAI's schema, but vLLM and llama.cpp honour it and Ollama and TGI ignore unknown sampling fields.
        CopyNumber(json, root, "top_k", "top_k"u8);

        var stops = request.StopSequences;
        if (stops.Count > 0)
        {
            json.WriteStartArray("stop"u8);
            foreach (var stop in stops)
            {
                json.WriteStringValue(stop);
            }

            json.WriteEndArray();
        }

        if (request.Tools is { } tools && tools.GetArrayLength() > 0)
        {
            WriteTools(json, tools);
            WriteToolChoice(json, request.ToolChoice);
        }

        if (OutputSchemaOf(root) is { } schema)
        {
            // Structured outputs: vLLM, llama.cpp server and Ollama constrain decoding to the schema (response_format).
            json.WriteStartObject("response_format"u8);
            json.WriteString("type"u8, "json_schema"u8);
            json.WriteStartObject("json_schema"u8);
            json.WriteString("name"u8, "output"u8);
            json.WritePropertyName("schema"u8);
            schema.WriteTo(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("user_id", out var userId) && userId.ValueKind == JsonValueKind.String)
        {
            json.WriteString("user"u8, userId.GetString());
        }

        json.WriteBoolean("stream"u8, true);
        json.WriteStartObject("stream_options"u8);
        json.WriteBoolean("include_usage"u8, true);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static JsonElement? OutputSchemaOf(JsonElement root) =>
        root.TryGetProperty("output_config", out var config) && config.ValueKind == JsonValueKind.Object
        && config.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object
        && format.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object
            ? schema
            : null;

    /// <summary>
    /// A user turn: its <c>tool_result</c> blocks become <c>role:"tool"</c> messages, which chat completions requires
    /// right after the assistant's <c>tool_calls</c> (Anthropic puts them first in the turn for the same reason); the
    /// rest becomes one user message after them.
    /// </summary>
    private static void WriteUserTurn(Utf8JsonWriter json, JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            WriteTextMessage(json, "user"u8, content.GetString()!);
            return;
        }

        var parts = new List<Part>();
        var blockIndex = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.{blockIndex++}";
            switch (TypeOf(block))
            {
                case "tool_result":
                    WriteToolResult(json, block, blockPath, parts);
                    break;
                case "text":
                    parts.Add(Part.FromText(block.GetProperty("text").GetString()!));
                    break;
                case "image":
                    parts.Add(Part.FromImage(ImageUrlOf(block, blockPath)));
                    break;
                case "document":
                    parts.Add(Part.FromText(DocumentText(block, blockPath)));
                    break;
                case var type:
                    throw Unsupported(blockPath, type);
            }
        }

        if (parts.Count == 0)
        {
            return;
        }

        json.WriteStartObject();
        json.WriteString("role"u8, "user"u8);
        if (parts.TrueForAll(p => p.ImageUrl is null))
        {
            // Plain string content: the form every server and chat template accepts.
            json.WriteString("content"u8, Join(parts.Select(p => p.Text!)));
        }
        else
        {
            json.WriteStartArray("content"u8);
            foreach (var part in parts)
            {
                json.WriteStartObject();
                if (part.ImageUrl is { } url)
                {
                    json.WriteString("type"u8, "image_url"u8);
                    json.WriteStartObject("image_url"u8);
                    json.WriteString("url"u8, url);
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteString("type"u8, "text"u8);
                    json.WriteString("text"u8, part.Text);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// One <c>role:"tool"</c> message. Tool messages carry text only, so images a tool returned travel in the user
    /// message that follows, labelled with the call they came from; <c>is_error</c> becomes an "Error: " prefix.
    /// </summary>
    private static void WriteToolResult(Utf8JsonWriter json, JsonElement block, string path, List<Part> followingParts)
    {
        var toolUseId = block.GetProperty("tool_use_id").GetString()!;
        var texts = new List<string>();
        if (block.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                texts.Add(content.GetString()!);
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var inner in content.EnumerateArray())
                {
                    var innerPath = $"{path}.content.{index++}";
                    switch (TypeOf(inner))
                    {
                        case "text":
                            texts.Add(inner.GetProperty("text").GetString() ?? string.Empty);
                            break;
                        case "image":
                            followingParts.Add(Part.FromText($"Image returned by tool call {toolUseId}:"));
                            followingParts.Add(Part.FromImage(ImageUrlOf(inner, innerPath)));
                            break;
                        case "document":
                            texts.Add(DocumentText(inner, innerPath));
                            break;
                        case var type:
                            throw Unsupported(innerPath, type);
                    }
                }
            }
        }

        var text = Join(texts);
        if (block.TryGetProperty("is_error", out var isError) && isError.ValueKind == JsonValueKind.True)
        {
            text = text.Length == 0 ? "Error" : "Error: " + text;
        }

        json.WriteStartObject();
        json.WriteString("role"u8, "tool"u8);
        json.WriteString("tool_call_id"u8, toolUseId);
        json.WriteString("content"u8, text);
        json.WriteEndObject();
    }

    /// <summary>
    /// An assistant turn: text blocks joined into <c>content</c>, <c>tool_use</c> blocks as <c>tool_calls</c>.
    /// Thinking blocks are dropped: they are the model's own earlier reasoning, which chat completions has no field
    /// for and which a different model could not verify (their signatures are Anthropic's).
    /// </summary>
    private static void WriteAssistantTurn(Utf8JsonWriter json, JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            WriteTextMessage(json, "assistant"u8, content.GetString()!);
            return;
        }

        var texts = new List<string>();
        var toolUses = new List<JsonElement>();
        var blockIndex = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.{blockIndex++}";
            switch (TypeOf(block))
            {
                case "text":
                    texts.Add(block.GetProperty("text").GetString()!);
                    break;
                case "tool_use":
                    toolUses.Add(block);
                    break;
                case "thinking" or "redacted_thinking":
                    break;
                case var type:
                    throw Unsupported(blockPath, type);
            }
        }

        if (texts.Count == 0 && toolUses.Count == 0)
        {
            return;
        }

        json.WriteStartObject();
        json.WriteString("role"u8, "assistant"u8);
        if (texts.Count > 0)
        {
            json.WriteString("content"u8, Join(texts));
        }

        if (toolUses.Count > 0)
        {
            json.WriteStartArray("tool_calls"u8);
            foreach (var toolUse in toolUses)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, toolUse.GetProperty("id").GetString());
                json.WriteString("type"u8, "function"u8);
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, toolUse.GetProperty("name").GetString());
                json.WriteString("arguments"u8, CompactJson(toolUse.GetProperty("input")));
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter json, JsonElement tools)
    {
        json.WriteStartArray("tools"u8);
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.TryGetProperty("type", out var type) && !type.ValueEquals("custom"u8))
            {
                // Anthropic's server tools (web_search, bash, text_editor, ...) run on Anthropic's side; nothing upstream runs them.
                throw new BackendException(400, ErrorTypes.InvalidRequest,
                    $"tools.{index}: the tool type '{type.GetString()}' is not supported by this deployment's backend (an OpenAI-compatible server); only custom tools with an input_schema are.");
            }

            json.WriteStartObject();
            json.WriteString("type"u8, "function"u8);
            json.WriteStartObject("function"u8);
            json.WriteString("name"u8, tool.GetProperty("name").GetString());
            if (tool.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
            {
                json.WriteString("description"u8, description.GetString());
            }

            json.WritePropertyName("parameters"u8);
            tool.GetProperty("input_schema").WriteTo(json);
            if (tool.TryGetProperty("strict", out var strict) && strict.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                json.WriteBoolean("strict"u8, strict.GetBoolean());
            }

            json.WriteEndObject();
            json.WriteEndObject();
            index++;
        }

        json.WriteEndArray();
    }

    private static void WriteToolChoice(Utf8JsonWriter json, JsonElement? toolChoice)
    {
        if (toolChoice is not { } choice)
        {
            return;
        }

        switch (choice.GetProperty("type").GetString())
        {
            case "auto":
                json.WriteString("tool_choice"u8, "auto"u8);
                break;
            case "any":
                json.WriteString("tool_choice"u8, "required"u8);
                break;
            case "none":
                json.WriteString("tool_choice"u8, "none"u8);
                break;
            case "tool":
                json.WriteStartObject("tool_choice"u8);
                json.WriteString("type"u8, "function"u8);
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, choice.GetProperty("name").GetString());
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            default:
                break;
        }

        if (choice.TryGetProperty("disable_parallel_tool_use", out var disable) && disable.ValueKind == JsonValueKind.True)
        {
            json.WriteBoolean("parallel_tool_calls"u8, false);
        }
    }

    /// <summary>
    /// An image block as an <c>image_url</c> data URL. A URL source is not passed on: the server would fetch it from
    /// inside the operator's network, where the gateway cannot see what the name resolves to.
    /// </summary>
    private static string ImageUrlOf(JsonElement block, string path)
    {
        if (block.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object
            && TypeOf(source) == "base64" && StringProperty(source, "media_type") is { } mediaType && StringProperty(source, "data") is { } data)
        {
            return string.Concat("data:", mediaType, ";base64,", data);
        }

        throw new BackendException(400, ErrorTypes.InvalidRequest,
            $"{path}.source: this deployment's backend (an OpenAI-compatible server) accepts images as base64 data only.");
    }

    /// <summary>A document whose source is plain text (or text blocks) becomes text; a PDF or file reference cannot travel.</summary>
    private static string DocumentText(JsonElement block, string path)
    {
        if (block.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object)
        {
            switch (TypeOf(source))
            {
                case "text" when StringProperty(source, "data") is { } data:
                    return data;
                case "content" when source.TryGetProperty("content", out var inner):
                    return ContentText.Of(inner);
                default:
                    break;
            }
        }

        throw new BackendException(400, ErrorTypes.InvalidRequest,
            $"{path}: this deployment's backend (an OpenAI-compatible server) accepts documents with a text source only, not PDF or file sources.");
    }

    /// <summary>The system prompt as one string: a string as is, text blocks joined by newlines.</summary>
    private static string TextOf(JsonElement system, string path)
    {
        if (system.ValueKind == JsonValueKind.String)
        {
            return system.GetString()!;
        }

        var texts = new List<string>();
        var index = 0;
        foreach (var block in system.EnumerateArray())
        {
            if (TypeOf(block) is not "text")
            {
                throw Unsupported($"{path}.{index}", TypeOf(block));
            }

            texts.Add(block.GetProperty("text").GetString()!);
            index++;
        }

        return Join(texts);
    }

    private static void WriteTextMessage(Utf8JsonWriter json, ReadOnlySpan<byte> role, string text)
    {
        json.WriteStartObject();
        json.WriteString("role"u8, role);
        json.WriteString("content"u8, text);
        json.WriteEndObject();
    }

    private static void CopyNumber(Utf8JsonWriter json, JsonElement root, string name, ReadOnlySpan<byte> openAiName)
    {
        if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number)
        {
            json.WritePropertyName(openAiName);
            value.WriteTo(json);
        }
    }

    /// <summary>Tool input as the JSON string <c>function.arguments</c> carries, without the client's whitespace.</summary>
    private static string CompactJson(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Adjacent text blocks joined by a newline, as vLLM and llama.cpp flatten text parts themselves.</summary>
    private static string Join(IEnumerable<string> texts) => string.Join('\n', texts);

    private static string? TypeOf(JsonElement block) => StringProperty(block, "type");

    private static string? StringProperty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static BackendException Unsupported(string path, string? type, string what = "content blocks of type") => new(400, ErrorTypes.InvalidRequest,
        $"{path}: {what} '{type}' are not supported by this deployment's backend (an OpenAI-compatible server).");

    private readonly record struct Part(string? Text, string? ImageUrl)
    {
        public static Part FromText(string text) => new(text, null);

        public static Part FromImage(string url) => new(null, url);
    }
}
