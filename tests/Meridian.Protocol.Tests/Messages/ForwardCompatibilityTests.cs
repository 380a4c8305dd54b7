using Meridian.Protocol.Messages;
using static Meridian.Protocol.Tests.Messages.ParseHelper;

namespace Meridian.Protocol.Tests.Messages;

/// <summary>What the gateway does not know passes (for an Anthropic upstream to judge) and is noted, never dropped.</summary>
public sealed class ForwardCompatibilityTests
{
    [Fact]
    public void Unknown_top_level_fields_are_accepted_and_noted_by_name()
    {
        using var request = Ok(Body(UserSays("\"hi\""), "\"speed\":\"fast\",\"container\":\"c1\",\"service_tier\":\"auto\""));

        var unknown = request.Features.Items.Where(f => f.Kind == FeatureKind.Unknown).Select(f => f.Path).ToList();
        Assert.Equal(["speed", "container"], unknown);
    }

    [Fact]
    public void An_unknown_block_type_is_accepted_and_noted_with_its_path()
    {
        using var request = Ok(Body(UserSays("""[{"type":"hologram","frames":3},{"type":"text","text":"hi"}]""")));

        var feature = Assert.Single(request.Features.Items);
        Assert.Equal(FeatureKind.Unknown, feature.Kind);
        Assert.Equal("messages.0.content.0", feature.Path);
        Assert.Equal("hologram", feature.Detail);
    }

    [Fact]
    public void An_unknown_role_after_the_first_turn_is_accepted_and_noted()
    {
        using var request = Ok(Body("""[{"role":"user","content":"a"},{"role":"narrator","content":"b"}]"""));

        var feature = Assert.Single(request.Features.Items);
        Assert.Equal("messages.1.role", feature.Path);
        Assert.Equal("narrator", feature.Detail);
    }

    [Fact]
    public void Claude_Codes_own_fields_are_known_hints_and_need_no_Anthropic_upstream()
    {
        // As recorded from Claude Code 2.1.328: adaptive thinking, effort, clearing thinking, metadata, deferred tools.
        using var request = Ok(Body("""[{"role":"user","content":"hi"},{"role":"system","content":[{"type":"text","text":"env","cache_control":{"type":"ephemeral"}}]}]""",
            """
            "thinking":{"type":"adaptive","display":"omitted"},"output_config":{"effort":"high"},
            "context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},
            "metadata":{"user_id":"{\"device_id\":\"f4de\",\"account_uuid\":\"\",\"session_id\":\"ae24\"}"},
            "tools":[{"name":"Read","description":"d","input_schema":{"type":"object","properties":{}},"defer_loading":true}]
            """));

        Assert.Empty(request.Features.Items);
    }

    [Fact]
    public void Structured_output_forced_tool_calls_and_other_context_edits_are_noted()
    {
        using var request = Ok(Body(UserSays("\"hi\""),
            """
            "output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}},
            "tools":[{"name":"t","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}],
            "tool_choice":{"type":"any"},
            "context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]}
            """));

        Assert.Equal(
            [FeatureKind.ServerTool, FeatureKind.ForcedToolCall, FeatureKind.StructuredOutput, FeatureKind.ContextEdit],
            request.Features.Items.Select(f => f.Kind));
    }

    [Fact]
    public void A_structured_output_format_without_a_schema_is_refused()
    {
        Fails(Body(UserSays("\"hi\""), "\"output_config\":{\"format\":{\"type\":\"json_schema\"}}"), "output_config.format.schema");
    }

    // ---------------------------------------------------------------- mid-conversation system messages

    [Fact]
    public void A_system_message_after_the_first_user_turn_is_accepted_as_Claude_Code_sends_it()
    {
        using var request = Ok(Body("""
            [{"role":"user","content":"a"},{"role":"system","content":"agents: x"},{"role":"assistant","content":"b"},
             {"role":"user","content":"c"},{"role":"system","content":[{"type":"text","text":"more"}]}]
            """));

        Assert.Empty(request.Features.Items);
    }

    [Fact]
    public void A_system_message_cannot_be_first()
    {
        Fails(Body("""[{"role":"system","content":"be nice"},{"role":"user","content":"a"}]"""), "messages.0.role");
    }

    [Fact]
    public void A_system_message_cannot_follow_an_assistant_turn_that_does_not_end_in_a_server_tool_use()
    {
        Fails(Body("""[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"system","content":"c"}]"""), "messages.2");
    }

    [Fact]
    public void A_system_message_may_follow_an_assistant_server_tool_use_and_the_assistant_turn_goes_on()
    {
        using var request = Ok(Body("""
            [{"role":"user","content":"a"},
             {"role":"assistant","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}}]},
             {"role":"system","content":"the search is slow today"},
             {"role":"assistant","content":"c"}]
            """));

        Assert.Equal(FeatureKind.AnthropicBlock, Assert.Single(request.Features.Items).Kind);
    }

    [Fact]
    public void A_system_message_must_be_followed_by_an_assistant_turn_or_end_the_conversation()
    {
        Fails(Body("""[{"role":"user","content":"a"},{"role":"system","content":"b"},{"role":"user","content":"c"}]"""), "messages.1");
    }

    [Fact]
    public void Two_system_messages_in_a_row_are_refused()
    {
        Fails(Body("""[{"role":"user","content":"a"},{"role":"system","content":"b"},{"role":"system","content":"c"}]"""), "messages.1");
    }

    [Fact]
    public void A_system_message_holds_text_only()
    {
        Fails(Body($$$"""[{"role":"user","content":"a"},{"role":"system","content":[{{{Image("image/png", TinyMedia.Png(1, 1))}}}]}]"""), "messages.1.content.0");
    }

    [Fact]
    public void User_and_assistant_turns_still_alternate_around_system_messages()
    {
        Fails(Body("""[{"role":"user","content":"a"},{"role":"system","content":"b"},{"role":"assistant","content":"c"},{"role":"assistant","content":"d"}]"""), "messages");
    }
}
