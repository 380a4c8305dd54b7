using System.Buffers;
using System.Text.Json;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Streaming;

namespace Meridian.Protocol.Tests;

public sealed class WriteErrorTests
{
    private static JsonDocument WriteError(string errorType, string message, string? requestId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AnthropicJsonWriter.WriteError(buffer, errorType, message, requestId);
        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    [Fact]
    public void The_error_body_is_type_error_with_error_type_message_and_request_id()
    {
        using var document = WriteError(ErrorTypes.InvalidRequest, "max_tokens: Field required", "req_01abc");
        var root = document.RootElement;

        Assert.Equal(["type", "error", "request_id"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("error", root.GetProperty("type").GetString());
        var error = root.GetProperty("error");
        Assert.Equal(["type", "message"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("max_tokens: Field required", error.GetProperty("message").GetString());
        Assert.Equal("req_01abc", root.GetProperty("request_id").GetString());
    }

    [Theory]
    [InlineData(ErrorTypes.Authentication)]
    [InlineData(ErrorTypes.Permission)]
    [InlineData(ErrorTypes.NotFound)]
    [InlineData(ErrorTypes.RequestTooLarge)]
    [InlineData(ErrorTypes.RateLimit)]
    [InlineData(ErrorTypes.Api)]
    [InlineData(ErrorTypes.Overloaded)]
    public void Every_error_type_is_written_verbatim(string errorType)
    {
        using var document = WriteError(errorType, "m", "req_1");

        Assert.Equal(errorType, document.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("quote \" backslash \\ slash /")]
    [InlineData("newline\nreturn\r\ntab\tbell\u0007nul\0")]
    [InlineData("unicode é 中文 😀 and html <script>alert('x')</script> & stuff")]
    [InlineData("{\"type\":\"error\"}")]
    [InlineData("")]
    public void Special_characters_in_the_message_are_escaped_into_valid_json(string message)
    {
        using var document = WriteError(ErrorTypes.Api, message, "req_\"odd\"\n");

        Assert.Equal(message, document.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("req_\"odd\"\n", document.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public void The_error_body_is_one_line()
    {
        var buffer = new ArrayBufferWriter<byte>();
        AnthropicJsonWriter.WriteError(buffer, ErrorTypes.Api, "a\nb", "req_1");

        Assert.DoesNotContain((byte)'\n', buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Without_a_request_id_the_body_is_still_valid_json_with_the_error()
    {
        using var document = WriteError(ErrorTypes.Overloaded, "Overloaded", null);
        var root = document.RootElement;

        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal("overloaded_error", root.GetProperty("error").GetProperty("type").GetString());
        Assert.False(root.TryGetProperty("request_id", out _));
    }

    [Theory]
    [InlineData(ErrorTypes.InvalidRequest, 400)]
    [InlineData(ErrorTypes.Authentication, 401)]
    [InlineData(ErrorTypes.Permission, 403)]
    [InlineData(ErrorTypes.NotFound, 404)]
    [InlineData(ErrorTypes.RequestTooLarge, 413)]
    [InlineData(ErrorTypes.RateLimit, 429)]
    [InlineData(ErrorTypes.Api, 500)]
    [InlineData(ErrorTypes.Overloaded, 529)]
    public void Each_error_type_travels_with_its_documented_http_status(string errorType, int status)
    {
        Assert.Equal(status, ErrorTypes.StatusOf(errorType));
    }
}
