using System.Text;
using System.Text.Json;
using Meridian.Protocol.Messages;
using Meridian.Protocol.OpenAi;
using Meridian.Protocol.Tests.Messages;

namespace Meridian.Protocol.Tests.OpenAi;

public sealed class ChatCompletionsRequestWriterTests
{
    internal static MessagesRequest Parse(string json)
    {
        Assert.True(MessagesRequestParser.TryParse(Encoding.UTF8.GetBytes(json), isCountTokens: false, out var request, out var error), error?.Message);
        return request;
    }

    private static JsonDocument Translate(string anthropicJson, string upstreamModel = "qwen3-8b")
    {
        using var request = Parse(anthropicJson);
        return JsonDocument.Parse(ChatCompletionsRequestWriter.Write(request, upstreamModel));
    }

    private static JsonElement[] Messages(JsonDocument document) => [.. document.RootElement.GetProperty("messages").EnumerateArray()];

    [Fact]
    public void A_system_string_becomes_the_leading_system_message_and_parameters_carry_over()
    {
        using var body = Translate("""
            {"model":"claude-sonnet-5","max_tokens":300,"system":"You are terse.","temperature":0.2,"top_p":0.9,"top_k":40,
             "stop_sequences":["END","###"],"metadata":{"user_id":"user-42"},"stream":false,
             "messages":[{"role":"user","content":"Hello"}]}
            """);
        var root = body.RootElement;

        Assert.Equal("qwen3-8b", root.GetProperty("model").GetString());
        var messages = Messages(body);
        Assert.Equal(2, messages.Length);
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("You are terse.", messages[0].GetProperty("content").GetString());
        Assert.Equal("user", messages[1].GetProperty("role").GetString());
        Assert.Equal("Hello", messages[1].GetProperty("content").GetString());
        Assert.Equal(300, root.GetProperty("max_tokens").GetInt32());
        Assert.False(root.TryGetProperty("max_completion_tokens", out _));
        Assert.Equal(0.2, root.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, root.GetProperty("top_p").GetDouble());
        Assert.Equal(40, root.GetProperty("top_k").GetInt32());
        Assert.Equal(["END", "###"], root.GetProperty("stop").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("user-42", root.GetProperty("user").GetString());
        Assert.True(root.GetProperty("stream").GetBoolean(), "the upstream is always asked to stream, whatever the client asked");
        Assert.True(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.False(root.TryGetProperty("tools", out _));
        Assert.False(root.TryGetProperty("tool_choice", out _));
        Assert.False(root.TryGetProperty("stop_sequences", out _));
        Assert.False(root.TryGetProperty("metadata", out _));
    }

    [Fact]
    public void System_text_blocks_are_joined_into_one_system_message()
    {
        using var body = Translate("""
            {"model":"m","max_tokens":10,
             "system":[{"type":"text","text":"Rule one."},{"type":"text","text":"Rule two.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"Hi"}]}
            """);

        var system = Messages(body)[0];
        Assert.Equal("system", system.GetProperty("role").GetString());
        Assert.Equal("Rule one.\nRule two.", system.GetProperty("content").GetString());
    }

    [Fact]
    public void A_multi_turn_conversation_keeps_roles_and_order_and_joins_text_blocks()
    {
        using var body = Translate("""
            {"model":"m","max_tokens":10,"messages":[
              {"role":"user","content":[{"type":"text","text":"What is 2+2?"},{"type":"text","text":"Answer briefly."}]},
              {"role":"assistant","content":"4."},
              {"role":"user","content":"And 3+3?"}]}
            """);

        var messages = Messages(body);
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("What is 2+2?\nAnswer briefly.", messages[0].GetProperty("content").GetString());
        Assert.Equal("4.", messages[1].GetProperty("content").GetString());
        Assert.Equal("And 3+3?", messages[2].GetProperty("content").GetString());
    }

    [Fact]
    public void Tool_use_and_tool_result_round_trip_as_tool_calls_and_tool_messages()
    {
        using var body = Translate("""
            {"model":"m","max_tokens":100,
             "tools":[{"name":"get_weather","description":"Current weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                      {"name":"get_time","input_schema":{"type":"object","properties":{}}}],
             "messages":[
              {"role":"user","content":"Weather and time in Paris?"},
              {"role":"assistant","content":[
                {"type":"thinking","thinking":"I should call both.","signature":"sig"},
                {"type":"text","text":"Let me check."},
                {"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city": "Paris", "units": ["c", "f"]}},
                {"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_01","content":[{"type":"text","text":"18C"},{"type":"text","text":"cloudy"}]},
                {"type":"tool_result","tool_use_id":"toolu_02","content":"clock unavailable","is_error":true},
                {"type":"text","text":"Summarise please."}]}]}
            """);

        var messages = Messages(body);
        Assert.Equal(["user", "assistant", "tool", "tool", "user"], messages.Select(m => m.GetProperty("role").GetString()));

        var assistant = messages[1];
        Assert.Equal("Let me check.", assistant.GetProperty("content").GetString());
        var calls = assistant.GetProperty("tool_calls").EnumerateArray().ToArray();
        Assert.Equal(2, calls.Length);
        Assert.Equal("toolu_01", calls[0].GetProperty("id").GetString());
        Assert.Equal("function", calls[0].GetProperty("type").GetString());
        Assert.Equal("get_weather", calls[0].GetProperty("function").GetProperty("name").GetString());
        var arguments = calls[0].GetProperty("function").GetProperty("arguments");
        Assert.Equal(JsonValueKind.String, arguments.ValueKind);
        using (var parsed = JsonDocument.Parse(arguments.GetString()!))
        using (var original = JsonDocument.Parse("""{"city":"Paris","units":["c","f"]}"""))
        {
            Assert.True(JsonElement.DeepEquals(original.RootElement, parsed.RootElement), arguments.GetString());
        }

        Assert.Equal("{}", calls[1].GetProperty("function").GetProperty("arguments").GetString());

        Assert.Equal("toolu_01", messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("18C\ncloudy", messages[2].GetProperty("content").GetString());
        Assert.Equal("toolu_02", messages[3].GetProperty("tool_call_id").GetString());
        Assert.Equal("Error: clock unavailable", messages[3].GetProperty("content").GetString());
        Assert.Equal("Summarise please.", messages[4].GetProperty("content").GetString());

        var tools = body.RootElement.GetProperty("tools").EnumerateArray().ToArray();
        Assert.Equal(2, tools.Length);
        Assert.Equal("function", tools[0].GetProperty("type").GetString());
        var function = tools[0].GetProperty("function");
        Assert.Equal("get_weather", function.GetProperty("name").GetString());
        Assert.Equal("Current weather", function.GetProperty("description").GetString());
        Assert.Equal(["city"], function.GetProperty("parameters").GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.False(tools[1].GetProperty("function").TryGetProperty("description", out _));
    }

    [Fact]
    public void An_assistant_turn_of_only_tool_calls_has_no_content_and_a_user_turn_of_only_results_adds_no_user_message()
    {
        using var body = Translate("""
            {"model":"m","max_tokens":100,"tools":[{"name":"t","input_schema":{"type":"object"}}],
             "messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"t","input":{"a":1}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1"}]}]}
            """);

        var messages = Messages(body);
        Assert.Equal(["user", "assistant", "tool"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.False(messages[1].TryGetProperty("content", out _));
        Assert.Equal(string.Empty, messages[2].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"", null)]
    [InlineData("""{"type":"any"}""", "\"required\"", null)]
    [InlineData("""{"type":"none"}""", "\"none\"", null)]
    [InlineData("""{"type":"tool","name":"get_weather"}""", """{"type":"function","function":{"name":"get_weather"}}""", null)]
    [InlineData("""{"type":"auto","disable_parallel_tool_use":true}""", "\"auto\"", false)]
    [InlineData("""{"type":"any","disable_parallel_tool_use":false}""", "\"required\"", null)]
    public void Tool_choice_maps_to_its_chat_completions_form(string anthropicChoice, string expectedChoice, bool? expectedParallel)
    {
        using var body = Translate($$$"""
            {"model":"m","max_tokens":10,"tool_choice":{{{anthropicChoice}}},
             "tools":[{"name":"get_weather","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":"hi"}]}
            """);

        using var expected = JsonDocument.Parse(expectedChoice);
        var root = body.RootElement;
        Assert.True(JsonElement.DeepEquals(expected.RootElement, root.GetProperty("tool_choice")), root.GetProperty("tool_choice").GetRawText());
        if (expectedParallel is { } parallel)
        {
            Assert.Equal(parallel, root.GetProperty("parallel_tool_calls").GetBoolean());
        }
        else
        {
            Assert.False(root.TryGetProperty("parallel_tool_calls", out _));
        }
    }

    /// <summary>A PNG header (2x2) and six bytes whose base64 is "++++////", so the data holds JSON-escapable characters.</summary>
    private static readonly string PngBase64 = Convert.ToBase64String([.. TinyMedia.Png(2, 2), 0xFB, 0xEF, 0xBE, 0xFF, 0xFF, 0xFF]);

    [Fact]
    public void Images_become_image_url_parts_with_data_urls_for_base64()
    {
        using var body = Translate($$$"""
            {"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{PngBase64}}}"}},
              {"type":"text","text":"Compare these."}]}]}
            """);

        var parts = Messages(body)[0].GetProperty("content").EnumerateArray().ToArray();
        Assert.Equal(2, parts.Length);
        Assert.Equal("image_url", parts[0].GetProperty("type").GetString());
        Assert.Equal("data:image/png;base64," + PngBase64, parts[0].GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("text", parts[1].GetProperty("type").GetString());
        Assert.Equal("Compare these.", parts[1].GetProperty("text").GetString());
    }

    [Fact]
    public void An_image_url_source_is_not_passed_to_a_server_that_would_fetch_it_inside_the_operators_network()
    {
        using var request = Parse("""
            {"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
              {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}]}
            """);

        var failure = Assert.Throws<BackendException>(() => ChatCompletionsRequestWriter.Write(request, "m"));
        Assert.Equal(400, failure.Status);
        Assert.Contains("messages.0.content.0.source", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Base64_data_is_written_unescaped()
    {
        using var request = Parse($$$"""
            {"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{PngBase64}}}"}}]}]}
            """);
        var text = Encoding.UTF8.GetString(ChatCompletionsRequestWriter.Write(request, "m").Span);
        Assert.Contains("++++////", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mid_conversation_system_message_stays_where_it_was_as_a_system_message()
    {
        using var body = Translate("""
            {"model":"m","max_tokens":10,"system":"first","messages":[
              {"role":"user","content":"a"},{"role":"system","content":[{"type":"text","text":"from now on, be brief"}]},
              {"role":"assistant","content":"b"},{"role":"user","content":"c"}]}
            """);

        var messages = Messages(body);
        Assert.Equal(["system", "user", "system", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("from now on, be brief", messages[2].GetProperty("content").GetString());
    }

    [Fact]
    public void Structured_outputs_become_a_json_schema_response_format()
    {
        using var body = Translate("""
            {"model":"m","max_tokens":10,"messages":[{"role":"user","content":"a"}],
             "output_config":{"effort":"low","format":{"type":"json_schema","schema":{"type":"object","properties":{"n":{"type":"integer"}}}}}}
            """);

        var format = body.RootElement.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("integer", format.GetProperty("json_schema").GetProperty("schema").GetProperty("properties").GetProperty("n").GetProperty("type").GetString());
    }

    [Fact]
    public void An_image_a_tool_returned_follows_the_tool_message_in_a_user_message()
    {
        using var body = Translate($$$"""
            {"model":"m","max_tokens":10,"tools":[{"name":"screenshot","input_schema":{"type":"object"}}],"messages":[
              {"role":"user","content":"look"},
              {"role":"assistant","content":[{"type":"tool_use","id":"call_9","name":"screenshot","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_9","content":[
                {"type":"text","text":"captured"},
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{PngBase64}}}"}}]}]}]}
            """);

        var messages = Messages(body);
        Assert.Equal(["user", "assistant", "tool", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("captured", messages[2].GetProperty("content").GetString());
        var parts = messages[3].GetProperty("content").EnumerateArray().ToArray();
        Assert.Contains("call_9", parts[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("data:image/png;base64," + PngBase64, parts[1].GetProperty("image_url").GetProperty("url").GetString());
    }

    [Theory]
    [InlineData("""{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjQKdHJhaWxlciA8PCA+PgolJUVPRgo="}}""", "messages.0.content.0")]
    [InlineData("""{"type":"image","source":{"type":"file","file_id":"file_1"}}""", "messages.0.content.0.source")]
    [InlineData("""{"type":"search_result","source":"s","title":"t","content":[]}""", "search_result")]
    public void Content_chat_completions_cannot_carry_is_refused_as_invalid_request(string block, string mentions)
    {
        using var request = Parse($$$"""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{{{block}}}]}]}""");

        var failure = Assert.Throws<BackendException>(() => ChatCompletionsRequestWriter.Write(request, "m"));
        Assert.Equal(400, failure.Status);
        Assert.Equal("invalid_request_error", failure.ErrorType);
        Assert.Contains(mentions, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_tool_is_refused_as_invalid_request()
    {
        using var request = Parse("""
            {"model":"m","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search"}],
             "messages":[{"role":"user","content":"news?"}]}
            """);

        var failure = Assert.Throws<BackendException>(() => ChatCompletionsRequestWriter.Write(request, "m"));
        Assert.Equal(400, failure.Status);
        Assert.Contains("web_search_20250305", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_document_travels_as_text()
    {
        using var body = Translate("""
            {"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
              {"type":"document","source":{"type":"text","media_type":"text/plain","data":"The contract says X."}},
              {"type":"text","text":"What does it say?"}]}]}
            """);

        Assert.Equal("The contract says X.\nWhat does it say?", Messages(body)[0].GetProperty("content").GetString());
    }
}
