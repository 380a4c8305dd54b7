using System.Text;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;

namespace Meridian.Protocol.Tests;

public sealed class MessagesRequestParserTests
{
    private const string OneUserTurn = "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]";

    /// <summary>A valid body with <paramref name="extra"/> (comma-separated top-level members) appended.</summary>
    private static string ValidWith(string extra) =>
        $$"""{"model":"claude-test","max_tokens":1024,{{OneUserTurn}},{{extra}} }""";

    private static MessagesRequest ParseOk(string json, bool isCountTokens = false) => ParseOk(Encoding.UTF8.GetBytes(json), isCountTokens);

    private static MessagesRequest ParseOk(byte[] body, bool isCountTokens = false)
    {
        var ok = MessagesRequestParser.TryParse(body, isCountTokens, out var request, out var error);
        Assert.True(ok, $"expected the body to be accepted, but got: {error?.Message}");
        Assert.Null(error);
        Assert.NotNull(request);
        return request;
    }

    private static ApiError ParseFails(string json, bool isCountTokens = false) => ParseFails(Encoding.UTF8.GetBytes(json), isCountTokens);

    private static ApiError ParseFails(byte[] body, bool isCountTokens = false)
    {
        var ok = MessagesRequestParser.TryParse(body, isCountTokens, out var request, out var error);
        request?.Dispose();
        Assert.False(ok, "expected the body to be rejected, but it was accepted");
        Assert.Null(request);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal(ErrorTypes.InvalidRequest, error.Type);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    // ---------------------------------------------------------------- accepted bodies

    [Fact]
    public void A_minimal_valid_body_parses_and_exposes_model_max_tokens_and_stream()
    {
        using var request = ParseOk($$"""{"model":"claude-test","max_tokens":1024,{{OneUserTurn}} }""");

        Assert.Equal("claude-test", request.Model);
        Assert.Equal(1024, request.MaxTokens);
        Assert.False(request.Stream);
        Assert.Equal(1, request.Messages.GetArrayLength());
    }

    [Fact]
    public void Stream_true_is_exposed_as_a_streaming_request()
    {
        using var request = ParseOk(ValidWith("\"stream\":true"));

        Assert.True(request.Stream);
    }

    [Fact]
    public void Stream_false_is_exposed_as_a_non_streaming_request()
    {
        using var request = ParseOk(ValidWith("\"stream\":false"));

        Assert.False(request.Stream);
    }

    [Fact]
    public void Unknown_top_level_fields_are_accepted_and_the_original_bytes_are_preserved_exactly()
    {
        // Odd whitespace, key order and newer fields: the forwarded body must be byte-for-byte what came in.
        const string json = """
            {  "service_tier" : "auto",
               "model":"claude-test","max_tokens":64,
               "output_config": {"effort":"high","format":{"type":"json_schema","schema":{"type":"object"}}},
               "inference_geo":"eu", "speed": "fast", "container": null,
               "messages":[{"role":"user","content":"Hi \u00e9 \ud83d\ude00"}],
               "cache_control": {"type":"ephemeral"}
            }
            """;
        var bytes = Encoding.UTF8.GetBytes(json);

        using var request = ParseOk(bytes);

        Assert.True(request.Body.Span.SequenceEqual(bytes), "Body must be the exact bytes the client sent");
        Assert.Equal("claude-test", request.Model);
        Assert.Equal(64, request.MaxTokens);
        Assert.Equal("eu", request.Root.GetProperty("inference_geo").GetString());
    }

    [Fact]
    public void Count_tokens_bodies_do_not_need_max_tokens()
    {
        using var request = ParseOk($$"""{"model":"claude-test",{{OneUserTurn}} }""", isCountTokens: true);

        Assert.Equal("claude-test", request.Model);
        Assert.Equal(0, request.MaxTokens);
        Assert.False(request.Stream);
    }

    [Fact]
    public void Count_tokens_bodies_with_thinking_enabled_do_not_compare_the_budget_with_max_tokens()
    {
        using var request = ParseOk(
            $$"""{"model":"claude-test",{{OneUserTurn}},"thinking":{"type":"enabled","budget_tokens":2048} }""",
            isCountTokens: true);

        Assert.Equal(0, request.MaxTokens);
    }

    [Fact]
    public void Message_bodies_still_need_max_tokens_when_count_tokens_would_not()
    {
        var error = ParseFails($$"""{"model":"claude-test",{{OneUserTurn}} }""", isCountTokens: false);

        Assert.Contains("max_tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void System_as_a_string_is_accepted()
    {
        using var request = ParseOk(ValidWith("\"system\":\"You are terse.\""));

        Assert.Equal("You are terse.", request.System!.Value.GetString());
    }

    [Fact]
    public void System_as_an_array_of_text_blocks_is_accepted()
    {
        using var request = ParseOk(ValidWith(
            "\"system\":" + """[{"type":"text","text":"You are terse."},{"type":"text","text":"Cite sources.","cache_control":{"type":"ephemeral"}}]"""));

        Assert.Equal(2, request.System!.Value.GetArrayLength());
    }

    [Fact]
    public void Tool_use_in_an_assistant_turn_and_tool_result_in_the_next_user_turn_are_accepted()
    {
        const string json = """
            {"model":"claude-test","max_tokens":256,
             "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
             "tool_choice":{"type":"tool","name":"get_weather"},
             "messages":[
               {"role":"user","content":"Weather in Paris?"},
               {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":[{"type":"text","text":"18C"}]},{"type":"text","text":"Thanks"}]}
             ]}
            """;

        using var request = ParseOk(json);

        Assert.Equal(3, request.Messages.GetArrayLength());
        Assert.Equal("get_weather", request.ToolChoice!.Value.GetProperty("name").GetString());
        Assert.Equal(1, request.Tools!.Value.GetArrayLength());
    }

    [Fact]
    public void A_tool_result_with_string_content_and_is_error_is_accepted()
    {
        const string json = """
            {"model":"claude-test","max_tokens":256,
             "tools":[{"name":"t","input_schema":{"type":"object"}}],
             "messages":[
               {"role":"user","content":"go"},
               {"role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"t","input":{}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"boom","is_error":true}]}
             ]}
            """;

        using var request = ParseOk(json);

        Assert.Equal(3, request.Messages.GetArrayLength());
    }

    [Fact]
    public void A_trailing_assistant_turn_prefill_is_accepted()
    {
        using var request = ParseOk("""
            {"model":"claude-test","max_tokens":64,"messages":[
              {"role":"user","content":"Answer in JSON."},
              {"role":"assistant","content":"{"}]}
            """);

        Assert.Equal(2, request.Messages.GetArrayLength());
    }

    [Theory]
    [InlineData("\"temperature\":0")]
    [InlineData("\"temperature\":1")]
    [InlineData("\"temperature\":0.7,\"top_p\":0.9,\"top_k\":0")]
    [InlineData("\"stop_sequences\":[\"END\",\"\\n\\nHuman:\"]")]
    [InlineData("\"metadata\":{\"user_id\":\"u-123\"}")]
    [InlineData("\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":true}")]
    [InlineData("\"tool_choice\":{\"type\":\"any\"}")]
    [InlineData("\"tool_choice\":{\"type\":\"none\"}")]
    [InlineData("\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},\"max_tokens\":2048")]
    [InlineData("\"thinking\":{\"type\":\"disabled\"}")]
    [InlineData("\"thinking\":{\"type\":\"adaptive\"}")]
    [InlineData("\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\",\"max_uses\":3}]")]
    [InlineData("\"nested_unknown\":[[[[[[[[[[{\"a\":1}]]]]]]]]]]")]
    public void Optional_fields_within_their_ranges_are_accepted(string extra)
    {
        // A row that sets max_tokens itself replaces the base body's (a duplicate key would be rejected).
        var json = extra.Contains("\"max_tokens\"", StringComparison.Ordinal)
            ? $$"""{"model":"claude-test",{{OneUserTurn}},{{extra}} }"""
            : ValidWith(extra);

        using var request = ParseOk(json);

        Assert.Equal("claude-test", request.Model);
    }

    // ---------------------------------------------------------------- rejected bodies, naming the field

    public static TheoryData<string, string, string> InvalidBodies() => new()
    {
        // case, body, field the message must name
        { "missing model", $$"""{"max_tokens":16,{{OneUserTurn}} }""", "model" },
        { "model not a string", $$"""{"model":42,"max_tokens":16,{{OneUserTurn}} }""", "model" },
        { "model empty", $$"""{"model":"","max_tokens":16,{{OneUserTurn}} }""", "model" },
        { "missing max_tokens", $$"""{"model":"m",{{OneUserTurn}} }""", "max_tokens" },
        { "max_tokens 0", $$"""{"model":"m","max_tokens":0,{{OneUserTurn}} }""", "max_tokens" },
        { "max_tokens -1", $$"""{"model":"m","max_tokens":-1,{{OneUserTurn}} }""", "max_tokens" },
        { "max_tokens string", $$"""{"model":"m","max_tokens":"10",{{OneUserTurn}} }""", "max_tokens" },
        { "max_tokens fraction", $$"""{"model":"m","max_tokens":1.5,{{OneUserTurn}} }""", "max_tokens" },
        { "max_tokens null", $$"""{"model":"m","max_tokens":null,{{OneUserTurn}} }""", "max_tokens" },
        { "messages missing", """{"model":"m","max_tokens":16}""", "messages" },
        { "messages not an array", """{"model":"m","max_tokens":16,"messages":{"role":"user","content":"hi"}}""", "messages" },
        { "messages empty", """{"model":"m","max_tokens":16,"messages":[]}""", "messages" },
        { "message not an object", """{"model":"m","max_tokens":16,"messages":["hi"]}""", "messages.0" },
        { "message without role", """{"model":"m","max_tokens":16,"messages":[{"content":"hi"}]}""", "messages.0.role" },
        { "message without content", """{"model":"m","max_tokens":16,"messages":[{"role":"user"}]}""", "messages.0.content" },
        { "first message assistant", """{"model":"m","max_tokens":16,"messages":[{"role":"assistant","content":"hi"}]}""", "messages" },
        {
            "two user turns in a row",
            """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}""",
            "messages.1"
        },
        {
            "two assistant turns in a row",
            """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"assistant","content":"c"}]}""",
            "messages.2"
        },
        { "role system in messages", """{"model":"m","max_tokens":16,"messages":[{"role":"system","content":"be nice"}]}""", "messages.0.role" },
        { "content a number", """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":42}]}""", "messages.0.content" },
        { "text block without text", """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages.0.content.0.text" },
        { "block without type", """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":[{"text":"hi"}]}]}""", "messages.0.content.0.type" },
        {
            "tool_use in a user turn",
            """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":{}}]}]}""",
            "messages.0.content.0"
        },
        {
            "tool_result in an assistant turn",
            """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"x"}]}]}""",
            "messages.1.content.0"
        },
        {
            "tool_use input not an object",
            """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":"x"}]}]}""",
            "messages.1.content.0.input"
        },
        {
            "tool_result without tool_use_id",
            """{"model":"m","max_tokens":16,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}""",
            "messages.0.content.0.tool_use_id"
        },
        { "stream a string", ValidWith("\"stream\":\"true\""), "stream" },
        { "stream a number", ValidWith("\"stream\":1"), "stream" },
        { "system a number", ValidWith("\"system\":7"), "system" },
        { "system block without text", ValidWith("\"system\":[{\"type\":\"text\"}]"), "system.0" },
        { "temperature 5", ValidWith("\"temperature\":5"), "temperature" },
        { "temperature -0.1", ValidWith("\"temperature\":-0.1"), "temperature" },
        { "temperature a string", ValidWith("\"temperature\":\"0.5\""), "temperature" },
        { "top_p 2", ValidWith("\"top_p\":2"), "top_p" },
        { "top_k -1", ValidWith("\"top_k\":-1"), "top_k" },
        { "top_k fraction", ValidWith("\"top_k\":1.5"), "top_k" },
        { "stop_sequences not a list", ValidWith("\"stop_sequences\":\"STOP\""), "stop_sequences" },
        { "stop_sequences containing empty string", ValidWith("\"stop_sequences\":[\"END\",\"\"]"), "stop_sequences.1" },
        { "stop_sequences containing a number", ValidWith("\"stop_sequences\":[3]"), "stop_sequences.0" },
        { "metadata not an object", ValidWith("\"metadata\":\"u\""), "metadata" },
        { "metadata.user_id a number", ValidWith("\"metadata\":{\"user_id\":5}"), "metadata.user_id" },
        { "tools not a list", ValidWith("\"tools\":{\"name\":\"t\"}"), "tools" },
        { "tool without name", ValidWith("\"tools\":[{\"input_schema\":{\"type\":\"object\"}}]"), "tools.0.name" },
        { "tool without input_schema", ValidWith("\"tools\":[{\"name\":\"get_weather\",\"description\":\"d\"}]"), "tools.0.input_schema" },
        {
            "second tool without input_schema",
            ValidWith("\"tools\":[{\"name\":\"a\",\"input_schema\":{\"type\":\"object\"}},{\"name\":\"b\"}]"),
            "tools.1.input_schema"
        },
        { "custom tool with input_schema not an object", ValidWith("\"tools\":[{\"type\":\"custom\",\"name\":\"a\",\"input_schema\":\"x\"}]"), "tools.0.input_schema" },
        {
            "duplicate tool names",
            ValidWith("\"tools\":[{\"name\":\"dup_tool\",\"input_schema\":{\"type\":\"object\"}},{\"name\":\"dup_tool\",\"input_schema\":{\"type\":\"object\"}}]"),
            "dup_tool"
        },
        {
            "tool_choice tool without name",
            ValidWith("\"tools\":[{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"tool\"}"),
            "tool_choice.name"
        },
        {
            "tool_choice naming an unlisted tool",
            ValidWith("\"tools\":[{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"other\"}"),
            "tool_choice.name"
        },
        { "tool_choice naming a tool when there are no tools", ValidWith("\"tool_choice\":{\"type\":\"tool\",\"name\":\"t\"}"), "tool_choice.name" },
        { "tool_choice unknown type", ValidWith("\"tool_choice\":{\"type\":\"sometimes\"}"), "tool_choice.type" },
        { "tool_choice a string", ValidWith("\"tool_choice\":\"auto\""), "tool_choice" },
        {
            "thinking budget 100",
            """{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"enabled","budget_tokens":100}}""",
            "thinking.budget_tokens"
        },
        {
            "thinking budget 1023",
            """{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"enabled","budget_tokens":1023}}""",
            "thinking.budget_tokens"
        },
        {
            "thinking budget equal to max_tokens",
            """{"model":"m","max_tokens":2048,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"enabled","budget_tokens":2048}}""",
            "thinking.budget_tokens"
        },
        {
            "thinking budget above max_tokens",
            """{"model":"m","max_tokens":2048,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"enabled","budget_tokens":4096}}""",
            "thinking.budget_tokens"
        },
        {
            "thinking enabled without budget",
            """{"model":"m","max_tokens":2048,"messages":[{"role":"user","content":"a"}],"thinking":{"type":"enabled"}}""",
            "thinking.budget_tokens"
        },
        { "thinking without type", ValidWith("\"thinking\":{\"budget_tokens\":2048}"), "thinking" },

        // Wrong JSON kinds where the parser compares strings: must be a 400, not an InvalidOperationException.
        { "system block type a number", ValidWith("\"system\":[{\"type\":1,\"text\":\"x\"}]"), "system.0" },
        { "tool type a number", ValidWith("\"tools\":[{\"type\":1,\"name\":\"a\",\"input_schema\":{\"type\":\"object\"}}]"), "tools.0" },

        // Escaped lone surrogates (legal JSON, not a valid .NET string): must be a 400, not an InvalidOperationException.
        { "model with an escaped lone surrogate", $$"""{"model":"claude\ud800","max_tokens":16,{{OneUserTurn}} }""", "model" },
        { "stop sequence with an escaped lone surrogate", ValidWith("\"stop_sequences\":[\"\\udc00\"]"), "stop_sequences.0" },
        { "tool name with an escaped lone surrogate", ValidWith("\"tools\":[{\"name\":\"t\\ud800\",\"input_schema\":{\"type\":\"object\"}}]"), "tools.0.name" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public void Invalid_fields_are_rejected_with_400_invalid_request_error_naming_the_field(string @case, string json, string field)
    {
        var error = ParseFails(json);

        Assert.True(
            error.Message.Contains(field, StringComparison.Ordinal),
            $"[{@case}] expected the message to name \"{field}\", but it was: {error.Message}");
    }

    [Fact]
    public void Missing_model_is_rejected_naming_the_field()
    {
        var error = ParseFails($$"""{"max_tokens":16,{{OneUserTurn}} }""");

        Assert.StartsWith("model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_max_tokens_is_rejected_naming_the_field()
    {
        var error = ParseFails($$"""{"model":"m",{{OneUserTurn}} }""");

        Assert.StartsWith("max_tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_first_assistant_turn_is_rejected_saying_the_first_message_must_be_user()
    {
        var error = ParseFails("""{"model":"m","max_tokens":16,"messages":[{"role":"assistant","content":"hi"}]}""");

        Assert.Contains("messages", error.Message, StringComparison.Ordinal);
        Assert.Contains("first", error.Message, StringComparison.Ordinal);
        Assert.Contains("user", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_invalid_field_wins_when_several_are_wrong()
    {
        // model is checked before max_tokens; both missing must report model.
        var error = ParseFails("""{"messages":[]}""");

        Assert.StartsWith("model", error.Message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- malformed documents

    [Fact]
    public void An_empty_body_is_rejected()
    {
        var error = ParseFails([]);

        Assert.Contains("empty", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_json_array_instead_of_an_object_is_rejected()
    {
        var error = ParseFails($$"""[{"model":"m","max_tokens":16,{{OneUserTurn}} }]""");

        Assert.Contains("object", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":16,"\ud800":1,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi","\udc11":""}]}""")]
    public void A_member_name_with_an_escaped_lone_surrogate_is_rejected_as_not_unicode(string json)
    {
        // Found by the fuzzer (tests/data/fuzz/request): the duplicate-member check threw instead of refusing.
        var error = ParseFails(json);

        Assert.Contains("unpaired surrogate", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"just a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void A_json_scalar_instead_of_an_object_is_rejected(string json)
    {
        var error = ParseFails(json);

        Assert.Contains("object", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}""")]
    [InlineData("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi""")]
    [InlineData("""{"model":""")]
    [InlineData("{")]
    [InlineData("""{"model":"m",}""")]
    [InlineData("""{"model":"m"} trailing""")]
    [InlineData("""{"model":"m" /* comment */}""")]
    public void Invalid_json_is_rejected_as_invalid_json(string json)
    {
        var error = ParseFails(json);

        Assert.Contains("JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nested too deeply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_json_is_reported_as_invalid_json_not_as_nested_too_deeply()
    {
        // System.Text.Json reports an unclosed object as "Expected depth to be zero at the end of the JSON payload".
        var error = ParseFails("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]""");

        Assert.StartsWith("The request body is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_inside_a_message_string_is_rejected()
    {
        // 0xC3 starts a two-byte sequence; 0x28 '(' is not a continuation byte.
        var body = Concat("{\"model\":\"m\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"caf"u8, [0xC3, 0x28], "\"}]}"u8);

        var error = ParseFails(body);

        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_inside_the_model_name_is_rejected_not_thrown()
    {
        var body = Concat("{\"model\":\"claude"u8, [0xC3, 0x28], "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"u8);

        var error = ParseFails(body);

        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_inside_an_unknown_field_is_rejected()
    {
        var body = Concat("{\"model\":\"m\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"service_tier\":\"a"u8, [0xFF], "\"}"u8);

        var error = ParseFails(body);

        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_top_level_key_is_rejected_naming_the_key()
    {
        var error = ParseFails($$"""{"model":"a","max_tokens":16,{{OneUserTurn}},"model":"b"}""");

        Assert.Contains("duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(error.Message.Contains("model", StringComparison.Ordinal), $"expected the message to name \"model\", but it was: {error.Message}");
    }

    [Fact]
    public void A_duplicate_key_nested_inside_a_message_is_rejected_naming_the_key()
    {
        var error = ParseFails("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"a","content":"b"}]}""");

        Assert.Contains("duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(error.Message.Contains("content", StringComparison.Ordinal), $"expected the message to name \"content\", but it was: {error.Message}");
    }

    [Fact]
    public void A_duplicate_key_deep_inside_an_unknown_field_is_rejected()
    {
        var error = ParseFails(ValidWith("\"output_config\":{\"format\":{\"type\":\"a\",\"type\":\"b\"}}"));

        Assert.Contains("duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Nesting_deeper_than_64_levels_inside_metadata_is_rejected()
    {
        var deep = new string('[', 70) + new string(']', 70);
        var error = ParseFails(ValidWith($"\"metadata\":{{\"user_id\":\"u\",\"extra\":{deep}}}"));

        Assert.Contains("deep", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_64_levels_inside_an_unknown_field_is_rejected()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 80)) + "1" + new string('}', 80);
        var error = ParseFails(ValidWith($"\"output_config\":{deep}"));

        Assert.Contains("deep", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_accepted()
    {
        // Root object is level 1, the unknown field's arrays add 60 more.
        var nested = new string('[', 60) + new string(']', 60);

        using var request = ParseOk(ValidWith($"\"x_unknown\":{nested}"));

        Assert.Equal("claude-test", request.Model);
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        var result = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        c.CopyTo(result.AsSpan(a.Length + b.Length));
        return result;
    }
}
