using System.Text.Json;
using Meridian.Protocol.Messages;

namespace Meridian.Protocol.Tests;

public sealed class ContentTextTests
{
    private static string Of(string json)
    {
        using var document = JsonDocument.Parse(json);
        return ContentText.Of(document.RootElement);
    }

    [Fact]
    public void String_content_is_returned_as_is()
    {
        Assert.Equal("Hello\nworld", Of("\"Hello\\nworld\""));
    }

    [Fact]
    public void Text_blocks_are_joined_with_newlines()
    {
        Assert.Equal("one\ntwo", Of("""[{"type":"text","text":"one"},{"type":"text","text":"two"}]"""));
    }

    [Fact]
    public void Tool_result_content_string_and_blocks_are_included()
    {
        Assert.Equal(
            "a\nb\nc",
            Of("""[{"type":"tool_result","tool_use_id":"t","content":"a"},{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"b"},{"type":"text","text":"c"}]}]"""));
    }

    [Fact]
    public void Tool_use_input_is_included_as_raw_json_and_thinking_as_text()
    {
        Assert.Equal(
            "{\"q\":1}\nhmm",
            Of("""[{"type":"tool_use","id":"x","name":"n","input":{"q":1}},{"type":"thinking","thinking":"hmm","signature":"s"}]"""));
    }

    [Fact]
    public void Images_and_unknown_blocks_contribute_no_text()
    {
        Assert.Equal(
            "caption",
            Of("""[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},{"type":"text","text":"caption"},{"type":"future_block"},"stray"]"""));
    }

    [Fact]
    public void Blocks_with_a_non_string_type_are_skipped_not_thrown_on()
    {
        Assert.Equal("ok", Of("""[{"type":5},{"type":null},{"type":"text","text":"ok"}]"""));
    }

    [Fact]
    public void Non_text_content_yields_the_empty_string()
    {
        Assert.Equal(string.Empty, Of("42"));
        Assert.Equal(string.Empty, Of("[]"));
    }
}
