using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Protocol.Streaming;

namespace Meridian.Simulator.Tests;

/// <summary>What Claude Code and the frameworks send: mid-conversation system messages and structured outputs.</summary>
public sealed class ForwardCompatibilityTests
{
    private const string RecipeSchema = """
        {"type":"object","additionalProperties":false,
         "properties":{"name":{"type":"string"},"servings":{"type":"integer","minimum":2},
                       "steps":{"type":"array","items":{"type":"string"},"minItems":1},
                       "vegan":{"type":"boolean"}},
         "required":["name","servings","steps","vegan"]}
        """;

    private static JsonObject Structured(string question) => new()
    {
        ["model"] = Sim.Model,
        ["max_tokens"] = 1024,
        ["messages"] = new JsonArray(Sim.User(question)),
        ["output_config"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "json_schema", ["schema"] = JsonNode.Parse(RecipeSchema) } },
    };

    [Fact]
    public async Task With_structured_outputs_the_first_text_block_is_json_that_satisfies_the_schema()
    {
        var message = Sim.Aggregate(await Sim.RunAsync(Structured("A recipe for lasagna, please.")));

        var text = Assert.IsType<AggregatedTextBlock>(message.Blocks[0]).Text;
        using var answer = JsonDocument.Parse(text);
        using var schema = JsonDocument.Parse(RecipeSchema);
        SchemaAssert.Satisfies(answer.RootElement, schema.RootElement);
        Assert.Equal(StopReasons.EndTurn, message.StopReason);
    }

    [Fact]
    public async Task A_structured_answer_that_calls_a_tool_says_no_prose_before_the_call()
    {
        var body = Structured("Use lookup first.");
        body["tools"] = new JsonArray(new JsonObject { ["name"] = "lookup", ["input_schema"] = new JsonObject { ["type"] = "object" } });

        var message = Sim.Aggregate(await Sim.RunAsync(body));

        Assert.IsType<AggregatedToolUseBlock>(Assert.Single(message.Blocks));
    }

    [Fact]
    public async Task A_mid_conversation_system_message_is_answered_and_acknowledged()
    {
        var body = Sim.Ask("say hello");
        ((JsonArray)body["messages"]!).Add(new JsonObject { ["role"] = "system", ["content"] = "Available agent types: general-purpose." });

        var message = Sim.Aggregate(await Sim.RunAsync(body));

        var text = Assert.IsType<AggregatedTextBlock>(Assert.Single(message.Blocks)).Text;
        Assert.Contains("A system message in the conversation begins \"Available agent types: general-purpose.\"", text, StringComparison.Ordinal);
        Assert.Contains("You wrote: \"say hello\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_what_it_cannot_express_naming_the_field()
    {
        using var request = Sim.Parse("""
            {"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}}]}]}
            """);

        var refusal = Sim.Backend().Refusal(request);

        Assert.StartsWith("messages.0.content.0.source: URL sources are not supported", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_field_the_gateway_does_not_know()
    {
        using var request = Sim.Parse("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"speed":"fast"}""");

        Assert.StartsWith("speed: 'speed' is not supported", Sim.Backend().Refusal(request), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bounds_a_client_moved_into_the_description_are_honoured_as_the_Vercel_AI_SDK_expects()
    {
        // As @ai-sdk/anthropic 4 sends z.number().int().min(2): the bound travels in the description, and the SDK checks it.
        var body = Structured("A recipe.");
        body["output_config"]!["format"]!["schema"] = JsonNode.Parse("""
            {"type":"object","properties":{"servings":{"type":"integer","description":"minimum: 2; maximum: 9007199254740991."}},"required":["servings"]}
            """);

        var message = Sim.Aggregate(await Sim.RunAsync(body));

        using var answer = JsonDocument.Parse(Assert.IsType<AggregatedTextBlock>(message.Blocks[0]).Text);
        Assert.Equal(2, answer.RootElement.GetProperty("servings").GetInt32());
    }
}
