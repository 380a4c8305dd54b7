using System.Text;
using Meridian.Protocol.OpenAi;

namespace Meridian.Protocol.Tests.OpenAi;

public sealed class ChatCompletionsErrorsTests
{
    [Theory]
    [InlineData(400, 400, "invalid_request_error")]
    [InlineData(422, 400, "invalid_request_error")]
    [InlineData(401, 502, "api_error")]
    [InlineData(403, 502, "api_error")]
    [InlineData(404, 502, "api_error")]
    [InlineData(413, 413, "request_too_large")]
    [InlineData(429, 429, "rate_limit_error")]
    [InlineData(500, 500, "api_error")]
    [InlineData(502, 502, "api_error")]
    [InlineData(503, 529, "overloaded_error")]
    [InlineData(504, 504, "api_error")]
    public void Upstream_statuses_map_to_anthropic_errors(int upstream, int status, string errorType)
    {
        var failure = ChatCompletionsErrors.FromStatus(upstream, "upstream words");

        Assert.Equal((status, errorType), (failure.Status, failure.ErrorType));
    }

    [Fact]
    public void Upstream_auth_failures_never_read_as_the_callers_and_never_echo_the_upstream()
    {
        var failure = ChatCompletionsErrors.FromStatus(401, "Invalid API key sk-live-123");

        Assert.Equal("The upstream rejected the gateway's credentials.", failure.Message);
    }

    [Theory]
    [InlineData("""{"error":{"message":"context too long","type":"BadRequestError","code":400}}""", "context too long")]
    [InlineData("""{"object":"error","message":"old vllm","type":"BadRequestError","code":400}""", "old vllm")]
    [InlineData("""{"error":"Input validation error: `inputs` too long","error_type":"validation"}""", "Input validation error: `inputs` too long")]
    [InlineData("not json", null)]
    public void The_message_is_read_from_every_servers_error_dialect(string body, string? expected)
    {
        Assert.Equal(expected, ChatCompletionsErrors.MessageOf(Encoding.UTF8.GetBytes(body)));
    }
}
