using Meridian.Gateway.Tests.Admin;

namespace Meridian.Gateway.Tests.Metering;

/// <summary>
/// The billing rows of the authorization matrix (docs/admin-api.md): every role × every billing and limits endpoint →
/// the designed answer. "A" is the callers' own tenant or publisher, "B" someone else's.
/// </summary>
public sealed class BillingAuthorizationTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task Every_role_gets_exactly_the_designed_answer_from_every_billing_endpoint()
    {
        var a = await MeteringWorld.CreateAsync(server);
        var b = await MeteringWorld.CreateAsync(server);
        var (_, publisherAdmin) = await Marketplace.TokenAsync(server, "publisher-admin", publisherId: a.PublisherId);
        var (_, reviewer) = await Marketplace.TokenAsync(server, "reviewer", publisherId: a.PublisherId, geographies: ["eu"]);
        var (_, tenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: a.TenantId);
        var (_, developer) = await Marketplace.TokenAsync(server, "tenant-developer", tenantId: a.TenantId);
        string?[] callers = [AdminServer.OperatorToken, publisherAdmin, reviewer, tenantAdmin, developer, null];
        var P = Core.Billing.BillingPeriod.Of(DateTimeOffset.UtcNow).ToString();

        var rows = new (string Endpoint, HttpMethod Method, string Path, object? Body, string Expected)[]
        {
            //                                                                                                               op   pubA rev  tenA devA none
            ("GET invoices A", HttpMethod.Get, $"/admin/v1/tenants/{a.TenantId}/invoices?period={P}", null,                  "2    403  403  2    2    401"),
            ("GET invoices B", HttpMethod.Get, $"/admin/v1/tenants/{b.TenantId}/invoices?period={P}", null,                  "2    403  403  404  404  401"),
            ("GET daily usage A", HttpMethod.Get, $"/admin/v1/tenants/{a.TenantId}/usage/daily?period={P}", null,            "2    403  403  2    2    401"),
            ("GET daily usage B", HttpMethod.Get, $"/admin/v1/tenants/{b.TenantId}/usage/daily?period={P}", null,            "2    403  403  404  404  401"),
            ("POST issue (open period)", HttpMethod.Post, $"/admin/v1/tenants/{a.TenantId}/invoices/{P}/issue", null,         "409  403  403  403  403  401"),
            ("GET settlement A", HttpMethod.Get, $"/admin/v1/publishers/{a.PublisherId}/settlement?period={P}", null,        "2    2    403  403  403  401"),
            ("GET settlement B", HttpMethod.Get, $"/admin/v1/publishers/{b.PublisherId}/settlement?period={P}", null,        "2    404  403  403  403  401"),
            ("GET share A", HttpMethod.Get, $"/admin/v1/publishers/{a.PublisherId}/share?period={P}", null,                  "2    2    403  403  403  401"),
            ("GET share B", HttpMethod.Get, $"/admin/v1/publishers/{b.PublisherId}/share?period={P}", null,                  "2    404  403  403  403  401"),
            ("GET metering-feed", HttpMethod.Get, "/admin/v1/metering-feed", null,                                            "2    403  403  403  403  401"),
            ("GET transactions", HttpMethod.Get, "/admin/v1/transactions", null,                                              "2    403  403  403  403  401"),
            ("GET fee A", HttpMethod.Get, $"/admin/v1/offers/{a.OfferId}/fee", null,                                          "2    2    403  403  403  401"),
            ("GET fee B", HttpMethod.Get, $"/admin/v1/offers/{b.OfferId}/fee", null,                                          "2    403  403  403  403  401"),
            ("PUT fee A", HttpMethod.Put, $"/admin/v1/offers/{a.OfferId}/fee", new { fee_percent = "20" },                    "2    403  403  403  403  401"),
            ("GET tenant limits A", HttpMethod.Get, $"/admin/v1/tenants/{a.TenantId}/limits", null,                          "2    403  403  2    2    401"),
            ("GET tenant limits B", HttpMethod.Get, $"/admin/v1/tenants/{b.TenantId}/limits", null,                          "2    403  403  404  404  401"),
            ("PUT tenant limits A", HttpMethod.Put, $"/admin/v1/tenants/{a.TenantId}/limits", new { monthly_budget_usd = "1000" },
                                                                                                                             "2    403  403  2    403  401"),
            ("PUT tenant limits B", HttpMethod.Put, $"/admin/v1/tenants/{b.TenantId}/limits", new { monthly_budget_usd = "1000" },
                                                                                                                             "2    403  403  404  404  401"),
            ("GET deployment limits A", HttpMethod.Get, $"/admin/v1/deployments/{a.DeploymentId}/limits", null,              "2    403  403  2    2    401"),
            ("GET deployment limits B", HttpMethod.Get, $"/admin/v1/deployments/{b.DeploymentId}/limits", null,              "2    403  403  404  404  401"),
            ("PUT deployment limits A", HttpMethod.Put, $"/admin/v1/deployments/{a.DeploymentId}/limits", new { rpm = 600 }, "2    403  403  2    403  401"),
            ("PUT deployment limits B", HttpMethod.Put, $"/admin/v1/deployments/{b.DeploymentId}/limits", new { rpm = 600 }, "2    403  403  404  404  401"),
            ("GET key limits A", HttpMethod.Get, $"/admin/v1/keys/{a.KeyId}/limits", null,                                   "2    403  403  2    2    401"),
            ("GET key limits B", HttpMethod.Get, $"/admin/v1/keys/{b.KeyId}/limits", null,                                   "2    403  403  404  404  401"),
            ("PUT key limits A", HttpMethod.Put, $"/admin/v1/keys/{a.KeyId}/limits", new { rpm = 600 },                      "2    403  403  2    403  401"),
            ("PUT key limits B", HttpMethod.Put, $"/admin/v1/keys/{b.KeyId}/limits", new { rpm = 600 },                      "2    403  403  404  404  401"),
        };

        var failures = new List<string>();
        foreach (var (endpoint, method, path, body, expected) in rows)
        {
            var cells = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < callers.Length; i++)
            {
                var response = await server.SendAsync(method, path, callers[i], body);
                var ok = cells[i] == "2" ? response.IsSuccess : (int)response.Status == int.Parse(cells[i], System.Globalization.CultureInfo.InvariantCulture);
                if (!ok)
                {
                    failures.Add($"{endpoint} as caller #{i}: expected {cells[i]}, got {(int)response.Status} {response.Text}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
