using System.Net;
using System.Text;
using System.Text.Json;

namespace Meridian.Cli.Tests.Admin;

/// <summary>
/// What the client does with answers a small demo server never gives: several pages, several invalid fields, a body
/// that is not problem details. Served by a stub handler; everything else is tested against the real gateway.
/// </summary>
public sealed class AdminClientTests
{
    [Fact]
    public async Task Lists_follow_next_cursor_and_print_every_page_as_one_list()
    {
        var requests = new List<string>();
        var cli = Stub(request =>
        {
            requests.Add(request.RequestUri!.PathAndQuery);
            return request.RequestUri!.Query.Contains("cursor=c2", StringComparison.Ordinal)
                ? Json(HttpStatusCode.OK, """{"data":[{"id":"off_b","name":"b"}],"next_cursor":null}""")
                : Json(HttpStatusCode.OK, """{"data":[{"id":"off_a","name":"a"}],"next_cursor":"c2"}""");
        });

        var json = (await cli.RunAsync("offers", "list", "--json")).ShouldSucceed();
        var human = (await cli.RunAsync("offers", "list")).ShouldSucceed();

        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(["off_a", "off_b"], document.RootElement.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Contains("off_a", human.Out);
        Assert.Contains("off_b", human.Out);
        Assert.Equal("/admin/v1/offers?limit=200", requests[0]);
        Assert.Equal("/admin/v1/offers?limit=200&cursor=c2", requests[1]);
    }

    [Fact]
    public async Task Several_invalid_fields_are_named_on_one_line()
    {
        var cli = Stub(_ => Json(HttpStatusCode.BadRequest, """
            {"type":"https://meridian.dev/problems/validation","title":"Invalid deployment","status":400,
             "errors":{"deployment_type":["'datazone' needs a region with a data zone."],"name":["Must not be empty."]}}
            """, "application/problem+json"));

        var result = (await cli.RunAsync("deploy", "--resource", "r", "--name", "n", "--offer", "o", "--model", "m", "--hosting", "platform", "--type", "datazone")).ShouldFail();

        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Equal("error: deployment_type: 'datazone' needs a region with a data zone. | name: Must not be empty.", line.TrimEnd());
    }

    [Fact]
    public async Task An_answer_that_is_not_problem_details_still_gives_the_status()
    {
        var cli = Stub(_ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>proxy error</html>", Encoding.UTF8, "text/html") });

        var result = (await cli.RunAsync("world", "show")).ShouldFail();

        Assert.Contains("error: HTTP 502 BadGateway", result.Error);
    }

    [Fact]
    public async Task An_answer_that_is_not_the_contracts_json_is_reported_without_a_stack_trace()
    {
        var cli = Stub(_ => Json(HttpStatusCode.OK, """{"geographies":"not a list"}"""));

        var result = (await cli.RunAsync("world", "show")).ShouldFail();

        Assert.Contains("gave an answer this CLI does not understand", result.Error);
        Assert.DoesNotMatch(@"(?m)^\s+at ", result.Error);
    }

    [Fact]
    public async Task The_admin_token_is_sent_as_a_bearer_token_and_never_printed()
    {
        string? authorization = null;
        var cli = Stub(request =>
        {
            authorization = request.Headers.Authorization?.ToString();
            return Json(HttpStatusCode.OK, """{"role":"operator-admin","name":"ops"}""");
        });

        var result = (await cli.RunAsync("whoami")).ShouldSucceed();

        Assert.Equal("Bearer mat-stub0000-secret", authorization);
        Assert.DoesNotContain("mat-stub0000-secret", result.Out + result.Error, StringComparison.Ordinal);
        Assert.Matches(@"role\s+operator-admin", result.Out);
    }

    private static CliRunner Stub(Func<HttpRequestMessage, HttpResponseMessage> answer) =>
        new(
            new Dictionary<string, string?> { ["MERIDIAN_URL"] = "http://stub.invalid:8080", ["MERIDIAN_ADMIN_TOKEN"] = "mat-stub0000-secret" },
            () => new HttpClient(new StubHandler(answer)));

    private static HttpResponseMessage Json(HttpStatusCode status, string json, string mediaType = "application/json") =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, mediaType) };

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
