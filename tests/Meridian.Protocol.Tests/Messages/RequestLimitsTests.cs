using System.Text;
using Meridian.Protocol.Messages;
using static Meridian.Protocol.Tests.Messages.ParseHelper;

namespace Meridian.Protocol.Tests.Messages;

/// <summary>Anthropic's limits on a Messages request, refused before any backend sees it (docs/messages-api.md, "Limits").</summary>
public sealed class RequestLimitsTests
{
    private static string Many(int count, Func<int, string> item) => "[" + string.Join(',', Enumerable.Range(0, count).Select(item)) + "]";

    [Fact]
    public void Stop_sequences_up_to_the_limit_are_accepted()
    {
        using var request = Ok(Body(UserSays("\"hi\""), "\"stop_sequences\":" + Many(RequestLimits.MaxStopSequences, i => $"\"s{i}\"")));

        Assert.Equal(RequestLimits.MaxStopSequences, request.StopSequences.Count);
    }

    [Fact]
    public void Ten_thousand_stop_sequences_are_refused()
    {
        var message = Fails(Body(UserSays("\"hi\""), "\"stop_sequences\":" + Many(10_000, i => $"\"s{i}\"")), "stop_sequences");

        Assert.Contains("at most 8191", message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_tools_than_the_limit_are_refused()
    {
        var tools = Many(RequestLimits.MaxTools + 1, i => $$$"""{"name":"t{{{i}}}","input_schema":{"type":"object"}}""");

        Fails(Body(UserSays("\"hi\""), "\"tools\":" + tools), "tools");
    }

    [Theory]
    [InlineData("get weather")]
    [InlineData("get.weather")]
    [InlineData("wetter_für_morgen")]
    public void A_tool_name_outside_Anthropics_pattern_is_refused(string name)
    {
        Fails(Body(UserSays("\"hi\""), $$$"""
            "tools":[{"name":"{{{name}}}","input_schema":{"type":"object"}}]
            """), "tools.0.name");
    }

    [Fact]
    public void A_tool_name_of_128_characters_is_accepted_and_of_129_refused()
    {
        using var ok = Ok(Body(UserSays("\"hi\""), $$$"""
            "tools":[{"name":"{{{new string('a', 128)}}}","input_schema":{"type":"object"}}]
            """));

        Fails(Body(UserSays("\"hi\""), $$$"""
            "tools":[{"name":"{{{new string('a', 129)}}}","input_schema":{"type":"object"}}]
            """), "tools.0.name");
    }

    [Fact]
    public void A_tool_description_longer_than_the_limit_is_refused()
    {
        Fails(Body(UserSays("\"hi\""), $$$"""
            "tools":[{"name":"t","description":"{{{new string('d', RequestLimits.MaxToolDescriptionChars + 1)}}}","input_schema":{"type":"object"}}]
            """), "tools.0.description");
    }

    [Fact]
    public void A_tool_schema_whose_type_is_not_object_is_refused()
    {
        Fails(Body(UserSays("\"hi\""), """
            "tools":[{"name":"t","input_schema":{"type":"string"}}]
            """), "tools.0.input_schema.type");
    }

    [Fact]
    public void A_tool_schema_larger_than_the_limit_is_refused()
    {
        var description = new string('x', RequestLimits.MaxToolSchemaBytes);

        Fails(Body(UserSays("\"hi\""), $$$"""
            "tools":[{"name":"t","input_schema":{"type":"object","description":"{{{description}}}"}}]
            """), "tools.0.input_schema");
    }

    [Fact]
    public void A_user_id_of_256_characters_is_accepted_and_a_10_KB_one_refused()
    {
        using var ok = Ok(Body(UserSays("\"hi\""), $$$"""
            "metadata":{"user_id":"{{{new string('u', 256)}}}"}
            """));

        Fails(Body(UserSays("\"hi\""), $$$"""
            "metadata":{"user_id":"{{{new string('u', 10 * 1024)}}}"}
            """), "metadata.user_id");
    }

    // ---------------------------------------------------------------- tool_result answers a tool_use of the previous turn

    private const string AssistantCalls = """{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":{}}]}""";

    [Fact]
    public void A_tool_result_answering_the_previous_assistant_tool_use_is_accepted()
    {
        using var request = Ok(Body($$$"""
            [{"role":"user","content":"a"},{{{AssistantCalls}}},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"42"}]}]
            """));
    }

    [Fact]
    public void A_tool_result_whose_id_matches_no_earlier_tool_use_is_refused()
    {
        var message = Fails(Body($$$"""
            [{"role":"user","content":"a"},{{{AssistantCalls}}},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"42"}]}]
            """), "messages.2.content.0.tool_use_id");

        Assert.Contains("toolu_9", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tool_result_answering_a_tool_use_two_turns_back_is_refused()
    {
        Fails(Body($$$"""
            [{"role":"user","content":"a"},{{{AssistantCalls}}},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"42"}]},
             {"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"again"}]}]
            """), "messages.4.content.0.tool_use_id");
    }

    [Fact]
    public void A_tool_use_left_unanswered_by_the_next_user_turn_is_refused()
    {
        Fails(Body($$$"""[{"role":"user","content":"a"},{{{AssistantCalls}}},{"role":"user","content":"never mind"}]"""), "messages.2");
    }

    [Fact]
    public void A_final_assistant_tool_use_needs_no_result_yet()
    {
        using var request = Ok(Body($$$"""[{"role":"user","content":"a"},{{{AssistantCalls}}}]"""));
    }

    [Fact]
    public void Valid_utf8_counts_the_user_id_in_characters_not_bytes()
    {
        var id = new string('é', 256);

        using var request = Ok(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(Body(UserSays("\"hi\""), $$$"""
            "metadata":{"user_id":"{{{id}}}"}
            """))));
    }
}
