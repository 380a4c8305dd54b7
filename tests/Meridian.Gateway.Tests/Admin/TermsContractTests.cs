using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Core.Billing;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Tests.Metering;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// Terms are a contract (issue 16 item 4): a version takes effect at its <c>effective_at</c>, never earlier and never
/// backdated; every acceptance keeps the hash of the text accepted; a change of prices or of the retention requirement
/// reaches a tenant subscribed before it only when the operator's notice ends or the tenant accepts it, and a new
/// subscriber at once.
/// </summary>
public sealed class TermsContractTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task A_terms_version_effective_later_does_not_block_new_deployments_before_it_takes_effect()
    {
        var offer = (await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server))).GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        await Marketplace.SubscribeAsync(server, tenant, offer);
        var resource = await Marketplace.ResourceAsync(server, tenant);

        var published = await server.CreateAsync($"/admin/v1/offers/{offer}/terms", new { text = "Terms of use, version 2.", effective_at = DateTimeOffset.UtcNow.AddDays(7) });

        Assert.Equal(1, published.GetProperty("terms").GetProperty("version").GetInt32());
        Assert.Equal(2, Assert.Single(published.GetProperty("scheduled_terms").EnumerateArray()).GetProperty("version").GetInt32());
        await Marketplace.DeploymentAsync(server, resource, offer);
        var newcomer = await Marketplace.TenantAsync(server);
        (await server.PostAsync($"/admin/v1/tenants/{newcomer}/subscriptions", new { offer_id = offer, accept_terms_version = 2 }))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "accept_terms_version");
        Assert.Equal(1, (await Marketplace.SubscribeAsync(server, newcomer, offer)).GetProperty("terms_version").GetInt32());
    }

    [Fact]
    public async Task A_terms_version_can_be_neither_backdated_nor_put_before_the_previous_one()
    {
        var offer = (await Marketplace.OfferAsync(server, await Marketplace.PublisherAsync(server))).GetProperty("id").GetString()!;
        var now = DateTimeOffset.UtcNow;

        (await server.PostAsync($"/admin/v1/offers/{offer}/terms", new { text = "Backdated.", effective_at = now.AddHours(-1) }))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "effective_at");
        await server.CreateAsync($"/admin/v1/offers/{offer}/terms", new { text = "Version 2.", effective_at = now.AddDays(2) });
        (await server.PostAsync($"/admin/v1/offers/{offer}/terms", new { text = "Before version 2.", effective_at = now.AddDays(1) }))
            .AssertProblem(HttpStatusCode.BadRequest, "validation", "effective_at");

        var versions = (await server.GetAsync($"/admin/v1/offers/{offer}/terms")).Json.GetProperty("data").EnumerateArray().Select(v => v.GetProperty("version").GetInt32());
        Assert.Equal([2, 1], versions);
    }

    [Fact]
    public async Task Every_acceptance_records_the_version_and_text_hash_and_is_listed_to_its_tenant_and_publisher()
    {
        var publisher = await Marketplace.PublisherAsync(server);
        var offer = (await Marketplace.OfferAsync(server, publisher)).GetProperty("id").GetString()!;
        var tenant = await Marketplace.TenantAsync(server);
        var (_, tenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: tenant);
        await Marketplace.SubscribeAsync(server, tenant, offer, token: tenantAdmin);
        await server.CreateAsync($"/admin/v1/offers/{offer}/terms", new { text = "Terms of use, version 2." });
        await Marketplace.SubscribeAsync(server, tenant, offer, termsVersion: 2, token: tenantAdmin);

        var own = (await server.GetAsync($"/admin/v1/tenants/{tenant}/acceptances", tenantAdmin)).Json.GetProperty("data").EnumerateArray().ToList();

        Assert.Equal([1, 2], own.Select(a => a.GetProperty("terms_version").GetInt32()));
        Assert.Equal([Sha256("Terms of use, version 1."), Sha256("Terms of use, version 2.")], own.Select(a => a.GetProperty("sha256").GetString()));
        Assert.All(own, a => Assert.StartsWith("token:", a.GetProperty("accepted_by").GetString(), StringComparison.Ordinal));
        Assert.All(own, a => Assert.Equal(offer, a.GetProperty("offer_id").GetString()));
        var (_, publisherAdmin) = await Marketplace.TokenAsync(server, "publisher-admin", publisherId: publisher);
        var publishers = (await server.GetAsync($"/admin/v1/offers/{offer}/acceptances", publisherAdmin)).Json.GetProperty("data").EnumerateArray();
        Assert.Equal(own.Select(a => a.GetProperty("id").GetString()), publishers.Select(a => a.GetProperty("id").GetString()));

        var (_, otherTenant) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: await Marketplace.TenantAsync(server));
        (await server.GetAsync($"/admin/v1/tenants/{tenant}/acceptances", otherTenant)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        (await server.GetAsync($"/admin/v1/offers/{offer}/acceptances", tenantAdmin)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        var (_, otherPublisher) = await Marketplace.TokenAsync(server, "publisher-admin", publisherId: await Marketplace.PublisherAsync(server));
        (await server.GetAsync($"/admin/v1/offers/{offer}/acceptances", otherPublisher)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_price_raise_bills_an_existing_subscriber_the_accepted_price_until_it_accepts_and_a_new_subscriber_at_once()
    {
        var existing = await MeteringWorld.CreateAsync(server);
        var period = BillingPeriod.Of(DateTimeOffset.UtcNow);
        var before = await existing.SendAsync("Before the raise.");
        Assert.True(before.Ok, before.Body);

        var raisedAt = DateTimeOffset.UtcNow;
        var raised = await server.SendAsync(HttpMethod.Patch, $"/admin/v1/offers/{existing.OfferId}", body: new { prices = new { input = "1000000", output = "1000000" } });
        Assert.True(raised.IsSuccess, raised.Text);
        var newcomer = await existing.AnotherTenantAsync();
        var unchanged = await existing.SendAsync("After the raise, not yet accepted.");
        var atOnce = await newcomer.SendAsync("A new subscriber after the raise.");
        Assert.True(unchanged.Ok && atOnce.Ok, unchanged.Body + atOnce.Body);

        // The existing subscriber sees what it pays now and the raise pending, dated at the end of the notice.
        var subscription = await SubscriptionAsync(existing);
        Assert.Equal(MeteringWorld.InputPrice, subscription.GetProperty("prices").GetProperty("input").GetString());
        var pending = Assert.Single(subscription.GetProperty("pending_changes").EnumerateArray());
        Assert.Equal("prices", pending.GetProperty("kind").GetString());
        Assert.Equal("1000000", pending.GetProperty("prices").GetProperty("input").GetString());
        Assert.InRange(pending.GetProperty("effective_at").GetDateTimeOffset(), raisedAt + GatewayOptions.DefaultTermsNotice, DateTimeOffset.UtcNow + GatewayOptions.DefaultTermsNotice);
        Assert.Empty((await SubscriptionAsync(newcomer)).GetProperty("pending_changes").EnumerateArray());

        Assert.Equal(Old([before, unchanged]), await InvoiceTotalAsync(existing, period));
        Assert.Equal(MeteringWorld.ExpectedCost([atOnce], 1_000_000m, 1_000_000m), await InvoiceTotalAsync(newcomer, period));

        // Accepting sooner binds it from the acceptance on.
        await existing.AcceptTermsAsync();
        var accepted = await existing.SendAsync("After accepting the raise.");
        Assert.True(accepted.Ok, accepted.Body);
        if (BillingPeriod.Of(DateTimeOffset.UtcNow) != period)
        {
            Assert.Skip("The month changed during the test; the period's numbers are split across two invoices.");
        }

        Assert.Equal(Old([before, unchanged]) + MeteringWorld.ExpectedCost([accepted], 1_000_000m, 1_000_000m), await InvoiceTotalAsync(existing, period));
    }

    [Fact]
    public async Task A_retention_requirement_does_not_break_an_existing_retention_none_deployment_before_it_binds()
    {
        var existing = await MeteringWorld.CreateAsync(server);
        await RetainNothingAsync(existing);

        var flipped = await server.SendAsync(HttpMethod.Put, $"/admin/v1/offers/{existing.OfferId}/retention", body: new { requires_retention = true });
        Assert.True(flipped.IsSuccess, flipped.Text);

        var served = await existing.SendAsync("After the flip, not yet accepted.");
        Assert.Equal(HttpStatusCode.OK, served.Status);
        var subscription = await SubscriptionAsync(existing);
        Assert.False(subscription.GetProperty("requires_retention").GetBoolean());
        var pending = Assert.Single(subscription.GetProperty("pending_changes").EnumerateArray());
        Assert.Equal(("retention", true), (pending.GetProperty("kind").GetString(), pending.GetProperty("requires_retention").GetBoolean()));

        // A new subscriber is bound at once, and so is the existing one once it accepts.
        var newcomer = await existing.AnotherTenantAsync();
        await RetainNothingAsync(newcomer);
        Assert.Equal(HttpStatusCode.Forbidden, (await newcomer.SendAsync("A new subscriber after the flip.")).Status);
        await existing.AcceptTermsAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await existing.SendAsync("After accepting the requirement.")).Status);
    }

    private async Task RetainNothingAsync(MeteringWorld world)
    {
        var patched = await server.SendAsync(HttpMethod.Patch, $"/admin/v1/deployments/{world.DeploymentId}", body: new { retention_mode = "none" });
        Assert.True(patched.IsSuccess, patched.Text);
    }

    private async Task<JsonElement> SubscriptionAsync(MeteringWorld world) =>
        (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/subscriptions")).Json.GetProperty("data").EnumerateArray()
            .Single(s => s.GetProperty("offer_id").GetString() == world.OfferId);

    private async Task<decimal> InvoiceTotalAsync(MeteringWorld world, BillingPeriod period) =>
        MeteringWorld.Dec((await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/invoices?period={period}")).Json.GetProperty("total"));

    private static decimal Old(IEnumerable<Call> calls) =>
        MeteringWorld.ExpectedCost(calls, decimal.Parse(MeteringWorld.InputPrice, CultureInfo.InvariantCulture), decimal.Parse(MeteringWorld.OutputPrice, CultureInfo.InvariantCulture));

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
