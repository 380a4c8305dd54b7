using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Simulator.Tests;

public sealed class ToolUseTests
{
    private const string WeatherSchema = """
        {
          "type": "object",
          "properties": {
            "city": { "type": "string", "description": "City name" },
            "unit": { "type": "string", "enum": ["celsius", "fahrenheit"] },
            "days": { "type": "integer", "minimum": 3, "maximum": 10 },
            "threshold": { "type": "number", "exclusiveMinimum": 0.5 },
            "detailed": { "type": "boolean" },
            "tags": { "type": "array", "items": { "type": "string", "minLength": 12 }, "minItems": 2 },
            "location": {
              "type": "object",
              "properties": {
                "lat": { "type": "number", "minimum": -90, "maximum": 90 },
                "lon": { "type": "number" },
                "label": { "type": ["string", "null"], "maxLength": 5 }
              },
              "required": ["lat", "lon"]
            },
            "window": { "anyOf": [ { "type": "null" }, { "type": "string", "format": "date-time" } ] }
          },
          "required": ["city", "unit", "days", "location", "extra_without_schema"]
        }
        """;

    [Fact]
    public async Task Tool_choice_any_calls_a_tool_whose_input_satisfies_its_schema()
    {
        var body = WithTools("What should I pack?", """{"type":"any"}""");

        var events = await Sim.RunAsync(body);

        var message = Sim.Aggregate(events);
        var tool = Assert.IsType<AggregatedToolUseBlock>(Assert.Single(message.Blocks));
        Assert.Equal("get_weather", tool.Name);
        using var input = JsonDocument.Parse(tool.InputJson);
        using var schema = JsonDocument.Parse(WeatherSchema);
        SchemaAssert.Satisfies(input.RootElement, schema.RootElement);
        Assert.Equal("celsius", input.RootElement.GetProperty("unit").GetString());
        Assert.Equal(3, input.RootElement.GetProperty("days").GetInt32());
        Assert.True(input.RootElement.TryGetProperty("extra_without_schema", out _));
        Assert.Equal(StopReasons.ToolUse, message.StopReason);
        Assert.Null(message.StopSequence);
    }

    [Fact]
    public async Task Forced_tool_call_streams_in_Anthropic_order_without_a_text_block()
    {
        var events = await Sim.RunAsync(WithTools("Go.", """{"type":"any"}"""));

        var shape = Sim.Shape(events);
        Assert.Equal(
            ["message_start", "content_block_start(tool_use)", "ping", "input_json_delta+", "content_block_stop", "message_delta", "message_stop"],
            Sim.CompactShape(events));
        Assert.InRange(shape.Count(s => s == "input_json_delta"), 2, 3);
        Assert.All(events.OfType<InputJsonDeltaEvent>(), e => Assert.Equal(0, e.Index));
    }

    [Fact]
    public async Task Input_json_deltas_concatenate_to_valid_JSON_but_no_single_piece_is()
    {
        var events = await Sim.RunAsync(WithTools("Go.", """{"type":"any"}"""));

        var pieces = events.OfType<InputJsonDeltaEvent>().Select(e => e.PartialJson).ToList();
        using var whole = JsonDocument.Parse(string.Concat(pieces));
        Assert.Equal(JsonValueKind.Object, whole.RootElement.ValueKind);
        Assert.All(pieces, p => Assert.False(IsJson(p), $"piece '{p}' is complete JSON on its own"));
    }

    [Fact]
    public async Task Tool_use_id_is_toolu_plus_24_chars_and_is_deterministic()
    {
        var first = await Sim.RunAsync(WithTools("Go.", """{"type":"any"}"""));
        var second = await Sim.RunAsync(WithTools("Go.", """{"type":"any"}"""));
        var other = await Sim.RunAsync(WithTools("Go elsewhere.", """{"type":"any"}"""));

        var id = ToolHeader(first).Id;
        Assert.Matches("^toolu_[A-Za-z0-9]{24}$", id);
        Assert.Equal(id, ToolHeader(second).Id);
        Assert.NotEqual(id, ToolHeader(other).Id);
        Assert.Equal(Sim.Sse(first), Sim.Sse(second));
    }

    [Fact]
    public async Task Tool_choice_tool_calls_the_named_tool_even_when_another_is_mentioned()
    {
        var events = await Sim.RunAsync(WithTools("Please use get_weather.", """{"type":"tool","name":"lookup_time"}"""));

        Assert.Equal("lookup_time", ToolHeader(events).Name);
        using var input = JsonDocument.Parse(Sim.StreamedInputJson(events));
        Assert.Equal("UTC", input.RootElement.GetProperty("zone").GetString());
        Assert.Equal(StopReasons.ToolUse, Sim.Final(events).StopReason);
    }

    [Fact]
    public async Task Tool_choice_any_prefers_the_tool_the_user_mentions()
    {
        var events = await Sim.RunAsync(WithTools("What does lookup_time say?", """{"type":"any"}"""));

        Assert.Equal("lookup_time", ToolHeader(events).Name);
    }

    [Fact]
    public async Task Auto_calls_a_mentioned_tool_after_a_short_text_block()
    {
        var events = await Sim.RunAsync(WithTools("Call get_weather for Lisbon please.", toolChoice: null));

        Assert.Equal(
            ["message_start", "content_block_start(text)", "ping", "text_delta+", "content_block_stop",
             "content_block_start(tool_use)", "input_json_delta+", "content_block_stop", "message_delta", "message_stop"],
            Sim.CompactShape(events));
        var message = Sim.Aggregate(events);
        Assert.Equal(2, message.Blocks.Count);
        Assert.Contains("simulator", Assert.IsType<AggregatedTextBlock>(message.Blocks[0]).Text, StringComparison.Ordinal);
        Assert.Equal("get_weather", Assert.IsType<AggregatedToolUseBlock>(message.Blocks[1]).Name);
        Assert.All(events.OfType<InputJsonDeltaEvent>(), e => Assert.Equal(1, e.Index));
        Assert.Equal(StopReasons.ToolUse, message.StopReason);
    }

    [Fact]
    public async Task Auto_mention_must_be_a_whole_word()
    {
        var events = await Sim.RunAsync(WithTools("I like get_weathering rocks.", """{"type":"auto"}"""));

        Assert.Empty(events.OfType<InputJsonDeltaEvent>());
        Assert.Equal(StopReasons.EndTurn, Sim.Final(events).StopReason);
    }

    [Fact]
    public async Task Auto_without_a_mention_answers_in_text()
    {
        var events = await Sim.RunAsync(WithTools("Just chat with me.", """{"type":"auto"}"""));

        Assert.DoesNotContain(events, e => e is ContentBlockStartEvent { Block: ToolUseBlockHeader });
        Assert.Equal(StopReasons.EndTurn, Sim.Final(events).StopReason);
    }

    [Fact]
    public async Task Tool_choice_none_never_calls_a_tool_even_when_asked_by_name()
    {
        var events = await Sim.RunAsync(WithTools("Call get_weather and lookup_time now!", """{"type":"none"}"""));

        Assert.DoesNotContain(events, e => e is ContentBlockStartEvent { Block: ToolUseBlockHeader } or InputJsonDeltaEvent);
        Assert.Equal(StopReasons.EndTurn, Sim.Final(events).StopReason);
    }

    [Fact]
    public async Task Output_tokens_count_text_and_tool_input()
    {
        var events = await Sim.RunAsync(WithTools("Call get_weather for Oslo.", toolChoice: null));

        var expected = TokenCounter.Count(Sim.StreamedText(events)) + TokenCounter.Count(Sim.StreamedInputJson(events));
        Assert.Equal(expected, Sim.Final(events).Usage.OutputTokens);
    }

    [Fact]
    public async Task A_tool_call_that_does_not_fit_max_tokens_is_not_sent_half_done()
    {
        var body = WithTools("Go.", """{"type":"any"}""", maxTokens: 10);

        var events = await Sim.RunAsync(body);

        Assert.DoesNotContain(events, e => e is ContentBlockStartEvent { Block: ToolUseBlockHeader });
        var final = Sim.Final(events);
        Assert.Equal(StopReasons.MaxTokens, final.StopReason);
        Assert.InRange(final.Usage.OutputTokens, 1, 10);
    }

    [Fact]
    public async Task A_tool_result_turn_is_answered_in_text_quoting_the_result()
    {
        var body = ToolResultConversation("Sunny, 24 degrees, light breeze from the west.", isError: false);

        var events = await Sim.RunAsync(body);

        var text = Sim.StreamedText(events);
        Assert.StartsWith("I am the Meridian simulator, not a real model", text, StringComparison.Ordinal);
        Assert.Contains("get_weather", text, StringComparison.Ordinal);
        Assert.Contains("Sunny, 24 degrees, light breeze from the west.", text, StringComparison.Ordinal);
        Assert.Contains("turn 2", text, StringComparison.Ordinal);
        Assert.Equal(StopReasons.EndTurn, Sim.Final(events).StopReason);
        Assert.DoesNotContain(events, e => e is InputJsonDeltaEvent);
    }

    [Fact]
    public async Task A_failed_tool_result_is_acknowledged_as_an_error()
    {
        var events = await Sim.RunAsync(ToolResultConversation("city not found", isError: true));

        Assert.Contains("reported an error: \"city not found\"", Sim.StreamedText(events), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_tool_result_is_quoted_only_in_part()
    {
        var result = string.Concat(Enumerable.Repeat("0123456789", 100));

        var text = Sim.StreamedText(await Sim.RunAsync(ToolResultConversation(result, isError: false)));

        Assert.Contains(result[..100], text, StringComparison.Ordinal);
        Assert.DoesNotContain(result[..400], text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_definitions_count_toward_input_tokens()
    {
        using var withTools = Sim.Parse(WithTools("Go.", """{"type":"auto"}"""));
        using var without = Sim.Parse(Sim.Ask("Go."));

        var events = await Sim.RunAsync(withTools);

        Assert.Equal(TokenCounter.CountInput(withTools), Sim.Final(events).Usage.InputTokens);
        Assert.True(Sim.Final(events).Usage.InputTokens > TokenCounter.CountInput(without));
    }

    private static JsonObject WithTools(string userText, string? toolChoice, int maxTokens = 4096)
    {
        var body = Sim.Ask(userText, maxTokens);
        body["tools"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "get_weather",
                ["description"] = "Weather forecast for a city",
                ["input_schema"] = JsonNode.Parse(WeatherSchema),
            },
            new JsonObject
            {
                ["name"] = "lookup_time",
                ["input_schema"] = JsonNode.Parse("""{"type":"object","properties":{"zone":{"const":"UTC"}},"required":["zone"]}"""),
            });
        if (toolChoice is not null)
        {
            body["tool_choice"] = JsonNode.Parse(toolChoice);
        }

        return body;
    }

    private static JsonObject ToolResultConversation(string result, bool isError)
    {
        var body = WithTools("Weather in Lisbon?", toolChoice: null);
        body["messages"] = JsonNode.Parse($$$"""
            [
              {"role":"user","content":"Call get_weather for Lisbon"},
              {"role":"assistant","content":[
                {"type":"text","text":"Calling it."},
                {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Lisbon"}}
              ]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_01","is_error":{{{(isError ? "true" : "false")}}},"content":[{"type":"text","text":{{{JsonSerializer.Serialize(result)}}}}]}
              ]}
            ]
            """);
        return body;
    }

    private static ToolUseBlockHeader ToolHeader(IEnumerable<StreamEvent> events) =>
        Assert.Single(events.OfType<ContentBlockStartEvent>().Select(e => e.Block).OfType<ToolUseBlockHeader>());

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
