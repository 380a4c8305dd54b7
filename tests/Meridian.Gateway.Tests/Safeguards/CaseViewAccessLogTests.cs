using System.Text.Json;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Every operator and reviewer view of a case is in its access log (issue 17 item 4): a queue page, one case's metadata,
/// its access log — not only opening its content. The tenant's own reads of its cases are not.
/// </summary>
public sealed class CaseViewAccessLogTests : IAsyncLifetime
{
    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Listing_viewing_and_reading_the_access_log_are_each_recorded_with_who_and_what()
    {
        var found = await _server.FlaggedCaseAsync();
        var issued = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/tokens",
            new { role = "reviewer", name = "views-reviewer", publisher_id = "pub_anthropic", geographies = new[] { "us" } });
        var reviewer = issued.GetProperty("token").GetString()!;
        var reviewerActor = "token:" + issued.GetProperty("id").GetString();
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");

        await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases", token: reviewer);
        await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}", token: reviewer);
        var answered = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}/access", token: reviewer);
        await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}");
        await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/tenants/ten_demo/cases", token: tenantAdmin);
        await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}", token: tenantAdmin);

        var log = _server.Stores.For("us").Cases.AccessLog(found.Id);
        Assert.Equal(
            [("view", CaseStore.ViewedInList, reviewerActor), ("view", CaseStore.ViewedMetadata, reviewerActor), ("view", CaseStore.ViewedAccessLog, reviewerActor)],
            log.Take(3).Select(e => (e.Event, e.ReasonCode, e.Actor)));
        // The operator's read through the tenant's path is recorded; the tenant admin's own reads are not.
        Assert.Equal(4, log.Count);
        Assert.Equal(("view", CaseStore.ViewedMetadata), (log[3].Event, log[3].ReasonCode));
        Assert.NotEqual(reviewerActor, log[3].Actor);
        Assert.True(_server.Stores.For("us").Cases.VerifyAccessLog().Valid);

        // The access log read answers with the log as it stood when asked: the two views before it.
        Assert.Equal(2, answered.GetProperty("data").GetArrayLength());

        // The tenant sees that its case was looked at, and what was looked at, never by whom.
        var (_, text) = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}/access", token: tenantAdmin);
        using var tenantView = JsonDocument.Parse(text);
        Assert.Equal(
            [CaseStore.ViewedInList, CaseStore.ViewedMetadata, CaseStore.ViewedAccessLog, CaseStore.ViewedMetadata],
            tenantView.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("reason_code").GetString()));
        Assert.DoesNotContain(reviewerActor, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_page_records_the_cases_it_showed_and_no_others()
    {
        var oldest = await _server.FlaggedCaseAsync("one");
        var middle = await _server.FlaggedCaseAsync("two");
        var newest = await _server.FlaggedCaseAsync("three");

        var page = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases?limit=2");

        Assert.Equal([newest.Id, middle.Id], page.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        var cases = _server.Stores.For("us").Cases;
        Assert.Equal(CaseStore.ViewedInList, Assert.Single(cases.AccessLog(newest.Id)).ReasonCode);
        Assert.Equal(CaseStore.ViewedInList, Assert.Single(cases.AccessLog(middle.Id)).ReasonCode);
        Assert.Empty(cases.AccessLog(oldest.Id));
    }
}
