using System.Net;
using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>
/// The publisher share carries contact, transaction and usage records only: canary strings pushed through prompts,
/// system prompts, tool definitions and answers never appear in any export, and a publisher never sees another
/// publisher's customers.
/// </summary>
public sealed class PublisherShareTests(AdminServer server) : IClassFixture<AdminServer>
{
    private static string Period => Core.Billing.BillingPeriod.Of(DateTimeOffset.UtcNow).ToString();

    [Fact]
    public async Task No_prompt_or_output_text_reaches_any_export()
    {
        var a = await MeteringWorld.CreateAsync(server);
        var b = await MeteringWorld.CreateAsync(server);
        var canaries = new List<string>();
        string Canary(string where)
        {
            // Under 32 characters: a 32-character random token can pass the safeguards' secret rule and be redacted
            // from the answer, which would make this test's own precondition flaky.
            var canary = $"CANARY{where}{Guid.NewGuid():N}"[..28];
            canaries.Add(canary);
            return canary;
        }

        var outputs = new List<string>();
        foreach (var world in new[] { a, b })
        {
            for (var i = 0; i < 3; i++)
            {
                var prompt = $"Please repeat {Canary("prompt")} back to me verbatim.";
                var call = await world.SendAsync(prompt, stream: i == 1, system: $"You guard {Canary("system")}.", toolEnum: i == 2 ? Canary("tool") : null);
                Assert.True(call.Ok, call.Body);
                outputs.Add(call.Body);
            }
        }

        // The canaries did travel through answers (the simulator echoes the prompt and fills tool input from the schema).
        Assert.Contains(outputs, o => canaries.Any(c => c.StartsWith("CANARYprompt", StringComparison.Ordinal) && o.Contains(c, StringComparison.Ordinal)));
        Assert.Contains(outputs, o => canaries.Any(c => c.StartsWith("CANARYtool", StringComparison.Ordinal) && o.Contains(c, StringComparison.Ordinal)));

        var exports = new List<(string What, string Text)>();
        foreach (var world in new[] { a, b })
        {
            exports.Add(("share", (await server.GetAsync($"/admin/v1/publishers/{world.PublisherId}/share?period={Period}")).Text));
            exports.Add(("settlement", (await server.GetAsync($"/admin/v1/publishers/{world.PublisherId}/settlement?period={Period}")).Text));
            exports.Add(("invoice", (await server.GetAsync($"/admin/v1/tenants/{world.TenantId}/invoices?period={Period}")).Text));
        }

        exports.Add(("transactions", (await server.GetAsync($"/admin/v1/transactions?period={Period}")).Text));
        exports.Add(("metering feed", (await server.GetAsync("/admin/v1/metering-feed")).Text));
        foreach (var (what, text) in exports)
        {
            Assert.False(string.IsNullOrEmpty(text), what);
            foreach (var canary in canaries)
            {
                Assert.False(text.Contains(canary, StringComparison.Ordinal), $"the {what} export holds the canary {canary}");
            }

            Assert.DoesNotContain("repeat", text, StringComparison.OrdinalIgnoreCase);
        }

        // And the shares do hold the records they are for.
        var shareA = (await server.GetAsync($"/admin/v1/publishers/{a.PublisherId}/share?period={Period}")).Json;
        Assert.Equal(3, shareA.GetProperty("usage").EnumerateArray().Sum(u => u.GetProperty("requests").GetInt64()));
        Assert.NotEmpty(shareA.GetProperty("charges").EnumerateArray());
        Assert.Contains(shareA.GetProperty("subscriptions").EnumerateArray(), s => s.GetProperty("tenant_id").GetString() == a.TenantId);
    }

    [Fact]
    public async Task A_publisher_never_sees_another_publishers_customers()
    {
        var a = await MeteringWorld.CreateAsync(server);
        var b = await MeteringWorld.CreateAsync(server);
        var alsoA = await a.AnotherTenantAsync();
        foreach (var world in new[] { a, b, alsoA })
        {
            Assert.True((await world.SendAsync("Hello")).Ok);
        }

        var (_, publisherA) = await Marketplace.TokenAsync(server, "publisher-admin", publisherId: a.PublisherId);
        var shareA = await server.GetAsync($"/admin/v1/publishers/{a.PublisherId}/share?period={Period}", publisherA);
        Assert.Equal(HttpStatusCode.OK, shareA.Status);
        Assert.Equal(
            new[] { a.TenantId, alsoA.TenantId }.Order(StringComparer.Ordinal),
            shareA.Json.GetProperty("customers").EnumerateArray().Select(c => c.GetProperty("tenant_id").GetString()!).Order(StringComparer.Ordinal));
        foreach (var secret in new[] { b.TenantId, b.BillingEmail, b.OfferId, b.DeploymentId })
        {
            Assert.DoesNotContain(secret, shareA.Text, StringComparison.Ordinal);
        }

        // Nor deployment names, keys or resource ids of its own customers: they are not the publisher's business.
        foreach (var notShared in new[] { a.DeploymentName, a.Key, a.KeyId, a.ResourceId })
        {
            Assert.DoesNotContain(notShared, shareA.Text, StringComparison.Ordinal);
        }

        // B's share and settlement are hidden from A's publisher-admin, like a publisher that does not exist.
        (await server.GetAsync($"/admin/v1/publishers/{b.PublisherId}/share?period={Period}", publisherA)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        (await server.GetAsync($"/admin/v1/publishers/{b.PublisherId}/settlement?period={Period}", publisherA)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        (await server.GetAsync($"/admin/v1/publishers/pub_missing/share?period={Period}", publisherA)).AssertProblem(HttpStatusCode.NotFound, "not_found");

        // Tenants and reviewers are not parties to the share; the metering feed and transactions are the operator's.
        var (_, tenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: a.TenantId);
        var (_, reviewer) = await Marketplace.TokenAsync(server, "reviewer", publisherId: a.PublisherId, geographies: ["eu"]);
        foreach (var token in new[] { tenantAdmin, reviewer })
        {
            (await server.GetAsync($"/admin/v1/publishers/{a.PublisherId}/share?period={Period}", token)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        }

        (await server.GetAsync("/admin/v1/metering-feed", publisherA)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        (await server.GetAsync("/admin/v1/transactions", publisherA)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        (await server.GetAsync($"/admin/v1/publishers/{a.PublisherId}/share", publisherA)).AssertProblem(HttpStatusCode.BadRequest, "validation", "period");
    }
}
