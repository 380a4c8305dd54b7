using System.Text.Json;
using System.Runtime.InteropServices;
using Meridian.Protocol.Errors;

namespace Meridian.Protocol.Messages;

public static partial class MessagesRequestParser
{
    /// <summary>
    /// One pass over <c>messages</c>: roles and their order, content blocks, media, and the pairing of tool calls with
    /// their results — everything Anthropic refuses there — noting what a backend must be able to express. One per
    /// request; not shared.
    /// </summary>
    private sealed class MessagesWalk(RequestFeatures features)
    {
        private readonly List<(string Path, int Width, int Height)> _images = [];

        /// <summary>The ids of the <c>tool_use</c> blocks of the latest assistant message, which the next user message must answer.</summary>
        private readonly HashSet<string> _pendingToolUses = new(StringComparer.Ordinal);

        private readonly HashSet<string> _answeredToolUses = new(StringComparer.Ordinal);

        private int _pdfPages;

        public ApiError? Validate(JsonElement root)
        {
            if (!root.TryGetProperty("messages", out var messages))
            {
                return Invalid("messages: Field required");
            }

            if (messages.ValueKind != JsonValueKind.Array)
            {
                return Invalid("messages: Input should be a valid list");
            }

            var count = messages.GetArrayLength();
            if (count == 0)
            {
                return Invalid("messages: at least one message is required");
            }

            // The user/assistant role of the latest such message; system messages sit between turns without being one.
            string? previousTurn = null;
            string? previousRole = null;
            var previousEndsInServerToolUse = false;
            for (var index = 0; index < count; index++)
            {
                var message = messages[index];
                var path = $"messages.{index}";
                if (message.ValueKind != JsonValueKind.Object)
                {
                    return Invalid($"{path}: Input should be a valid dictionary");
                }

                if (!message.TryGetProperty("role", out var roleElement))
                {
                    return Invalid($"{path}.role: Field required");
                }

                if (StringOf(roleElement) is not { Length: > 0 } role)
                {
                    return Invalid($"{path}.role: Input should be a valid string");
                }

                if (!message.TryGetProperty("content", out var content))
                {
                    return Invalid($"{path}.content: Field required");
                }

                if (index == 0 && role != "user")
                {
                    return Invalid(role == "system"
                        ? "messages.0.role: a system message cannot be the first message; put instructions that apply from the start in the top-level system parameter"
                        : "messages: the first message must use the \"user\" role");
                }

                if (role is not ("user" or "assistant" or "system"))
                {
                    // A role the gateway does not know yet: an Anthropic upstream judges it and its content.
                    features.Add(FeatureKind.Unknown, $"{path}.role", role);
                    _pendingToolUses.Clear();
                    previousRole = role;
                    previousTurn = null;
                    continue;
                }

                if (role == "system")
                {
                    var next = index + 1 < count && messages[index + 1].ValueKind == JsonValueKind.Object
                        && messages[index + 1].TryGetProperty("role", out var nextRole) ? StringOf(nextRole) : null;
                    if (!(previousRole == "user" || (previousRole == "assistant" && previousEndsInServerToolUse))
                        || (index + 1 < count && next != "assistant"))
                    {
                        return Invalid($"{path}: a system message must immediately follow a user message (or an assistant message ending in a server tool use) "
                            + "and be followed by an assistant message or end the conversation");
                    }

                    if (ValidateSystemContent(content, $"{path}.content") is { } systemError)
                    {
                        return systemError;
                    }
                }
                else
                {
                    // Around a system message that follows a server tool use, the assistant turn goes on: no alternation there.
                    var continuesTurn = role == "assistant" && previousRole == "system" && previousTurn == "assistant";
                    if (role == previousTurn && !continuesTurn)
                    {
                        return Invalid($"messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"{role}\" roles in a row at {path}");
                    }

                    if (role == "assistant")
                    {
                        _pendingToolUses.Clear();
                    }
                    else
                    {
                        _answeredToolUses.Clear();
                    }

                    if (ValidateContent(content, $"{path}.content", role) is { } contentError)
                    {
                        return contentError;
                    }

                    if (role == "user" && _pendingToolUses.Count > _answeredToolUses.Count)
                    {
                        var missing = _pendingToolUses.Where(id => !_answeredToolUses.Contains(id));
                        return Invalid($"{path}: tool_use ids were found without tool_result blocks immediately after: {string.Join(", ", missing)}. "
                            + "Each tool_use block must have a corresponding tool_result block in the next message.");
                    }

                    if (role == "user")
                    {
                        _pendingToolUses.Clear();
                    }

                    previousTurn = role;
                }

                // Only a final assistant turn (a prefill) may be empty.
                var isFinalAssistant = role == "assistant" && index == count - 1;
                if (!isFinalAssistant && IsEmptyContent(content))
                {
                    return Invalid($"{path}.content: messages must have non-empty content (only a final assistant message may be empty)");
                }

                previousEndsInServerToolUse = role == "assistant" && EndsInServerToolUse(content);
                previousRole = role;
            }

            return CheckMediaTotals();
        }

        private ApiError? CheckMediaTotals()
        {
            if (_images.Count > RequestLimits.MaxImages)
            {
                return Invalid($"messages: too many images: {_images.Count} > {RequestLimits.MaxImages} maximum per request");
            }

            if (_images.Count > RequestLimits.ManyImagesThreshold)
            {
                foreach (var (path, width, height) in _images)
                {
                    if (width > RequestLimits.MaxManyImagesDimension || height > RequestLimits.MaxManyImagesDimension)
                    {
                        return Invalid($"{path}: the image is {width}x{height} pixels; in a request of more than {RequestLimits.ManyImagesThreshold} images "
                            + $"each image may be at most {RequestLimits.MaxManyImagesDimension}x{RequestLimits.MaxManyImagesDimension}");
                    }
                }
            }

            if (_pdfPages > RequestLimits.MaxPdfPages)
            {
                return Invalid($"messages: the PDFs have {_pdfPages} pages in all; at most {RequestLimits.MaxPdfPages} are accepted per request");
            }

            features.PdfPages = _pdfPages;
            return null;
        }

        private static ApiError? ValidateSystemContent(JsonElement content, string path)
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                return null;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                return Invalid($"{path}: Input should be a valid string or list of text blocks");
            }

            var index = 0;
            foreach (var block in content.EnumerateArray())
            {
                if (!IsTextBlock(block))
                {
                    return Invalid($"{path}.{index}: system messages may contain text blocks only");
                }

                index++;
            }

            return null;
        }

        private ApiError? ValidateContent(JsonElement content, string path, string role)
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
                if (ValidateBlock(block, $"{path}.{index}", role, nested: false) is { } error)
                {
                    return error;
                }

                index++;
            }

            return null;
        }

        private ApiError? ValidateBlock(JsonElement block, string blockPath, string role, bool nested)
        {
            if (block.ValueKind != JsonValueKind.Object)
            {
                return Invalid($"{blockPath}: Input should be a valid dictionary");
            }

            if (!block.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                return Invalid($"{blockPath}.type: Field required");
            }

            var type = StringOf(typeElement) ?? string.Empty;
            switch (type)
            {
                case "text":
                    return block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                        ? null
                        : Invalid($"{blockPath}.text: Input should be a valid string");
                case "image":
                    return ValidateImage(block, blockPath);
                case "document":
                    return ValidateDocument(block, blockPath);
                case "tool_use" when !nested:
                    return ValidateToolUse(block, blockPath, role);
                case "tool_result" when !nested:
                    return ValidateToolResult(block, blockPath, role);
                case "thinking" or "redacted_thinking":
                    return null;
                case "search_result" or "server_tool_use" or "mcp_tool_use" or "container_upload" or "tool_reference":
                    features.Add(FeatureKind.AnthropicBlock, blockPath, type);
                    return null;
                default:
                    // Results of Anthropic's server tools (web_search_tool_result, code_execution_tool_result, ...) share a suffix.
                    features.Add(type.EndsWith("_tool_result", StringComparison.Ordinal) ? FeatureKind.AnthropicBlock : FeatureKind.Unknown, blockPath, type);
                    return null;
            }
        }

        private ApiError? ValidateToolUse(JsonElement block, string blockPath, string role)
        {
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

            _pendingToolUses.Add(block.GetProperty("id").GetString()!);
            return null;
        }

        private ApiError? ValidateToolResult(JsonElement block, string blockPath, string role)
        {
            if (role != "user")
            {
                return Invalid($"{blockPath}: tool_result blocks may only appear in user messages");
            }

            if (!IsNonEmptyString(block, "tool_use_id"))
            {
                return Invalid($"{blockPath}.tool_use_id: Field required");
            }

            var id = block.GetProperty("tool_use_id").GetString()!;
            if (!_pendingToolUses.Contains(id))
            {
                return Invalid($"{blockPath}.tool_use_id: unexpected tool_use_id found in tool_result blocks: {id}. "
                    + "Each tool_result block must have a corresponding tool_use block in the previous message.");
            }

            _answeredToolUses.Add(id);
            if (!block.TryGetProperty("content", out var resultContent) || resultContent.ValueKind is JsonValueKind.String or JsonValueKind.Null)
            {
                return null;
            }

            if (resultContent.ValueKind != JsonValueKind.Array)
            {
                return Invalid($"{blockPath}.content: Input should be a valid string or list of content blocks");
            }

            var index = 0;
            foreach (var inner in resultContent.EnumerateArray())
            {
                if (ValidateBlock(inner, $"{blockPath}.content.{index}", role, nested: true) is { } error)
                {
                    return error;
                }

                index++;
            }

            return null;
        }

        private ApiError? ValidateImage(JsonElement block, string path)
        {
            if (!block.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object
                || !source.TryGetProperty("type", out var type) || StringOf(type) is not { } sourceType)
            {
                return Invalid($"{path}.source: Field required (an object with a \"type\")");
            }

            switch (sourceType)
            {
                case "base64":
                    break;
                case "url":
                    return ValidateUrl(source, path);
                case "file":
                    features.Add(FeatureKind.FileSource, path + ".source");
                    return null;
                default:
                    features.Add(FeatureKind.Unknown, path + ".source.type", sourceType);
                    return null;
            }

            if (!source.TryGetProperty("media_type", out var mediaTypeElement) || StringOf(mediaTypeElement) is not { } mediaType
                || !MediaCheck.ImageMediaTypes.Contains(mediaType))
            {
                return Invalid($"{path}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
            }

            if (!source.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String)
            {
                return Invalid($"{path}.source.data: Field required (base64 image data)");
            }

            var base64Length = JsonMarshal.GetRawUtf8Value(data).Length;
            if (base64Length > RequestLimits.MaxImageBase64Chars)
            {
                return Invalid($"{path}.source.data: image exceeds 5 MB maximum: {base64Length} bytes > {RequestLimits.MaxImageBase64Chars} bytes");
            }

            if (!data.TryGetBytesFromBase64(out var bytes) || bytes.Length == 0)
            {
                return Invalid($"{path}.source.data: the image data is not valid base64");
            }

            if (MediaCheck.CheckImage(bytes, mediaType, out var width, out var height) is { } why)
            {
                return Invalid($"{path}.source.data: {why}");
            }

            if (width > RequestLimits.MaxImageDimension || height > RequestLimits.MaxImageDimension)
            {
                return Invalid($"{path}.source.data: the image is {width}x{height} pixels; at most {RequestLimits.MaxImageDimension}x{RequestLimits.MaxImageDimension} is accepted");
            }

            _images.Add((path + ".source.data", width, height));
            features.Add(FeatureKind.ImageData, path + ".source");
            return null;
        }

        private ApiError? ValidateDocument(JsonElement block, string path)
        {
            if (!block.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object
                || !source.TryGetProperty("type", out var type) || StringOf(type) is not { } sourceType)
            {
                return Invalid($"{path}.source: Field required (an object with a \"type\")");
            }

            if (block.TryGetProperty("citations", out var citations) && citations.ValueKind == JsonValueKind.Object
                && citations.TryGetProperty("enabled", out var enabled) && enabled.ValueKind == JsonValueKind.True)
            {
                features.Add(FeatureKind.Citations, path + ".citations");
            }

            switch (sourceType)
            {
                case "base64":
                    return ValidatePdf(source, path);
                case "text":
                    if (!source.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String)
                    {
                        return Invalid($"{path}.source.data: Field required (the document's text)");
                    }

                    features.Add(FeatureKind.TextDocument, path + ".source");
                    return null;
                case "content":
                    if (!source.TryGetProperty("content", out var inner) || inner.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
                    {
                        return Invalid($"{path}.source.content: Input should be a valid string or list of content blocks");
                    }

                    features.Add(FeatureKind.TextDocument, path + ".source");
                    return null;
                case "url":
                    return ValidateUrl(source, path);
                case "file":
                    features.Add(FeatureKind.FileSource, path + ".source");
                    return null;
                default:
                    features.Add(FeatureKind.Unknown, path + ".source.type", sourceType);
                    return null;
            }
        }

        private ApiError? ValidatePdf(JsonElement source, string path)
        {
            if (!source.TryGetProperty("media_type", out var mediaType) || !mediaType.ValueEquals("application/pdf"))
            {
                return Invalid($"{path}.source.media_type: Input should be 'application/pdf'");
            }

            if (!source.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String)
            {
                return Invalid($"{path}.source.data: Field required (base64 PDF data)");
            }

            if (!data.TryGetBytesFromBase64(out var bytes) || bytes.Length == 0)
            {
                return Invalid($"{path}.source.data: the document data is not valid base64");
            }

            if (MediaCheck.CheckPdf(bytes, out var pages) is { } why)
            {
                return Invalid($"{path}.source.data: {why}");
            }

            _pdfPages += pages;
            features.Add(FeatureKind.PdfDocument, path + ".source");
            return null;
        }

        private ApiError? ValidateUrl(JsonElement source, string path)
        {
            if (!source.TryGetProperty("url", out var url) || StringOf(url) is not { Length: > 0 } text)
            {
                return Invalid($"{path}.source.url: Field required (a string)");
            }

            if (SourceUrl.Check(text) is { } why)
            {
                return Invalid($"{path}.source.url: {why}");
            }

            features.Add(FeatureKind.UrlSource, path + ".source");
            return null;
        }

        private static bool EndsInServerToolUse(JsonElement content) =>
            content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0
            && content[content.GetArrayLength() - 1] is { ValueKind: JsonValueKind.Object } last
            && last.TryGetProperty("type", out var type) && (type.ValueEquals("server_tool_use") || type.ValueEquals("mcp_tool_use"));
    }
}
