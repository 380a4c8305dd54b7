using System.Text;
using System.Text.Json;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Protocol.OpenAi;
using Meridian.Protocol.Tests.Messages;

namespace Meridian.Protocol.Tests.OpenAi;

/// <summary>
/// OpenAI chat completions requests read into Anthropic Messages bodies: what each field becomes, that the result
/// passes the same validation as a Messages request, and that what cannot be carried is refused naming the field.
/// </summary>
public sealed class ChatCompletionsRequestReaderTests
{
    private static ChatCompletionsRequest Read(string json)
    {
        Assert.True(ChatCompletionsRequestReader.TryRead(Encoding.UTF8.GetBytes(json), out var request, out var error), error?.Message);
        return request;
    }

    /// <summary>The translated body, after it passed <see cref="MessagesRequestParser"/> as any Messages request must.</summary>
    private static JsonElement Translate(string json)
    {
        var request = Read(json);
        Assert.True(MessagesRequestParser.TryParse(request.MessagesBody, isCountTokens: false, out var parsed, out var parseError), parseError?.Message);
        parsed.Dispose();
        using var document = JsonDocument.Parse(request.MessagesBody);
        return document.RootElement.Clone();
    }

    private static ApiError Refused(string json)
    {
        Assert.False(ChatCompletionsRequestReader.TryRead(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal(400, error.Status);
        Assert.Equal(ErrorTypes.InvalidRequest, error.Type);
        return error;
    }

    private static string Chat(string fields, string messages = """[{"role":"user","content":"Hi"}]""") =>
        $$"""{"model":"claude-sonnet-5","messages":{{messages}}{{(fields.Length > 0 ? "," + fields : "")}}}""";

    [Fact]
    public void A_plain_chat_becomes_a_messages_request_with_the_same_model_text_and_parameters()
    {
        var body = Translate(Chat("\"max_completion_tokens\":200,\"temperature\":0.7,\"top_p\":0.9,\"stop\":[\"END\",\"###\"],\"user\":\"user-42\""));

        Assert.Equal("claude-sonnet-5", body.GetProperty("model").GetString());
        Assert.Equal(200, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.7, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble());
        Assert.Equal(["END", "###"], body.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("user-42", body.GetProperty("metadata").GetProperty("user_id").GetString());
        var message = Assert.Single(body.GetProperty("messages").EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
        Assert.Equal("Hi", message.GetProperty("content").GetString());
        Assert.False(body.TryGetProperty("stream", out _));
        Assert.False(body.TryGetProperty("system", out _));
        Assert.False(body.TryGetProperty("tools", out _));
    }

    [Fact]
    public void Without_a_token_limit_the_documented_default_applies_and_the_legacy_max_tokens_is_read_too()
    {
        Assert.Equal(ChatCompletionsRequestReader.DefaultMaxTokens, Translate(Chat("")).GetProperty("max_tokens").GetInt32());
        Assert.Equal(4096, ChatCompletionsRequestReader.DefaultMaxTokens);
        Assert.Equal(77, Translate(Chat("\"max_tokens\":77")).GetProperty("max_tokens").GetInt32());
        Assert.Equal(77, Translate(Chat("\"max_tokens\":77,\"max_completion_tokens\":77")).GetProperty("max_tokens").GetInt32());
        Assert.Equal("max_tokens", Refused(Chat("\"max_tokens\":77,\"max_completion_tokens\":78")).Param);
        Assert.Equal("max_completion_tokens", Refused(Chat("\"max_completion_tokens\":0")).Param);
    }

    [Fact]
    public void A_single_stop_string_is_one_stop_sequence()
    {
        Assert.Equal(["\n\n"], Translate(Chat("\"stop\":\"\\n\\n\"")).GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("stop", Refused(Chat("\"stop\":[\"\"]")).Param);
    }

    [Fact]
    public void Streaming_is_asked_for_and_include_usage_is_remembered_for_the_answer()
    {
        var request = Read(Chat("\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
        using var body = JsonDocument.Parse(request.MessagesBody);
        Assert.True(body.RootElement.GetProperty("stream").GetBoolean());
        Assert.False(body.RootElement.TryGetProperty("stream_options", out _));
        Assert.False(Read(Chat("\"stream\":true")).IncludeUsage);
    }

    [Fact]
    public void System_and_developer_messages_become_the_system_prompt_in_order()
    {
        var body = Translate(Chat("", """
            [{"role":"system","content":"You are terse."},
             {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
             {"role":"user","content":"Hello"}]
            """));

        Assert.Equal(["You are terse.", "Answer in French."], body.GetProperty("system").EnumerateArray().Select(b => b.GetProperty("text").GetString()));
        Assert.Single(body.GetProperty("messages").EnumerateArray());

        var single = Translate(Chat("", """[{"role":"system","content":"Only one."},{"role":"user","content":"Hello"}]"""));
        Assert.Equal("Only one.", single.GetProperty("system").GetString());
    }

    [Fact]
    public void Consecutive_messages_of_one_role_merge_into_one_turn_as_Messages_requires_alternation()
    {
        var body = Translate(Chat("", """
            [{"role":"user","content":"First."},{"role":"user","content":[{"type":"text","text":"Second."}]},
             {"role":"assistant","content":"Reply."},{"role":"user","content":"Third."}]
            """));

        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(["First.", "Second."], messages[0].GetProperty("content").EnumerateArray().Select(b => b.GetProperty("text").GetString()));
    }

    [Fact]
    public void Images_become_base64_or_url_image_blocks_and_pdf_files_documents()
    {
        var png = Convert.ToBase64String(TinyMedia.Png(2, 2));
        var pdf = Convert.ToBase64String(TinyMedia.Pdf(1));
        var body = Translate(Chat("", $$$"""
            [{"role":"user","content":[
              {"type":"text","text":"What is in these?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,{{{png}}}","detail":"high"}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}},
              {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,{{{pdf}}}"}}]}]
            """));

        var blocks = body.GetProperty("messages")[0].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["text", "image", "image", "document"], blocks.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal($$"""{"type":"base64","media_type":"image/png","data":"{{png}}"}""", blocks[1].GetProperty("source").GetRawText());
        Assert.Equal("""{"type":"url","url":"https://example.com/cat.jpg"}""", blocks[2].GetProperty("source").GetRawText());
        Assert.Equal($$"""{"type":"base64","media_type":"application/pdf","data":"{{pdf}}"}""", blocks[3].GetProperty("source").GetRawText());
    }

    [Fact]
    public void The_common_image_jpg_misspelling_becomes_image_jpeg()
    {
        var jpeg = Convert.ToBase64String(TinyMedia.Jpeg(2, 2));
        var body = Translate(Chat("", $$$"""[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpg;base64,{{{jpeg}}}"}}]}]"""));

        Assert.Equal("image/jpeg", body.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("source").GetProperty("media_type").GetString());
    }

    [Theory]
    [InlineData("""{"type":"image_url","image_url":{"url":"ftp://example.com/cat.jpg"}}""", "messages[0].content[0].image_url.url")]
    [InlineData("""{"type":"image_url","image_url":{"url":"data:text/plain;base64,aGk="}}""", "messages[0].content[0].image_url.url")]
    [InlineData("""{"type":"input_audio","input_audio":{"data":"AAA=","format":"wav"}}""", "messages[0].content[0].type")]
    [InlineData("""{"type":"file","file":{"file_id":"file-abc"}}""", "messages[0].content[0].file.file_id")]
    public void Content_parts_that_cannot_be_carried_are_refused_naming_the_part(string part, string param)
    {
        var error = Refused(Chat("", $$"""[{"role":"user","content":[{{part}}]}]"""));

        Assert.Equal(param, error.Param);
        Assert.Contains(param, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tools_and_each_tool_choice_map_to_their_Messages_equivalents()
    {
        const string tools = """
            "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city",
                      "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},
                     {"type":"function","function":{"name":"now"}}]
            """;
        var body = Translate(Chat(tools));

        var translated = body.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal("get_weather", translated[0].GetProperty("name").GetString());
        Assert.Equal("Weather for a city", translated[0].GetProperty("description").GetString());
        Assert.Equal("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""", translated[0].GetProperty("input_schema").GetRawText());
        Assert.True(translated[0].GetProperty("strict").GetBoolean());
        Assert.Equal("""{"type":"object","properties":{}}""", translated[1].GetProperty("input_schema").GetRawText());
        Assert.False(body.TryGetProperty("tool_choice", out _));

        Assert.Equal("""{"type":"auto"}""", Translate(Chat(tools + ",\"tool_choice\":\"auto\"")).GetProperty("tool_choice").GetRawText());
        Assert.Equal("""{"type":"none"}""", Translate(Chat(tools + ",\"tool_choice\":\"none\"")).GetProperty("tool_choice").GetRawText());
        Assert.Equal("""{"type":"any"}""", Translate(Chat(tools + ",\"tool_choice\":\"required\"")).GetProperty("tool_choice").GetRawText());
        Assert.Equal(
            """{"type":"tool","name":"now"}""",
            Translate(Chat(tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"now\"}}")).GetProperty("tool_choice").GetRawText());
        Assert.Equal(
            """{"type":"any","disable_parallel_tool_use":true}""",
            Translate(Chat(tools + ",\"tool_choice\":\"required\",\"parallel_tool_calls\":false")).GetProperty("tool_choice").GetRawText());
        Assert.Equal(
            """{"type":"auto","disable_parallel_tool_use":true}""",
            Translate(Chat(tools + ",\"parallel_tool_calls\":false")).GetProperty("tool_choice").GetRawText());
    }

    [Fact]
    public void A_tool_call_round_trip_becomes_tool_use_and_tool_result_blocks()
    {
        var body = Translate(Chat("""
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]
            """, """
            [{"role":"user","content":"Weather in Oslo?"},
             {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":""}}]},
             {"role":"tool","tool_call_id":"call_1","content":"-3 C, snow"},
             {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"no city"}]},
             {"role":"user","content":"And tomorrow?"}]
            """));

        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        var calls = messages[1].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("""{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Oslo"}}""", calls[0].GetRawText());
        Assert.Equal("""{}""", calls[1].GetProperty("input").GetRawText());
        var results = messages[2].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("""{"type":"tool_result","tool_use_id":"call_1","content":"-3 C, snow"}""", results[0].GetRawText());
        Assert.Equal("no city", results[1].GetProperty("content").GetString());
        Assert.Equal("And tomorrow?", results[2].GetProperty("text").GetString());
    }

    [Fact]
    public void Tool_call_arguments_that_are_not_a_JSON_object_are_refused()
    {
        var error = Refused(Chat("", """
            [{"role":"user","content":"x"},
             {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1,2]"}}]},
             {"role":"tool","tool_call_id":"c","content":"ok"}]
            """));

        Assert.Equal("messages[1].tool_calls[0].function.arguments", error.Param);
    }

    [Fact]
    public void Response_format_json_schema_and_json_object_become_output_config_format()
    {
        var schema = Translate(Chat("""
            "response_format":{"type":"json_schema","json_schema":{"name":"city","strict":true,
              "schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}}}
            """));
        Assert.Equal(
            """{"format":{"type":"json_schema","schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}}}""",
            schema.GetProperty("output_config").GetRawText());

        var anyObject = Translate(Chat("\"response_format\":{\"type\":\"json_object\"}"));
        Assert.Equal("""{"format":{"type":"json_schema","schema":{"type":"object"}}}""", anyObject.GetProperty("output_config").GetRawText());

        Assert.False(Translate(Chat("\"response_format\":{\"type\":\"text\"}")).TryGetProperty("output_config", out _));
        Assert.Equal("""{"effort":"low"}""", Translate(Chat("\"reasoning_effort\":\"low\"")).GetProperty("output_config").GetRawText());
    }

    [Fact]
    public void Temperature_up_to_1_passes_unchanged_and_above_1_is_refused_rather_than_rescaled()
    {
        Assert.Equal(1, Translate(Chat("\"temperature\":1")).GetProperty("temperature").GetDouble());
        Assert.Equal(0, Translate(Chat("\"temperature\":0")).GetProperty("temperature").GetDouble());

        var error = Refused(Chat("\"temperature\":1.5"));
        Assert.Equal("temperature", error.Param);
        Assert.Contains("above 1", error.Message, StringComparison.Ordinal);
        Assert.Equal("temperature", Refused(Chat("\"temperature\":2.5")).Param);
    }

    [Theory]
    [InlineData("\"n\":2", "n")]
    [InlineData("\"logprobs\":true", "logprobs")]
    [InlineData("\"top_logprobs\":3", "top_logprobs")]
    [InlineData("\"frequency_penalty\":0.5", "frequency_penalty")]
    [InlineData("\"presence_penalty\":-1", "presence_penalty")]
    [InlineData("\"logit_bias\":{\"50256\":-100}", "logit_bias")]
    [InlineData("\"modalities\":[\"text\",\"audio\"]", "modalities")]
    [InlineData("\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"}", "audio")]
    [InlineData("\"functions\":[{\"name\":\"f\"}]", "functions")]
    [InlineData("\"function_call\":\"auto\"", "function_call")]
    [InlineData("\"store\":true", "store")]
    [InlineData("\"service_tier\":\"flex\"", "service_tier")]
    [InlineData("\"reasoning_effort\":\"minimal\"", "reasoning_effort")]
    [InlineData("\"response_format\":{\"type\":\"grammar\"}", "response_format.type")]
    [InlineData("\"tool_choice\":\"required\"", "tool_choice")]
    [InlineData("\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"f\"}}]", "tools[0].type")]
    [InlineData("\"frobnicate\":1", "frobnicate")]
    public void What_the_Messages_API_cannot_express_is_refused_naming_the_field(string field, string param)
    {
        var error = Refused(Chat(field));

        Assert.Equal(param, error.Param);
    }

    [Fact]
    public void Neutral_values_of_unsupported_fields_and_best_effort_hints_are_accepted()
    {
        var body = Translate(Chat("""
            "n":1,"logprobs":false,"frequency_penalty":0,"presence_penalty":0,"logit_bias":{},"modalities":["text"],
            "seed":42,"store":false,"service_tier":"auto","metadata":{"app":"x"},"prompt_cache_key":"k","stream_options":null,"audio":null
            """));

        Assert.False(body.TryGetProperty("seed", out _));
        Assert.False(body.TryGetProperty("metadata", out _));
    }

    [Theory]
    [InlineData("""[{"role":"function","name":"f","content":"x"}]""", "messages[0].role")]
    [InlineData("""[{"role":"critic","content":"x"}]""", "messages[0].role")]
    [InlineData("""[{"role":"user","name":"alice","content":"x"}]""", "messages[0].name")]
    [InlineData("""[{"role":"user","content":""}]""", "messages[0].content")]
    [InlineData("""[{"role":"system","content":"only a system prompt"}]""", "messages")]
    [InlineData("""[{"role":"assistant","content":"I start"},{"role":"user","content":"x"}]""", "messages")]
    [InlineData("""[{"role":"tool","content":"x"}]""", "messages[0].tool_call_id")]
    public void Messages_the_Messages_API_cannot_carry_are_refused_naming_the_message(string messages, string param)
    {
        Assert.Equal(param, Refused(Chat("", messages)).Param);
    }

    [Fact]
    public void A_body_that_is_not_JSON_or_has_no_model_is_refused()
    {
        Assert.Contains("parse the JSON", Refused("{\"model\":").Message, StringComparison.Ordinal);
        Assert.Equal("model", Refused("""{"messages":[{"role":"user","content":"x"}]}""").Param);
        Assert.Equal("messages", Refused("""{"model":"m"}""").Param);
    }
}
