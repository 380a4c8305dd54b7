using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meridian.Gateway.Tests.Http;

/// <summary>
/// Requests Kestrel refuses before any middleware runs (a malformed header, a bad request line, headers too large) are
/// answered with an Anthropic-shaped error and a request id over raw HTTP/1.1, like every other refusal; the
/// application's own answers on the same connection pass through untouched.
/// </summary>
public sealed partial class ServerRejectionsTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private const string Body = $$"""{"model":"{{GatewayFixture.DeploymentName}}","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What Kestrel refuses itself, and two control characters it lets through to the application, which answers.</summary>
    public static TheoryData<string, int, string> MalformedHeads() => new()
    {
        { "POST /v1/messages HTTP/1.1\r\nHost: h\r\nx-note: a\0b\r\n\r\n", 400, "invalid_request_error" }, // a NUL in a value
        { "POST /v1/messages HTTP/1.1\r\nHost: h\r\nx-note: a\rb\r\n\r\n", 400, "invalid_request_error" }, // a bare CR in a value
        { "POST /v1/messages HTTP/1.1\r\nHost: h\r\nthis line has no colon\r\n\r\n", 400, "invalid_request_error" },
        { "POST /v1/messages HTTP/1.1\r\nHost: h\r\nbad name: x\r\n\r\n", 400, "invalid_request_error" }, // a space in a header name
        { "POST /v1/messages HTTP/1.1\r\nHost: h\r\n x-folded: continuation\r\n\r\n", 400, "invalid_request_error" }, // obsolete line folding
        { "POST /v1/mes\0sages HTTP/1.1\r\nHost: h\r\n\r\n", 400, "invalid_request_error" }, // a NUL in the target
        { "GARBAGE\r\n\r\n", 400, "invalid_request_error" },
        { "POST /v1/messages HTTP/1.1\r\nHost: h\r\nx-big: " + new string('a', 40_000) + "\r\n\r\n", 431, "invalid_request_error" },
        { "POST /v1/messages HTTP/1.1\r\nHost: h\r\nConnection: close\r\nx-note: a\u0001b\r\n\r\n", 401, "authentication_error" },
        { "GET /v1/mes\u0007sages HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 404, "not_found_error" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeads))]
    public async Task A_request_the_HTTP_layer_refuses_gets_an_Anthropic_error_with_a_request_id(string head, int status, string type)
    {
        var answer = await ExchangeAsync(head);

        Assert.StartsWith($"HTTP/1.1 {status} ", answer, StringComparison.Ordinal);
        var requestId = Header(answer, "request-id");
        Assert.Matches("^req_[0-9A-Za-z]{24}$", requestId);
        Assert.StartsWith("application/json", Header(answer, "content-type"), StringComparison.Ordinal);
        using var error = JsonDocument.Parse(BodyOf(answer));
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.Equal(type, error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(requestId, error.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task The_application_answers_on_a_connection_pass_through_and_a_later_malformed_request_is_still_shaped()
    {
        var answer = await ExchangeAsync(
            Request("POST", "/v1/messages", Body, $"x-api-key: {GatewayFixture.DemoKey}\r\n")
            + Request("GET", "/v1/nothing-here", body: null, headers: string.Empty) // an application 404
            + "POST /v1/messages HTTP/1.1\r\nHost: h\r\nx-note: a\0b\r\n\r\n");

        var statuses = StatusLine().Matches(answer).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(["200", "404", "400"], statuses);
        var ids = RequestIdHeader().Matches(answer).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Contains("\"type\":\"message\"", answer, StringComparison.Ordinal);
        Assert.Contains("not_found_error", answer, StringComparison.Ordinal);
        Assert.EndsWith("\"request_id\":\"" + ids[2] + "\"}", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_application_answer_with_no_body_is_not_taken_for_a_refusal()
    {
        // HEAD of a route that exists: the application writes only a status line and headers, after its middleware returned.
        var answer = await ExchangeAsync(Request("HEAD", "/healthz", body: null, headers: "Connection: close\r\n"));

        Assert.StartsWith("HTTP/1.1 ", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("invalid_request_error", answer, StringComparison.Ordinal);
    }

    /// <summary>System.Text.Json writing straight to the response asks the transport for its unflushed bytes (a 500 once).</summary>
    [Fact]
    public async Task An_answer_serialized_straight_to_the_response_passes_through()
    {
        var answer = await ExchangeAsync(Request("GET", "/admin/v1/tenants", body: null, headers: "Authorization: Bearer adm-wrong\r\nConnection: close\r\n"));

        Assert.StartsWith("HTTP/1.1 401 ", answer, StringComparison.Ordinal);
        Assert.StartsWith("application/problem+json", Header(answer, "content-type"), StringComparison.Ordinal);
    }

    private static string Request(string method, string path, string? body, string headers) =>
        body is null
            ? $"{method} {path} HTTP/1.1\r\nHost: h\r\n{headers}\r\n"
            : $"{method} {path} HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{headers}\r\n{body}";

    private async Task<string> ExchangeAsync(string requests)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.BaseAddress.Host, gateway.BaseAddress.Port, Ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(requests), Ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(Ct); // every refusal closes the connection
    }

    private static string Header(string answer, string name) =>
        Regex.Match(answer, $"(?im)^{Regex.Escape(name)}: ([^\r\n]*)").Groups[1].Value;

    private static string BodyOf(string answer)
    {
        var body = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        if (!Header(answer, "transfer-encoding").Equals("chunked", StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }

        var decoded = new StringBuilder();
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", StringComparison.Ordinal);
            var size = Convert.ToInt32(body[..lineEnd], 16);
            if (size == 0)
            {
                return decoded.ToString();
            }

            decoded.Append(body, lineEnd + 2, size);
            body = body[(lineEnd + 2 + size + 2)..];
        }
    }

    [GeneratedRegex(@"(?m)^HTTP/1\.1 (\d{3}) ")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"(?im)^request-id: (\S+)")]
    private static partial Regex RequestIdHeader();
}
