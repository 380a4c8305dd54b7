using System.Globalization;
using System.Text;
using System.Text.Json;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Simulator.Answers;

/// <summary>
/// Decides what the simulator says. A pure function of the request: the same request always gets the same answer,
/// in every process, because every choice is drawn from an FNV-1a hash of the conversation.
/// </summary>
internal static class AnswerComposer
{
    /// <summary>How much of the last user turn is echoed back (in UTF-16 chars), so tests can aim stop sequences at it.</summary>
    public const int MaxEchoChars = 200;

    /// <summary>How much of each tool result is quoted back.</summary>
    public const int MaxToolResultChars = 160;

    public const int MinFillerWords = 30;
    public const int MaxFillerWords = 80;

    public const string Disclaimer = "I am the Meridian simulator, not a real model; this reply is generated deterministically from your request.";

    private const int MaxToolResultsQuoted = 4;
    private const int SystemPromptWords = 8;
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private static readonly string[] Vocabulary =
    [
        "meridian", "signal", "harbor", "lantern", "river", "compass", "ledger", "orbit",
        "meadow", "granite", "violet", "copper", "summit", "tide", "ember", "willow",
        "beacon", "atlas", "cedar", "falcon", "prism", "quartz", "gateway", "stream",
        "token", "region", "latency", "budget", "quietly", "steadily", "across", "beyond",
        "every", "answer", "follows", "carries", "measures", "returns", "gathers", "settles",
        "bright", "patient", "distant", "careful", "simple", "exact", "gentle", "northern",
        "the", "a", "of", "and", "with", "under", "through", "before",
    ];

    public static SimulatedAnswer Compose(MessagesRequest request)
    {
        var conversation = Conversation.Read(request);
        var format = OutputSchemaOf(request);
        if (ChooseTool(request, conversation) is { } choice)
        {
            return ComposeToolCall(request, conversation, choice, structured: format is not null);
        }

        // Structured outputs: the first text block is JSON that satisfies the schema, as the client will parse it. It has
        // no room for the disclaimer; the receipt and the backend's name still say that a simulator answered.
        var text = format is { } schema ? SchemaExample.Generate(schema, "answer") : ComposeText(conversation);
        return Finish(text, request, moreWasComing: false);
    }

    /// <summary>The schema of <c>output_config.format</c> (<c>json_schema</c>), or null when the answer is free text.</summary>
    private static JsonElement? OutputSchemaOf(MessagesRequest request) =>
        request.Root.TryGetProperty("output_config", out var config) && config.ValueKind == JsonValueKind.Object
        && config.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object
        && format.TryGetProperty("type", out var type) && type.ValueEquals("json_schema")
        && format.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object
            ? schema
            : null;

    private static SimulatedAnswer ComposeToolCall(MessagesRequest request, Conversation conversation, ToolChoice choice, bool structured)
    {
        var preamble = $"{Disclaimer} I will call the tool {choice.Name} with arguments generated from its input schema.";
        var input = SchemaExample.Generate(choice.Schema, choice.Name);
        var call = new SimulatedToolCall(ToolUseId(conversation.Hash, choice.Name), choice.Name, input);

        // With structured outputs every text block must be schema-valid JSON, so a tool call goes without the preamble.
        var text = choice.Forced || structured ? null : preamble;

        // A stop sequence in the text before the call ends the message there, as it would for a model.
        if (text is not null && FindStopSequence(text, request.StopSequences) is not null)
        {
            return Finish(text, request, moreWasComing: false);
        }

        var tokens = (text is null ? 0 : TokenCounter.Count(text)) + TokenCounter.Count(input);
        if (tokens <= request.MaxTokens)
        {
            return new SimulatedAnswer(text, call, StopReasons.ToolUse, null, tokens);
        }

        // The call does not fit in max_tokens. Rather than send a tool_use whose input is cut mid-JSON, the
        // simulator says what it was about to do, cut to max_tokens, and ends with stop_reason max_tokens.
        return Finish(preamble, request, moreWasComing: true);
    }

    /// <summary>Applies stop sequences, then max_tokens, to the text the simulator would like to say.</summary>
    private static SimulatedAnswer Finish(string fullText, MessagesRequest request, bool moreWasComing)
    {
        var text = fullText;
        string? stopSequence = null;
        var stopReason = moreWasComing ? StopReasons.MaxTokens : StopReasons.EndTurn;
        if (FindStopSequence(fullText, request.StopSequences) is { } stop)
        {
            text = fullText[..stop.Index];
            stopSequence = stop.Sequence;
            stopReason = StopReasons.StopSequence;
        }

        var tokens = TokenCounter.Count(text);
        if (tokens > request.MaxTokens)
        {
            text = CutToTokens(text, request.MaxTokens);
            tokens = TokenCounter.Count(text);
            stopSequence = null;
            stopReason = StopReasons.MaxTokens;
        }

        return new SimulatedAnswer(text, null, stopReason, stopSequence, tokens);
    }

    /// <summary>
    /// The stop sequence a streaming model would hit first: the occurrence that <em>ends</em> earliest (a longer one
    /// on a tie). The text before it then contains no stop sequence at all.
    /// </summary>
    internal static (int Index, string Sequence)? FindStopSequence(string text, IReadOnlyList<string> stopSequences)
    {
        (int Index, string Sequence)? best = null;
        var bestEnd = int.MaxValue;
        foreach (var sequence in stopSequences)
        {
            if (sequence.Length == 0)
            {
                continue;
            }

            var index = text.IndexOf(sequence, StringComparison.Ordinal);
            if (index < 0)
            {
                continue;
            }

            var end = index + sequence.Length;
            if (end < bestEnd || (end == bestEnd && index < best!.Value.Index))
            {
                best = (index, sequence);
                bestEnd = end;
            }
        }

        return best;
    }

    /// <summary>The longest prefix of <paramref name="text"/> that counts at most <paramref name="maxTokens"/> tokens.</summary>
    internal static string CutToTokens(string text, int maxTokens)
    {
        // Re-tokenising a prefix can differ from the full text's tokens at the cut, so check and back off.
        for (var budget = maxTokens; budget > 0; budget--)
        {
            var index = TokenCounter.IndexAfterTokens(text, budget);
            if (index > 0 && index < text.Length && char.IsLowSurrogate(text[index]))
            {
                index--;
            }

            var prefix = text[..index];
            if (TokenCounter.Count(prefix) <= maxTokens)
            {
                return prefix;
            }
        }

        return string.Empty;
    }

    private static string ComposeText(Conversation conversation)
    {
        var builder = new StringBuilder(1024);
        builder.Append(Disclaimer).Append(' ');
        if (conversation.ToolResults.Count > 0)
        {
            foreach (var result in conversation.ToolResults.Take(MaxToolResultsQuoted))
            {
                var tool = result.ToolName is null ? "a tool" : "the tool " + result.ToolName;
                var verb = result.IsError ? "reported an error" : "returned";
                builder.Append(CultureInfo.InvariantCulture, $"I received the result of {tool}; it {verb}: \"{Bound(result.Text, MaxToolResultChars)}\". ");
            }

            if (conversation.ToolResults.Count > MaxToolResultsQuoted)
            {
                builder.Append(CultureInfo.InvariantCulture, $"{conversation.ToolResults.Count - MaxToolResultsQuoted} more tool results arrived as well. ");
            }
        }

        if (conversation.LastUserText.AsSpan().Trim().IsEmpty)
        {
            if (conversation.ToolResults.Count == 0)
            {
                builder.Append("Your last message had no text for me to echo. ");
            }
        }
        else
        {
            builder.Append("You wrote: \"").Append(Bound(conversation.LastUserText, MaxEchoChars)).Append("\". ");
        }

        var media = conversation.LastUserMedia;
        if (media.Images > 0 || media.Documents > 0)
        {
            builder.Append(CultureInfo.InvariantCulture, $"You sent {Count(media.Images, "image")} and {Count(media.Documents, "document")}; I cannot look at them. ");
        }

        if (conversation.SystemText is { } system && FirstWords(system, SystemPromptWords) is { Length: > 0 } opening)
        {
            builder.Append("I was given a system prompt that begins \"").Append(opening).Append("\". ");
        }

        if (conversation.LatestSystemMessage is { } added && FirstWords(added, SystemPromptWords) is { Length: > 0 } addedOpening)
        {
            builder.Append("A system message in the conversation begins \"").Append(addedOpening).Append("\". ");
        }

        builder.Append(CultureInfo.InvariantCulture, $"This is turn {conversation.Turn} of our conversation.");
        AppendFiller(builder, conversation.Hash);
        return builder.ToString();
    }

    /// <summary>Sentences of words drawn from a fixed vocabulary; how many words also depends on the hash.</summary>
    private static void AppendFiller(StringBuilder builder, ulong hash)
    {
        var random = new SplitMix64(hash);
        var remaining = random.Next(MinFillerWords, MaxFillerWords);
        while (remaining > 0)
        {
            var length = Math.Min(remaining, random.Next(5, 11));
            for (var i = 0; i < length; i++)
            {
                var word = Vocabulary[random.Next(Vocabulary.Length)];
                builder.Append(' ');
                if (i == 0)
                {
                    builder.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
                }
                else
                {
                    builder.Append(word);
                }
            }

            builder.Append('.');
            remaining -= length;
        }
    }

    private static string Count(int count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

    private static string Bound(string text, int maxChars)
    {
        if (text.Length <= maxChars)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[maxChars - 1]) ? maxChars - 1 : maxChars;
        return string.Concat(text.AsSpan(0, cut), "...");
    }

    private static string FirstWords(string text, int count)
    {
        var words = text.Split((char[]?)null, count + 1, StringSplitOptions.RemoveEmptyEntries);
        var opening = string.Join(' ', words.Take(count));
        return Bound(opening, MaxEchoChars);
    }

    private static string ToolUseId(ulong conversationHash, string toolName)
    {
        var random = new SplitMix64(conversationHash ^ Fnv1a.Of(toolName));
        return string.Create(6 + 24, random, static (span, state) =>
        {
            "toolu_".CopyTo(span);
            for (var i = 6; i < span.Length; i++)
            {
                span[i] = IdAlphabet[state.Next(IdAlphabet.Length)];
            }
        });
    }

    private static ToolChoice? ChooseTool(MessagesRequest request, Conversation conversation)
    {
        if (request.Tools is not { } tools || tools.GetArrayLength() == 0)
        {
            return null;
        }

        var mode = request.ToolChoice is { } choice && choice.TryGetProperty("type", out var type) ? type.GetString() : "auto";
        switch (mode)
        {
            case "none":
                return null;
            case "tool":
                var wanted = request.ToolChoice!.Value.GetProperty("name").GetString();
                return tools.EnumerateArray()
                    .Where(t => t.GetProperty("name").ValueEquals(wanted))
                    .Select(t => ToolChoice.Of(t, forced: true))
                    .FirstOrDefault();
            case "any":
                var callable = tools.EnumerateArray().Where(IsCustomTool).ToList();
                var pick = MentionedTool(callable, conversation.LastUserText)
                    ?? (callable.Count > 0 ? callable[0] : tools[0]);
                return ToolChoice.Of(pick, forced: true);
            default:
                // auto: a tool result is answered in words (so agent loops end); otherwise call a tool only when asked to by name.
                if (conversation.ToolResults.Count > 0)
                {
                    return null;
                }

                return MentionedTool(tools.EnumerateArray().Where(IsCustomTool).ToList(), conversation.LastUserText) is { } mentioned
                    ? ToolChoice.Of(mentioned, forced: false)
                    : null;
        }
    }

    /// <summary>Custom tools carry an input_schema; server tools (web_search, bash, ...) carry a versioned type instead.</summary>
    private static bool IsCustomTool(JsonElement tool) =>
        !tool.TryGetProperty("type", out var type) || type.ValueEquals("custom");

    /// <summary>The tool whose name appears first in the text, as a whole word (case-insensitive).</summary>
    private static JsonElement? MentionedTool(List<JsonElement> tools, string text)
    {
        JsonElement? best = null;
        var bestIndex = int.MaxValue;
        foreach (var tool in tools)
        {
            var name = tool.GetProperty("name").GetString()!;
            var index = IndexOfWord(text, name);
            if (index >= 0 && index < bestIndex)
            {
                best = tool;
                bestIndex = index;
            }
        }

        return best;
    }

    private static int IndexOfWord(string text, string word)
    {
        var start = 0;
        while (start <= text.Length - word.Length)
        {
            var index = text.IndexOf(word, start, StringComparison.OrdinalIgnoreCase);
            if (index < 0)
            {
                return -1;
            }

            var end = index + word.Length;
            if ((index == 0 || !IsWordChar(text[index - 1])) && (end == text.Length || !IsWordChar(text[end])))
            {
                return index;
            }

            start = index + 1;
        }

        return -1;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-';

    private sealed record ToolChoice(string Name, JsonElement? Schema, bool Forced)
    {
        public static ToolChoice Of(JsonElement tool, bool forced) => new(
            tool.GetProperty("name").GetString()!,
            tool.TryGetProperty("input_schema", out var schema) && schema.ValueKind == JsonValueKind.Object ? schema : null,
            forced);
    }
}
