using System.Net;
using System.Text.Json;
using Meridian.Gateway.Safeguards;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>Safeguards on the data plane, Trust &amp; Safety cases, review, suspension and retention — over real HTTP and real SQLite files.</summary>
public sealed class SafeguardsEndToEndTests : IAsyncLifetime
{
    /// <summary>Violence at <c>medium</c> in input: the default policy flags it (a case) and still answers.</summary>
    private const string FlaggedText = "Someone should shoot that politician.";

    /// <summary>Violence at <c>high</c> in input: blocked before routing.</summary>
    private const string BlockedText = "I'm going to kill you and your whole family.";

    /// <summary>
    /// Self-harm at <c>high</c>: flagged in input (a person in crisis gets an answer), blocked in output (the simulator's
    /// echo). The line break keeps the echoed phrase out of the simulator's quotation marks, which would make it a mention.
    /// </summary>
    private const string SelfHarmText = "Tonight:\nI'm going to kill myself tonight.";

    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Flagged_request_produces_exactly_one_case_in_its_geography_store_and_none_elsewhere()
    {
        using var response = await _server.MessagesAsync(FlaggedText);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = SafeguardsServer.RequestIdOf(response);
        var found = await _server.WaitForCaseAsync(requestId);

        Assert.Equal("us", found.Geography);
        Assert.Equal("pub_anthropic", found.PublisherId);
        Assert.Equal("ten_demo", found.TenantId);
        Assert.Equal("flag", found.Action);
        Assert.Contains(found.Categories, c => c.Category == "violence");
        Assert.Equal(1, _server.Stores.For("us").Cases.Count());
        Assert.Equal(0, _server.Stores.For("eu").Cases.Count());

        var receipt = await ReceiptAsync(requestId);
        Assert.StartsWith("flag:", receipt.GetProperty("safeguard_verdict").GetString());
        Assert.Equal(found.Id, receipt.GetProperty("case").GetProperty("id").GetString());
        Assert.Equal("open", receipt.GetProperty("case").GetProperty("status").GetString());
        Assert.False(receipt.GetProperty("case").TryGetProperty("decided_by", out _));
    }

    [Fact]
    public async Task Blocked_input_is_a_400_naming_the_policy_and_never_the_matched_text()
    {
        using var response = await _server.MessagesAsync(BlockedText);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        var message = json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("'default'", message);
        Assert.StartsWith("block:", response.Headers.GetValues("meridian-safeguards").Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("kill", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("family", text, StringComparison.OrdinalIgnoreCase);

        // A block requires review as well: the case exists, with the request in its snapshot.
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(response));
        Assert.Equal("block", found.Action);
    }

    [Fact]
    public async Task Blocked_output_ends_the_stream_with_an_error_event()
    {
        using var response = await _server.MessagesAsync(SelfHarmText, stream: true);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = text.Split('\n').Where(l => l.StartsWith("event: ", StringComparison.Ordinal)).ToList();
        Assert.Equal("event: error", events[^1]);
        Assert.DoesNotContain("event: message_stop", events);
        Assert.Contains("Output blocked by content filtering policy 'default'", text);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(response));
        Assert.Equal("block", found.Action);
    }

    [Fact]
    public async Task Blocked_output_of_a_non_streaming_request_is_an_error_response()
    {
        using var response = await _server.MessagesAsync(SelfHarmText);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Output blocked by content filtering policy 'default'", text);
        Assert.DoesNotContain("myself", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Annotated_answer_carries_the_verdict_header_and_opens_no_case()
    {
        using var response = await _server.MessagesAsync("Please write to me at jane.doe@fastmail.com about the invoice.");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("annotate:pii=low", response.Headers.GetValues(RequestSafeguards.Header).Single());
        var receipt = await ReceiptAsync(SafeguardsServer.RequestIdOf(response));
        Assert.Equal("annotate:pii=low", receipt.GetProperty("safeguard_verdict").GetString());
        Assert.False(receipt.TryGetProperty("case", out _));
        Assert.Equal(0, _server.Stores.For("us").Cases.Count());
    }

    [Fact]
    public async Task Reviewers_see_only_their_publisher_and_geographies()
    {
        using var response = await _server.MessagesAsync(FlaggedText);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(response));

        var usReviewer = await TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        var euReviewer = await TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["eu"]);
        var otherPublisher = (await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/publishers",
            new { name = "Other Publisher", contact_email = "ts@other.example" })).GetProperty("id").GetString()!;
        var otherReviewer = await TokenAsync("reviewer", publisherId: otherPublisher, geographies: ["us", "eu"]);
        var tenantAdmin = await TokenAsync("tenant-admin", tenantId: "ten_demo");

        var queue = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases", token: usReviewer);
        Assert.Contains(queue.GetProperty("data").EnumerateArray(), c => c.GetProperty("id").GetString() == found.Id);
        Assert.Empty((await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases", token: euReviewer)).GetProperty("data").EnumerateArray());
        Assert.Empty((await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases", token: otherReviewer)).GetProperty("data").EnumerateArray());

        // Outsiders' 403s on each route are specified in CaseReviewScopeTests.

        Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Get, "/admin/v1/cases", token: tenantAdmin)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}", token: tenantAdmin)).Response.StatusCode);
        // The us reviewer's queue page is on record; nobody who was refused, or saw nothing, is.
        var viewed = Assert.Single(_server.Stores.For("us").Cases.AccessLog(found.Id));
        Assert.Equal(("view", Meridian.Storage.Geography.CaseStore.ViewedInList), (viewed.Event, viewed.ReasonCode));
    }

    [Fact]
    public async Task Every_open_writes_an_access_record_and_the_chain_detects_tampering()
    {
        using var response = await _server.MessagesAsync(FlaggedText);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(response));
        var reviewer = await TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);

        var missingReason = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = " " }, reviewer);
        Assert.Equal(HttpStatusCode.BadRequest, missingReason.Response.StatusCode);

        var opened = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "queue triage" }, reviewer);
        Assert.Contains(FlaggedText, opened.GetProperty("snapshot").GetProperty("request").GetRawText());
        Assert.Contains(FlaggedText, opened.GetProperty("snapshot").GetProperty("response").GetString());
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "second look" });
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "no_violation", action = "none", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);

        var log = _server.Stores.For("us").Cases.AccessLog(found.Id);
        Assert.Equal(["open", "open", "decision"], log.Select(e => e.Event));
        Assert.Equal("queue triage", log[0].Reason);
        Assert.StartsWith("token:", log[0].Actor);
        var verified = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases/access-log/verify?geography=us");
        Assert.True(verified.GetProperty("valid").GetBoolean());
        Assert.Equal(3, verified.GetProperty("entries").GetInt64());

        // Rewrite who looked in the first entry, behind the API's back.
        using (var connection = _server.Stores.For("us").Database.Open())
        {
            using var tamper = connection.CreateCommand();
            tamper.CommandText = "UPDATE ts_access_log SET actor = 'token:someone-else' WHERE seq = 1";
            Assert.Equal(1, tamper.ExecuteNonQuery());
        }

        var broken = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases/access-log/verify?geography=us");
        Assert.False(broken.GetProperty("valid").GetBoolean());
        Assert.Equal(1, broken.GetProperty("broken_at").GetInt64());
    }

    [Fact]
    public async Task Suspend_key_decision_makes_the_next_request_with_that_key_fail_with_403()
    {
        var created = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/keys", new { name = "to be suspended" });
        var key = created.GetProperty("key").GetString()!;
        using var flagged = await _server.MessagesAsync(FlaggedText, key: key);
        Assert.Equal(HttpStatusCode.OK, flagged.StatusCode);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(flagged));

        var decided = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "suspend_key", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });
        Assert.Equal("decided", decided.GetProperty("status").GetString());
        Assert.Equal("suspend_key", decided.GetProperty("decision_action").GetString());

        using var next = await _server.MessagesAsync("Hello again", key: key);
        var text = await next.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, next.StatusCode);
        Assert.Contains("permission_error", text);
        using var other = await _server.MessagesAsync("Hello from the demo key");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        var again = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "none", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        var receipt = await ReceiptAsync(SafeguardsServer.RequestIdOf(flagged), key: SafeguardsServer.DemoKey);
        Assert.Equal("violation", receipt.GetProperty("case").GetProperty("decision").GetString());
    }

    [Fact]
    public async Task Suspend_deployment_decision_refuses_the_deployment_with_403()
    {
        using var flagged = await _server.MessagesAsync(FlaggedText);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(flagged));
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "suspend_deployment", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });

        using var next = await _server.MessagesAsync("Hello again");
        Assert.Equal(HttpStatusCode.Forbidden, next.StatusCode);
        Assert.Contains("suspended", await next.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Purge_removes_the_snapshot_keeps_metadata_and_decision_and_logs_the_deletion()
    {
        using var flagged = await _server.MessagesAsync(FlaggedText);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(flagged));
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "warn_tenant", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromDays(29));
        var purger = _server.Purger(clock);
        Assert.Equal(0, await purger.PurgeExpiredAsync(TestContext.Current.CancellationToken));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await purger.PurgeExpiredAsync(TestContext.Current.CancellationToken));

        var view = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}");
        Assert.Equal("purged", view.GetProperty("snapshot").GetString());
        Assert.Equal("violation", view.GetProperty("decision").GetString());
        Assert.Equal("warn_tenant", view.GetProperty("decision_action").GetString());
        var open = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "too late" });
        Assert.Equal(HttpStatusCode.Conflict, open.Response.StatusCode);
        var log = _server.Stores.For("us").Cases.AccessLog(found.Id);
        Assert.Equal(["decision", "purge", "view"], log.Select(e => e.Event));
        Assert.True(_server.Stores.For("us").Cases.VerifyAccessLog().Valid);
    }

    [Fact]
    public async Task Unflagged_content_is_never_persisted_and_flagged_content_only_encrypted_in_its_geography()
    {
        const string Canary = "zqxcanary7f3e9a";
        const string FlaggedCanary = "zqxflagged51b2c";
        for (var i = 0; i < 3; i++)
        {
            using var plain = await _server.MessagesAsync($"Tell me about lighthouses {Canary}{i}", stream: i % 2 == 0);
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
            await plain.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        }

        using (var annotated = await _server.MessagesAsync($"Mail jane.doe@fastmail.com the {Canary}x notes"))
        {
            Assert.Equal(HttpStatusCode.OK, annotated.StatusCode);
        }

        using var flagged = await _server.MessagesAsync($"{FlaggedText} {FlaggedCanary}");
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(flagged));
        var opened = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "canary check" });
        Assert.Contains(FlaggedCanary, opened.GetProperty("snapshot").GetRawText());

        await _server.StopAsync();

        // The scan sees what was written (the flagged request's id is in its receipt and case) and never a canary.
        var files = await TestStores.PersistedFilesAsync(_server.DataDirectory);
        Assert.NotNull(await TestStores.FileContainingAsync(files, SafeguardsServer.RequestIdOf(flagged)));
        Assert.Null(await TestStores.FileContainingAsync(files, Canary));
        Assert.Null(await TestStores.FileContainingAsync(files, FlaggedCanary));

        var logs = string.Join('\n', _server.Log);
        Assert.NotEmpty(_server.Log);
        Assert.DoesNotContain(Canary, logs);
        Assert.DoesNotContain(FlaggedCanary, logs);
        Assert.DoesNotContain("politician", logs);

        // The case (sealed) sits in the us store only.
        using var stores = TestStores.Geographies(_server.DataDirectory, "us", "eu");
        Assert.Equal(1, stores.For("us").Cases.Count());
        Assert.Equal(0, stores.For("eu").Cases.Count());
    }

    private async Task<JsonElement> ReceiptAsync(string requestId, string key = SafeguardsServer.DemoKey)
    {
        for (var i = 0; ; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{requestId}");
            request.Headers.Add("x-api-key", key);
            using var response = await _server.Http.SendAsync(request, TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (response.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }

            Assert.True(i < 100, $"receipt {requestId}: {(int)response.StatusCode} {text}");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }

    private Task<string> TokenAsync(string role, string? tenantId = null, string? publisherId = null, string[]? geographies = null) =>
        _server.TokenAsync(role, tenantId, publisherId, geographies);
}
