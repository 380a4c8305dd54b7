using System.Net;
using System.Text.Json;
using Meridian.Core.Billing;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>
/// The numbers reconcile end to end: N requests with the token counts their answers reported → the ledger → an invoice
/// whose total is exactly Σ tokens × price, a settlement whose revenue is exactly that, and a publisher share whose
/// charges and usage are the same numbers — across a price change in the middle of the period.
/// </summary>
public sealed class BillingEndToEndTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task Invoice_settlement_and_share_reconcile_exactly_with_the_tokens_served()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var other = await world.AnotherTenantAsync();
        var period = BillingPeriod.Of(DateTimeOffset.UtcNow);

        // Before the price change: a mix of JSON and streamed answers of different lengths, from two tenants.
        var before = new List<Call>();
        for (var i = 0; i < 12; i++)
        {
            var caller = i % 3 == 0 ? other : world;
            var call = await caller.SendAsync($"Request {i}: tell me about the number {i * 37}.", stream: i % 2 == 0, maxTokens: 16 + (i * 7));
            Assert.True(call.Ok, call.Body);
            before.Add(call);
        }

        var patched = await server.SendAsync(HttpMethod.Patch, $"/admin/v1/offers/{world.OfferId}", body: new { prices = new { input = "2.50", output = "12.125" } });
        Assert.True(patched.IsSuccess, patched.Text);
        // Both subscribed before the change: it reaches them when they accept it, rather than when its notice ends.
        await world.AcceptTermsAsync();
        await other.AcceptTermsAsync();

        var after = new List<Call>();
        for (var i = 0; i < 8; i++)
        {
            var caller = i % 4 == 0 ? other : world;
            var call = await caller.SendAsync($"After the change, request {i}.", stream: i % 2 == 1, maxTokens: 24 + i);
            Assert.True(call.Ok, call.Body);
            after.Add(call);
        }

        if (BillingPeriod.Of(DateTimeOffset.UtcNow) != period)
        {
            Assert.Skip("The month changed during the test; the period's numbers are split across two invoices.");
        }

        // Calls are attributed to tenants by key, so split the client-side record the same way.
        static bool Mine(Call c, MeteringWorld w) => c.Key == w.Key;
        var expected = new Dictionary<string, decimal>();
        foreach (var w in new[] { world, other })
        {
            expected[w.TenantId] = MeteringWorld.ExpectedCost(before.Where(c => Mine(c, w)), 3.125m, 15.00m)
                + MeteringWorld.ExpectedCost(after.Where(c => Mine(c, w)), 2.50m, 12.125m);
        }

        // The invoice: lines per deployment × model × token type × price, total exactly Σ tokens × price.
        foreach (var w in new[] { world, other })
        {
            var invoice = (await server.GetAsync($"/admin/v1/tenants/{w.TenantId}/invoices?period={period}")).Json;
            Assert.Equal("open", invoice.GetProperty("status").GetString());
            Assert.Equal(expected[w.TenantId], MeteringWorld.Dec(invoice.GetProperty("total")));
            Assert.Equal(Math.Round(expected[w.TenantId], 2, MidpointRounding.AwayFromZero), MeteringWorld.Dec(invoice.GetProperty("total_due")));
            var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
            Assert.All(lines, l => Assert.Equal(w.DeploymentId, l.GetProperty("deployment_id").GetString()));
            Assert.All(lines, l => Assert.Equal("metered-model-1", l.GetProperty("model").GetString()));
            Assert.Equal(lines.Sum(l => MeteringWorld.Dec(l.GetProperty("amount"))), MeteringWorld.Dec(invoice.GetProperty("total")));

            // Two prices for each type: one line before the change and one after, each with its own tokens.
            var input = lines.Where(l => l.GetProperty("token_type").GetString() == "input_tokens").ToList();
            Assert.Equal(["3.125", "2.50"], input.Select(l => l.GetProperty("unit_price_per_million").GetString()));
            Assert.Equal(before.Where(c => Mine(c, w)).Sum(c => c.InputTokens), input[0].GetProperty("tokens").GetInt64());
            Assert.Equal(after.Where(c => Mine(c, w)).Sum(c => c.InputTokens), input[1].GetProperty("tokens").GetInt64());
            var output = lines.Where(l => l.GetProperty("token_type").GetString() == "output_tokens").ToList();
            Assert.Equal(["15.00", "12.125"], output.Select(l => l.GetProperty("unit_price_per_million").GetString()));
            Assert.Equal(after.Where(c => Mine(c, w)).Sum(c => c.OutputTokens), output[1].GetProperty("tokens").GetInt64());
        }

        // The settlement: revenue is exactly the two invoices; the default fee is 20 %.
        var revenue = expected.Values.Sum();
        var settlement = (await server.GetAsync($"/admin/v1/publishers/{world.PublisherId}/settlement?period={period}")).Json;
        Assert.Equal(revenue, MeteringWorld.Dec(settlement.GetProperty("revenue")));
        Assert.Equal(revenue * 0.20m, MeteringWorld.Dec(settlement.GetProperty("fee")));
        Assert.Equal(revenue - (revenue * 0.20m), MeteringWorld.Dec(settlement.GetProperty("payout")));
        var offerLine = Assert.Single(settlement.GetProperty("offers").EnumerateArray());
        Assert.Equal(2, offerLine.GetProperty("customers").GetInt64());
        Assert.Equal(before.Concat(after).Sum(c => c.InputTokens), offerLine.GetProperty("input_tokens").GetInt64());
        Assert.Equal(before.Concat(after).Sum(c => c.OutputTokens), offerLine.GetProperty("output_tokens").GetInt64());

        // A fee set on the offer applies to the settlement.
        var fee = await server.SendAsync(HttpMethod.Put, $"/admin/v1/offers/{world.OfferId}/fee", body: new { fee_percent = "12.5" });
        Assert.True(fee.IsSuccess, fee.Text);
        settlement = (await server.GetAsync($"/admin/v1/publishers/{world.PublisherId}/settlement?period={period}")).Json;
        Assert.Equal(revenue * 0.125m, MeteringWorld.Dec(settlement.GetProperty("fee")));
        Assert.Equal(revenue, MeteringWorld.Dec(settlement.GetProperty("fee")) + MeteringWorld.Dec(settlement.GetProperty("payout")));

        // The share: charges are the invoices' lines; usage is the ledger's tokens; settlement the same numbers.
        var share = (await server.GetAsync($"/admin/v1/publishers/{world.PublisherId}/share?period={period}")).Json;
        Assert.Equal(revenue, share.GetProperty("charges").EnumerateArray().Sum(c => MeteringWorld.Dec(c.GetProperty("amount"))));
        Assert.Equal(revenue, MeteringWorld.Dec(share.GetProperty("settlement").GetProperty("revenue")));
        var usage = share.GetProperty("usage").EnumerateArray().ToList();
        Assert.Equal(before.Count + after.Count, usage.Sum(u => u.GetProperty("requests").GetInt64()));
        Assert.Equal(before.Concat(after).Sum(c => c.InputTokens), usage.Sum(u => u.GetProperty("input_tokens").GetInt64()));
        Assert.Equal(before.Concat(after).Sum(c => c.OutputTokens), usage.Sum(u => u.GetProperty("output_tokens").GetInt64()));
        Assert.Equal(
            new[] { world.BillingEmail, other.BillingEmail }.Order(StringComparer.Ordinal),
            share.GetProperty("customers").EnumerateArray().Select(c => c.GetProperty("billing_contact_email").GetString()).Order(StringComparer.Ordinal));

        // The transactions the operator keeps: both subscriptions and the price change.
        var transactions = (await server.GetAsync($"/admin/v1/transactions?publisher_id={world.PublisherId}&period={period}")).Json
            .GetProperty("data").EnumerateArray().Select(t => (Kind: t.GetProperty("kind").GetString(), Tenant: t.GetProperty("tenant_id").ToString())).ToList();
        Assert.Contains(("subscription", world.TenantId), transactions);
        Assert.Contains(("subscription", other.TenantId), transactions);
        Assert.Single(transactions, t => t.Kind == "price_change");
    }

    [Fact]
    public async Task Every_served_request_is_one_receipt_and_one_ledger_row_with_the_same_tokens()
    {
        var world = await MeteringWorld.CreateAsync(server);
        var calls = new List<Call>();
        for (var i = 0; i < 6; i++)
        {
            calls.Add(await world.SendAsync($"Count me {i}.", stream: i % 2 == 0));
        }

        foreach (var call in calls)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/receipts/{call.RequestId}");
            request.Headers.Add("x-api-key", world.Key);
            using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
            using var receipt = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Equal(call.InputTokens, receipt.RootElement.GetProperty("input_tokens").GetInt64());
            Assert.Equal(call.OutputTokens, receipt.RootElement.GetProperty("output_tokens").GetInt64());
        }

        using var ledger = TestStores.Geographies(server.DataDirectory, "eu");
        var ids = ledger.For("eu").Ledger.RequestIds(world.TenantId);
        Assert.Equal(calls.Select(c => c.RequestId).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        foreach (var call in calls)
        {
            var row = ledger.For("eu").Ledger.Find(call.RequestId!)!;
            Assert.Equal((call.InputTokens, call.OutputTokens), (row.Tokens.Input, row.Tokens.Output));
            Assert.Equal(UsageSource.Backend, row.Source);
        }
    }

    [Fact]
    public async Task The_invoice_needs_a_period_and_is_the_tenants_own()
    {
        var world = await MeteringWorld.CreateAsync(server);
        (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/invoices")).AssertProblem(HttpStatusCode.BadRequest, "validation", "period");
        (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/invoices?period=2026-13")).AssertProblem(HttpStatusCode.BadRequest, "validation", "period");

        var (_, mine) = await Marketplace.TokenAsync(server, "tenant-developer", tenantId: world.TenantId);
        var other = await world.AnotherTenantAsync();
        var (_, theirs) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: other.TenantId);
        var (_, publisher) = await Marketplace.TokenAsync(server, "publisher-admin", publisherId: world.PublisherId);
        var path = $"/admin/v1/tenants/{world.TenantId}/invoices?period=2026-11";
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync(path, mine)).Status);
        (await server.GetAsync(path, theirs)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        (await server.GetAsync(path, publisher)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        (await server.PostAsync($"/admin/v1/tenants/{world.TenantId}/invoices/2026-11/issue", null, mine)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0m, MeteringWorld.Dec((await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/invoices?period=2025-01")).Json.GetProperty("total")));
    }
}
