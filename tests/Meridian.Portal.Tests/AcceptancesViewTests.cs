using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// Accepted terms stay readable: a publisher sees who accepted which version of its terms, with the hash of the text
/// they accepted, and a tenant re-reads the very version it accepted.
/// </summary>
public sealed class AcceptancesViewTests(PortalFixture portal)
{
    [Fact]
    public async Task The_offer_lists_each_acceptance_with_tenant_version_and_text_hash()
    {
        var demo = (await portal.AdminAsync(HttpMethod.Get, "offers/off_claude/acceptances")).GetProperty("data").EnumerateArray()
            .First(a => a.GetProperty("tenant_id").GetString() == "ten_demo");
        var version = demo.GetProperty("terms_version").GetInt32();
        var sha = demo.GetProperty("sha256").GetString()!;

        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("publisher-admin", publisherId: "pub_anthropic"));
        await tab.OpenAsync("/portal/publisher/offers");
        var offer = tab.Page.Locator("article.offer[data-offer='off_claude']");
        var row = offer.Locator($"table.acceptances tr[data-tenant='ten_demo'][data-version='{version}']");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.Locator("code[title]")).ToHaveAttributeAsync("title", sha);
        await Expect(row).ToContainTextAsync(demo.GetProperty("accepted_by").GetString()!);
        await Expect(offer.Locator($"[data-accepted='{version}']")).ToContainTextAsync("accepted");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_tenant_rereads_the_terms_version_it_accepted()
    {
        var subscription = (await portal.AdminAsync(HttpMethod.Get, "tenants/ten_demo/subscriptions")).GetProperty("data").EnumerateArray()
            .First(s => s.GetProperty("offer_id").GetString() == "off_claude");
        var version = subscription.GetProperty("terms_version").GetInt32();
        var accepted = (await portal.AdminAsync(HttpMethod.Get, "offers/off_claude/terms?limit=100")).GetProperty("data").EnumerateArray()
            .Single(t => t.GetProperty("version").GetInt32() == version);

        await using var tab = await portal.NewPageAsync(await portal.CreateTokenAsync("tenant-admin", tenantId: "ten_demo"));
        await tab.OpenAsync("/portal/tenant/catalogue");
        var offer = tab.Page.Locator("article.offer[data-offer='off_claude']");
        await offer.GetByText("Read the terms you accepted").ClickAsync();

        var text = offer.Locator(".accepted-terms pre.terms-text");
        await Expect(text).ToHaveTextAsync(accepted.GetProperty("text").GetString()!.Trim());
        await Expect(offer.Locator(".accepted-terms")).ToContainTextAsync(accepted.GetProperty("sha256").GetString()!);
        tab.AssertNoErrors();
    }
}
