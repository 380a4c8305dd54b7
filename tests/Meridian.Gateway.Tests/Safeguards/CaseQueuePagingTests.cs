using System.Globalization;
using System.Net;
using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Storage.Geography;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// The case queue pages like every admin list (<c>limit</c>, opaque <c>cursor</c>, <c>next_cursor</c>), newest first,
/// across geography stores, with <c>status</c> and <c>geography</c> filters; cases are written straight into the stores
/// (several in the same millisecond, in two geographies) so the page boundaries fall everywhere.
/// </summary>
public sealed class CaseQueuePagingTests : IAsyncLifetime
{
    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Paging_returns_every_case_exactly_once_across_pages_newest_first()
    {
        var written = Seed();

        foreach (var limit in new[] { 1, 4, 7, 50 })
        {
            var seen = await ReadAllAsync("/admin/v1/cases", limit, SafeguardsServer.OperatorToken);
            Assert.Equal(written.Count, seen.Count);
            Assert.Equal(written.Select(c => c.Id).Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
            Assert.Equal(seen.OrderByDescending(id => id, StringComparer.Ordinal), seen);
        }
    }

    [Fact]
    public async Task Filters_by_status_and_geography_page_the_same_way()
    {
        var written = Seed();
        _server.Stores.For("eu").Cases.Decide(written.First(c => c.Geography == "eu").Id, new CaseDecisionDraft("no_violation", "none", "paging test", CaseStore.ContentUnavailable, null), new AccessActor("token:test", "operator-admin", "test", "operator"), "rl_test", DateTimeOffset.UtcNow);

        var euOpen = await ReadAllAsync("/admin/v1/cases?geography=eu&status=open", 3, SafeguardsServer.OperatorToken);
        Assert.Equal(written.Where(c => c.Geography == "eu").Select(c => c.Id).Skip(1).Order(StringComparer.Ordinal), euOpen.Order(StringComparer.Ordinal));
        var decided = await ReadAllAsync("/admin/v1/cases?status=decided", 3, SafeguardsServer.OperatorToken);
        Assert.Equal([written.First(c => c.Geography == "eu").Id], decided);
    }

    [Fact]
    public async Task A_reviewer_pages_through_its_own_scope_only()
    {
        var written = Seed();
        var usReviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);

        var seen = await ReadAllAsync("/admin/v1/cases", 4, usReviewer);

        Assert.Equal(written.Where(c => c.Geography == "us" && c.PublisherId == "pub_anthropic").Select(c => c.Id).Order(StringComparer.Ordinal),
            seen.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("status=closed", "status")]
    [InlineData("geography=mars", "geography")]
    public async Task Bad_paging_and_filter_values_are_400s_naming_the_parameter(string query, string field)
    {
        var (response, text) = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/cases?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(text);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    private async Task<List<string>> ReadAllAsync(string path, int limit, string token)
    {
        var ids = new List<string>();
        string? cursor = null;
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 200, "the cursor never ran out");
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var page = await _server.AdminJsonAsync(HttpMethod.Get,
                $"{path}{separator}limit={limit}" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)), token: token);
            var data = page.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
            Assert.True(data.Count <= limit);
            ids.AddRange(data);
            cursor = page.GetProperty("next_cursor").GetString();
            if (cursor is null)
            {
                return ids;
            }

            Assert.Equal(limit, data.Count);
        }
    }

    /// <summary>
    /// 17 cases in us (two publishers) and 9 in eu, in bursts of three sharing one millisecond: the ids' random part, not
    /// the clock, orders a burst.
    /// </summary>
    private List<CaseRecord> Seed()
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        var cases = new List<CaseRecord>();
        for (var i = 0; i < 26; i++)
        {
            var at = start.AddMilliseconds(i / 3);
            var geography = i % 3 == 2 ? "eu" : "us";
            cases.Add(new CaseRecord
            {
                Id = "case_" + at.ToUnixTimeMilliseconds().ToString("x12", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..12],
                RequestId = "req_paging_" + i.ToString(CultureInfo.InvariantCulture),
                CreatedAt = at,
                Geography = geography,
                TenantId = "ten_demo",
                KeyId = "key_demo",
                ResourceId = "res_demo",
                DeploymentId = "dep_demo",
                DeploymentName = "claude-sonnet-5",
                PublisherId = i % 4 == 0 ? "pub_other" : "pub_anthropic",
                Policy = "default",
                Verdict = "flag:violence=medium",
                Action = "flag",
                Categories = [new CaseCategory("violence", "medium")],
                Kinds = ["violence:threat"],
                ReviewedBy = ReviewedBy.Publisher,
            });
        }

        foreach (var group in cases.GroupBy(c => c.Geography))
        {
            // A case rests with the rest of its request's record, as the record writer stores it.
            _server.Stores.For(group.Key).InsertBatch([.. group.Select(c => new RequestRecord(
                new Receipt
                {
                    RequestId = c.RequestId, CreatedAt = c.CreatedAt, TenantId = c.TenantId, KeyId = c.KeyId, IngressRegion = "eastus",
                    StorageGeography = c.Geography, Endpoint = "messages", Status = 400, SafeguardVerdict = c.Verdict,
                },
                null,
                new SealedCase(c, null)))]);
        }

        return cases.OrderByDescending(c => c.Id, StringComparer.Ordinal).ToList();
    }
}
