using System.Text;
using System.Text.Json;
using LLama;
using LLama.Exceptions;
using Meridian.Protocol.Messages;

namespace Meridian.Inference.LlamaSharp;

/// <summary>
/// Turns the system prompt and the conversation into the one text a GGUF model continues.
/// With the model's own chat template (<c>tokenizer.chat_template</c>) when llama.cpp knows it; otherwise with a plain
/// template, documented in docs/backends.md:
/// <code>
/// {system}
///
/// User: {text}
///
/// Assistant: {text}
///
/// User: {text}
///
/// Assistant:
/// </code>
/// A system message inside the conversation is a <c>system</c> turn where it stands (<c>System: {text}</c> in the plain
/// template). A final assistant message is a prefill: the answer continues it. Immutable and thread-safe (a
/// <see cref="LLamaTemplate"/> is made per request).
/// </summary>
internal sealed class ChatPrompt
{
    private const string UserPrefix = "User: ";
    private const string SystemPrefix = "System: ";
    private const string AssistantPrefix = "Assistant:";

    /// <summary>Where a model continuing the plain template starts the next user turn itself: the answer ends there.</summary>
    private static readonly string[] PlainStops = ["\nUser:"];

    private readonly string? _template;

    private ChatPrompt(string? template)
    {
        _template = template;
    }

    /// <summary><c>model</c> (the GGUF's template) or <c>plain</c>.</summary>
    public string Kind => _template is null ? "plain" : "model";

    /// <summary>
    /// The model's template marks turns with control tokens written as text (<c>&lt;|im_start|&gt;</c>), which the
    /// tokenizer must read as those tokens; the plain template has none.
    /// </summary>
    public bool ParseSpecialTokens => _template is not null;

    /// <summary>Stop sequences of the prompt format itself: reaching one ends the turn (<c>end_turn</c>).</summary>
    public IReadOnlyList<string> ImplicitStops => _template is null ? PlainStops : [];

    /// <summary>
    /// The model's template when it has one that llama.cpp can apply; otherwise the plain one, with
    /// <paramref name="unsupportedTemplate"/> set so the caller can say so once.
    /// </summary>
    public static ChatPrompt For(LLamaWeights weights, out bool unsupportedTemplate)
    {
        unsupportedTemplate = false;
        var template = weights.NativeHandle.GetTemplate(name: null, strict: false);
        if (string.IsNullOrEmpty(template))
        {
            return new ChatPrompt(null);
        }

        try
        {
            // llama.cpp applies a fixed list of well-known templates (it recognises them by name or by their text) and
            // runs no Jinja; probe once so an unknown one falls back here rather than failing every request.
            var probe = new LLamaTemplate(template) { AddAssistant = true };
            probe.Add("user", "probe");
            _ = probe.Apply();
            return new ChatPrompt(template);
        }
        catch (Exception ex) when (ex is MissingTemplateException or RuntimeError)
        {
            unsupportedTemplate = true;
            return new ChatPrompt(null);
        }
    }

    /// <summary>A prompt format by name, for tests: <c>null</c> is the plain template.</summary>
    internal static ChatPrompt WithTemplate(string? template) => new(template);

    public string Build(MessagesRequest request)
    {
        var system = request.System is { } s ? ContentText.Of(s) : string.Empty;
        var turns = new List<(string Role, string Text)>();
        foreach (var message in request.Messages.EnumerateArray())
        {
            // user, assistant or system: a role the gateway does not know is refused before it gets here (Refusal).
            var role = message.GetProperty("role").GetString()!;
            turns.Add((role, message.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null ? ContentText.Of(content) : string.Empty));
        }

        // A trailing assistant message is a prefill: the prompt ends inside the assistant's turn, with its text.
        string? prefill = null;
        if (turns.Count > 0 && turns[^1].Role == "assistant")
        {
            prefill = turns[^1].Text;
            turns.RemoveAt(turns.Count - 1);
        }

        return _template is null ? Plain(system, turns, prefill) : Templated(_template, system, turns, prefill);
    }

    private static string Plain(string system, List<(string Role, string Text)> turns, string? prefill)
    {
        var builder = new StringBuilder();
        if (system.Length > 0)
        {
            builder.Append(system).Append("\n\n");
        }

        foreach (var (role, text) in turns)
        {
            if (role == "user")
            {
                builder.Append(UserPrefix).Append(text).Append("\n\n");
            }
            else if (role == "system")
            {
                builder.Append(SystemPrefix).Append(text).Append("\n\n");
            }
            else
            {
                builder.Append(AssistantPrefix).Append(' ').Append(text).Append("\n\n");
            }
        }

        builder.Append(AssistantPrefix);
        if (!string.IsNullOrEmpty(prefill))
        {
            builder.Append(' ').Append(prefill);
        }

        return builder.ToString();
    }

    private static string Templated(string template, string system, List<(string Role, string Text)> turns, string? prefill)
    {
        var chat = new LLamaTemplate(template) { AddAssistant = true };
        if (system.Length > 0)
        {
            chat.Add("system", system);
        }

        foreach (var (role, text) in turns)
        {
            chat.Add(role, text);
        }

        var prompt = LLamaTemplate.Encoding.GetString(chat.Apply());
        return string.IsNullOrEmpty(prefill) ? prompt : prompt + prefill;
    }
}
