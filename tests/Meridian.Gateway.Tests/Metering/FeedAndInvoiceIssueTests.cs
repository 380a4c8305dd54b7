using System.Net;
using Meridian.Core.Billing;
using Meridian.Gateway.Billing;
using Meridian.Gateway.Tests.Admin;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>
/// The metering feed and issued invoices over usage of past periods, written straight into the demo tenant's ledger
/// (as a gateway would have, months ago).
/// </summary>
public sealed class FeedAndInvoiceIssueTests(AdminServer server) : IClassFixture<AdminServer>
{
    private static UsageRecord Row(string id, DateTimeOffset at, TokenCounts tokens) => new()
    {
        RequestId = id,
        At = at,
        TenantId = DemoSeed.TenantId,
        KeyId = "key_demo",
        ResourceId = DemoSeed.ResourceId,
        DeploymentId = DemoSeed.DeploymentId,
        DeploymentName = DemoSeed.DeploymentName,
        OfferId = DemoSeed.OfferId,
        PublisherId = DemoSeed.PublisherId,
        Model = "claude-sonnet-5",
        StorageGeography = "us",
        Tokens = tokens,
        Source = UsageSource.Backend,
    };

    private void Write(params UsageRecord[] rows) => TestStores.Geographies(server.DataDirectory, "us").For("us").InsertUsage(rows);

    [Fact]
    public async Task The_feed_has_one_record_per_tenant_offer_dimension_and_hour_with_a_stable_id()
    {
        var hour = new DateTimeOffset(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);
        Write(
            Row("req_feed_1", hour.AddMinutes(15), new TokenCounts(100, 20, 0, 0)),
            Row("req_feed_2", hour.AddMinutes(15), new TokenCounts(50, 5, 0, 1_000)),
            Row("req_feed_3", hour.AddMinutes(45), new TokenCounts(1, 1, 300, 0)),
            Row("req_feed_4", hour.AddMinutes(65), new TokenCounts(7, 0, 0, 0)));

        var path = "/admin/v1/metering-feed?from=2025-03-10T00:00:00Z&to=2025-03-11T00:00:00Z";
        var feed = (await server.GetAsync(path)).Json;
        var records = feed.GetProperty("records").EnumerateArray()
            .Select(r => (Id: r.GetProperty("record_id").GetString()!, Hour: r.GetProperty("hour_start").GetDateTimeOffset(),
                Dimension: r.GetProperty("dimension").GetString()!, Quantity: r.GetProperty("quantity").GetInt64(),
                Tenant: r.GetProperty("tenant_id").GetString(), Offer: r.GetProperty("offer_id").GetString()))
            .ToList();

        Assert.Equal(
            [
                (hour, "input_tokens", 151L), (hour, "output_tokens", 26L), (hour, "cache_creation_input_tokens", 300L), (hour, "cache_read_input_tokens", 1_000L),
                (hour.AddHours(1), "input_tokens", 7L),
            ],
            records.Select(r => (r.Hour, r.Dimension, r.Quantity)));
        Assert.All(records, r => Assert.Equal((DemoSeed.TenantId, DemoSeed.OfferId), (r.Tenant, r.Offer)));
        Assert.Equal(records.Count, records.Select(r => r.Id).Distinct().Count());
        Assert.Equal(BillingService.RecordId(DemoSeed.TenantId, DemoSeed.OfferId, TokenType.Input, hour), records[0].Id);

        // Asking again (or for an overlapping span) gives the same records with the same ids: a forwarder can dedupe.
        var again = (await server.GetAsync("/admin/v1/metering-feed?from=2025-03-10T10:00:00Z&to=2025-03-10T11:00:00Z")).Json;
        Assert.Equal(records.Take(4).Select(r => r.Id), again.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("record_id").GetString()!));

        // The running hour is not final, so it is not in the feed yet.
        var now = (await server.GetAsync("/admin/v1/metering-feed")).Json;
        Assert.True(now.GetProperty("complete_until").GetDateTimeOffset() <= DateTimeOffset.UtcNow.AddMinutes(-5));

        (await server.GetAsync("/admin/v1/metering-feed?from=yesterday")).AssertProblem(HttpStatusCode.BadRequest, "validation", "from");
    }

    [Fact]
    public async Task An_issued_invoice_is_frozen_and_recorded_as_a_transaction()
    {
        var at = new DateTimeOffset(2025, 4, 20, 12, 0, 0, TimeSpan.Zero);
        Write(Row("req_issue_1", at, new TokenCounts(2_000_000, 100_000, 0, 0)), Row("req_issue_2", at.AddDays(3), new TokenCounts(1_000_000, 0, 0, 0)));
        var path = $"/admin/v1/tenants/{DemoSeed.TenantId}/invoices?period=2025-04";

        var closed = (await server.GetAsync(path)).Json;
        Assert.Equal("closed", closed.GetProperty("status").GetString());
        Assert.Equal("10.50", closed.GetProperty("total").GetString());

        var issued = await server.PostAsync($"/admin/v1/tenants/{DemoSeed.TenantId}/invoices/2025-04/issue", null);
        Assert.Equal(HttpStatusCode.Created, issued.Status);
        var id = issued.Json.GetProperty("invoice_id").GetString()!;
        Assert.StartsWith("inv_", id, StringComparison.Ordinal);
        Assert.Equal("issued", issued.Json.GetProperty("status").GetString());

        var again = await server.PostAsync($"/admin/v1/tenants/{DemoSeed.TenantId}/invoices/2025-04/issue", null);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(id, again.Json.GetProperty("invoice_id").GetString());

        // Late usage and price changes no longer move an issued invoice.
        Write(Row("req_issue_late", at.AddDays(5), new TokenCounts(1_000_000, 0, 0, 0)));
        var patched = await server.SendAsync(HttpMethod.Patch, $"/admin/v1/offers/{DemoSeed.OfferId}", body: new { prices = new { input = "30.00" } });
        Assert.True(patched.IsSuccess, patched.Text);
        var frozen = (await server.GetAsync(path)).Json;
        Assert.Equal(("issued", "10.50", id), (frozen.GetProperty("status").GetString(), frozen.GetProperty("total").GetString(), frozen.GetProperty("invoice_id").GetString()));

        var transactions = (await server.GetAsync($"/admin/v1/transactions?tenant_id={DemoSeed.TenantId}")).Json.GetProperty("data").EnumerateArray()
            .Where(t => t.GetProperty("kind").GetString() == "invoice_issued").ToList();
        var transaction = Assert.Single(transactions);
        Assert.Equal((id, "10.50", DemoSeed.PublisherId, "2025-04"),
            (transaction.GetProperty("reference_id").GetString(), transaction.GetProperty("amount").GetString(),
             transaction.GetProperty("publisher_id").GetString(), transaction.GetProperty("period").GetString()));

        // The running period cannot be issued yet.
        var current = BillingPeriod.Of(DateTimeOffset.UtcNow);
        (await server.PostAsync($"/admin/v1/tenants/{DemoSeed.TenantId}/invoices/{current}/issue", null)).AssertProblem(HttpStatusCode.Conflict, "conflict");
    }
}
