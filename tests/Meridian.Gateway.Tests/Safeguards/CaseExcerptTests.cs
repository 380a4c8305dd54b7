using System.Net;
using System.Text;
using System.Text.Json;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// A flagged request's case keeps its shape and a bounded excerpt around each finding, not its whole body (issue 15: a
/// case used to hold up to 32 MB); a small request is kept whole.
/// </summary>
public sealed class CaseExcerptTests : IAsyncLifetime
{
    private const string Threat = "Someone should shoot that politician.";

    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_5_MB_request_with_one_threat_keeps_the_threat_in_context_and_stays_under_the_bound()
    {
        // Mostly runs of spaces, so 5 MB stays inside the model's context window in tokens.
        var filler = string.Concat(Enumerable.Repeat("harbor" + new string(' ', 200), 12_500));
        var text = $"zqxfarstart9c8d {filler}zqxnear1a2b {Threat} zqxafter3c4d{filler}";
        var body = JsonSerializer.Serialize(new { model = SafeguardsServer.Model, max_tokens = 64, messages = new[] { new { role = "user", content = text } } });
        Assert.True(body.Length > 5_000_000);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", SafeguardsServer.DemoKey);
        using var response = await _server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(response));

        var stored = StoredSnapshotBytes(found.Id);
        Assert.InRange(stored, 1, 64 * 1024);

        var snapshot = (await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "excerpt check" })).GetProperty("snapshot");
        Assert.Equal(JsonValueKind.Null, snapshot.GetProperty("request").ValueKind);
        Assert.Equal(Encoding.UTF8.GetByteCount(body), snapshot.GetProperty("request_shape").GetProperty("bytes").GetInt32());
        Assert.Equal(1, snapshot.GetProperty("request_shape").GetProperty("messages").GetInt32());
        Assert.Equal(SafeguardsServer.Model, snapshot.GetProperty("request_shape").GetProperty("model").GetString());
        var excerpt = Assert.Single(snapshot.GetProperty("excerpts").EnumerateArray());
        var kept = excerpt.GetProperty("text").GetString()!;
        Assert.Contains(Threat, kept, StringComparison.Ordinal);
        Assert.Contains("zqxnear1a2b", kept, StringComparison.Ordinal);
        Assert.Contains("zqxafter3c4d", kept, StringComparison.Ordinal);
        // (The simulator's answer echoes the prompt's first 200 chars; the request's part of the case does not keep them.)
        Assert.DoesNotContain("zqxfarstart9c8d", snapshot.GetProperty("excerpts").GetRawText(), StringComparison.Ordinal);
        Assert.Equal("messages[0].content", excerpt.GetProperty("location").GetString());
        Assert.Equal(text.Length, excerpt.GetProperty("field_chars").GetInt32());
        Assert.Equal(text[excerpt.GetProperty("start").GetInt32()..excerpt.GetProperty("end").GetInt32()], kept);
        Assert.Contains(excerpt.GetProperty("findings").EnumerateArray(), f => f.GetString()!.StartsWith("violence:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_small_flagged_request_is_kept_whole_with_its_excerpt_located()
    {
        var found = await _server.FlaggedCaseAsync("zqxsmallwhole");

        var snapshot = (await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "whole check" })).GetProperty("snapshot");

        Assert.Contains("zqxsmallwhole", snapshot.GetProperty("request").GetRawText(), StringComparison.Ordinal);
        var excerpt = Assert.Single(snapshot.GetProperty("excerpts").EnumerateArray());
        Assert.Equal("messages[0].content", excerpt.GetProperty("location").GetString());
        Assert.Contains("shoot that politician", excerpt.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    private long StoredSnapshotBytes(string caseId)
    {
        using var connection = _server.Stores.For("us").Database.Open();
        return connection.Scalar(null, "SELECT LENGTH(snapshot) FROM ts_case_snapshots WHERE case_id = @id", ("@id", caseId));
    }
}
