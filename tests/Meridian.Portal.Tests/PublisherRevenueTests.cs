using System.Globalization;
using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// A publisher's money and contract in the portal: revenue, the marketplace fee and the payout per offer for a month,
/// as the settlement API states them; and a new terms version that says when it takes effect and is published only
/// after the publisher confirms it.
/// </summary>
public sealed class PublisherRevenueTests(PortalFixture portal)
{
    [Fact]
    public async Task The_publisher_sees_revenue_fee_and_payout_per_offer_for_the_month_as_the_settlement_states_them()
    {
        using (var response = await portal.MessagesAsync(PortalFixture.DemoKey, "Hello, settle me."))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var period = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var publisher = await portal.CreateTokenAsync("publisher-admin", publisherId: "pub_anthropic");
        var statement = await portal.AdminAsync(HttpMethod.Get, $"publishers/pub_anthropic/settlement?period={period}", token: publisher);
        var line = Assert.Single(statement.GetProperty("offers").EnumerateArray(), o => o.GetProperty("offer_id").GetString() == "off_claude");
        Assert.NotEqual(0m, decimal.Parse(line.GetProperty("revenue").GetString()!, CultureInfo.InvariantCulture));

        await using var tab = await portal.NewPageAsync(publisher);
        await tab.OpenAsync("/portal/publisher/offers");
        var row = tab.Page.Locator("section.settlement tr[data-offer='off_claude']");
        await Expect(row.Locator("[data-field='revenue']")).ToHaveTextAsync(line.GetProperty("revenue").GetString()!);
        await Expect(row.Locator("[data-field='payout']")).ToHaveTextAsync(line.GetProperty("payout").GetString()!);
        await Expect(row.Locator("[data-field='customers']")).ToHaveTextAsync(line.GetProperty("customers").GetInt64().ToString("#,0", CultureInfo.InvariantCulture));
        await Expect(tab.Page.Locator("section.settlement caption [data-field='payout']")).ToHaveTextAsync(statement.GetProperty("payout").GetString()!);

        // A month without usage says so.
        await tab.Page.GetByLabel("Period").First.FillAsync("2020-01");
        await Expect(tab.Page.Locator("section.settlement")).ToContainTextAsync("No usage of your offers in 2020-01.");
        tab.AssertNoErrors();
    }

    [Fact]
    public async Task A_new_terms_version_states_when_it_takes_effect_and_is_published_only_once_confirmed()
    {
        var publisher = await portal.CreateTokenAsync("publisher-admin", publisherId: "pub_anthropic");
        var created = await portal.AdminAsync(HttpMethod.Post, "offers", new
        {
            publisher_id = "pub_anthropic",
            name = "Terms trial " + Guid.NewGuid().ToString("N")[..6],
            hosting_options = new[] { "platform" },
            deployment_types = new[] { "datazone" },
            prices = new { input = "1", output = "2", cache_write = "0", cache_read = "0" },
            models = new[] { new { model_id = "terms-trial-model", display_name = "Trial", context_window = 1000, max_output_tokens = 100 } },
            terms_text = "Trial terms, version 1.",
        }, publisher);
        var offerId = created.GetProperty("id").GetString()!;
        var effective = DateTime.UtcNow.Date.AddDays(45);

        await using var tab = await portal.NewPageAsync(publisher);
        await tab.OpenAsync("/portal/publisher/offers");
        var offer = tab.Page.Locator($"article[data-offer='{offerId}']");
        await offer.GetByRole(AriaRole.Button, new() { Name = "Publish a new terms version" }).ClickAsync();
        await offer.GetByLabel("Terms text, version 2").FillAsync("Trial terms, version 2: a longer notice.");
        await offer.GetByLabel("Takes effect on (UTC; blank: at once)").FillAsync(effective.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await offer.GetByRole(AriaRole.Button, new() { Name = "Publish version 2…" }).ClickAsync();

        // Asked, with the date, before anything is published.
        await Expect(offer.GetByRole(AriaRole.Note)).ToContainTextAsync("Version 2 takes effect on");
        Assert.Single((await portal.AdminAsync(HttpMethod.Get, $"offers/{offerId}/terms")).GetProperty("data").EnumerateArray());

        await offer.GetByRole(AriaRole.Button, new() { Name = "Confirm: publish version 2" }).ClickAsync();
        await Expect(offer.GetByRole(AriaRole.Status)).ToContainTextAsync("Version 2 is published and takes effect on");
        var versions = (await portal.AdminAsync(HttpMethod.Get, $"offers/{offerId}/terms")).GetProperty("data").EnumerateArray().ToList();
        var scheduled = Assert.Single(versions, v => v.GetProperty("version").GetInt32() == 2);
        Assert.Equal(new DateTimeOffset(effective, TimeSpan.Zero), scheduled.GetProperty("effective_at").GetDateTimeOffset());
        // Until then version 1 is the one tenants accept.
        Assert.Equal(1, (await portal.AdminAsync(HttpMethod.Get, $"offers/{offerId}")).GetProperty("terms").GetProperty("version").GetInt32());
        tab.AssertNoErrors();
    }
}
