using Meridian.Protocol.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Meridian.Inference.LlamaSharp.Tests;

/// <summary>The prompt a GGUF model continues: its own chat template when llama.cpp knows it, the plain one otherwise.</summary>
public sealed class ChatPromptTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private const string ChatMlJinja =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private const string Conversation = """
        {"model":"tiny","max_tokens":4,"system":[{"type":"text","text":"You are terse."}],"messages":[
          {"role":"user","content":"Hi"},
          {"role":"assistant","content":[{"type":"text","text":"Hello."}]},
          {"role":"user","content":"Name a colour."}]}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Without_a_model_template_the_plain_format_is_used()
    {
        using var request = Requests.Parse(Conversation);

        var prompt = ChatPrompt.WithTemplate(null).Build(request);

        Assert.Equal("You are terse.\n\nUser: Hi\n\nAssistant: Hello.\n\nUser: Name a colour.\n\nAssistant:", prompt);
        Assert.Equal("plain", model.Backend.PromptFormat);
        Assert.Equal(["\nUser:"], ChatPrompt.WithTemplate(null).ImplicitStops);
        Assert.Empty(ChatPrompt.WithTemplate(ChatMlJinja).ImplicitStops);
    }

    [Fact]
    public void A_final_assistant_message_is_a_prefill_the_answer_continues()
    {
        using var request = Requests.Parse("""
            {"model":"tiny","max_tokens":4,"messages":[{"role":"user","content":"Count."},{"role":"assistant","content":"One, two,"}]}
            """);

        Assert.Equal("User: Count.\n\nAssistant: One, two,", ChatPrompt.WithTemplate(null).Build(request));
        Assert.EndsWith("<|im_start|>assistant\nOne, two,", ChatPrompt.WithTemplate(ChatMlJinja).Build(request), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_models_own_chat_template_is_applied_when_llama_cpp_knows_it()
    {
        var path = Path.Combine(model.Directory, "chatml.gguf");
        TinyGguf.Write(path, TinyModelFixture.Seed, chatTemplate: ChatMlJinja);
        using var backend = new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path });
        using var request = Requests.Parse(Conversation);

        Assert.Equal("model", backend.PromptFormat);
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
            + "<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n",
            ChatPrompt.WithTemplate(ChatMlJinja).Build(request));

        var (_, message) = await Requests.RunAsync(backend, new Protocol.BackendCall(request, "tiny", "msg_chatml"), Ct);
        Assert.Equal(StopReasons.MaxTokens, message.StopReason);
        Assert.Equal(backend.CountInputTokens(request), message.Usage.InputTokens);
        Assert.True(message.Usage.InputTokens > model.Backend.CountInputTokens(request), "the ChatML markers add tokens");
    }

    [Fact]
    public async Task An_unknown_template_falls_back_to_the_plain_format_with_a_warning()
    {
        var path = Path.Combine(model.Directory, "odd-template.gguf");
        TinyGguf.Write(path, TinyModelFixture.Seed, chatTemplate: "{{ bos }}{% for m in messages %}[[{{ m.content }}]]{% endfor %}");
        var logger = new FakeLogger<LlamaSharpBackend>();
        using var backend = new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path }, logger);

        Assert.Equal("plain", backend.PromptFormat);
        Assert.Contains(logger.Collector.GetSnapshot(), e => e.Level == LogLevel.Warning && e.Id.Id == LogEvents.UnsupportedChatTemplate);

        using var call = Requests.Simple(3);
        var (_, message) = await Requests.RunAsync(backend, call.Value, Ct);
        Assert.Equal(3, message.Usage.OutputTokens);
    }
}
