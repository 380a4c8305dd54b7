using System.Text;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// Every role × every admin endpoint → the designed answer (docs/admin-api.md, "Authorization matrix"):
/// <c>2</c> any 2xx; <c>401</c>, <c>403</c>, <c>404</c> exactly. Tenant and publisher "A" are the callers' own;
/// "B" are someone else's. Each mutating cell acts on objects created for it alone.
/// </summary>
public sealed class AuthorizationMatrixTests(AdminServer server) : IClassFixture<AdminServer>
{
    private const string Columns = "operator  publisher-admin(A)  reviewer(A)  tenant-admin(A)  tenant-developer(A)  no-token  bad-token";

    [Fact]
    public async Task Every_role_gets_exactly_the_designed_answer_from_every_endpoint()
    {
        var w = await World.BuildAsync(server);
        string?[] callers = [AdminServer.OperatorToken, w.PublisherAdmin, w.Reviewer, w.TenantAdmin, w.Developer, null, "mat-00000000-NotARealTokenAtAll000000"];

        // Each row: endpoint, what to send (prepared per cell), expected answers in the order of Columns.
        var rows = new List<(string Endpoint, Func<Task<Request>> Prepare, string Expected)>
        {
            //                                                                                               op   pubA rev  tenA devA none bad
            ("GET /whoami", () => Get("/admin/v1/whoami"),                                                   "2    2    2    2    2    401  401"),
            ("GET /world", () => Get("/admin/v1/world"),                                                     "2    2    2    2    2    401  401"),
            ("GET /world/regions/{r}", () => Get("/admin/v1/world/regions/eastus"),                          "2    2    2    2    2    401  401"),
            ("PUT /world/regions/{r}", () => Send(HttpMethod.Put, $"/admin/v1/world/regions/{Place()}", new { geography = "eu", data_zone = "eu", display_name = "New", confirm_widening = true }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("GET /publishers", () => Get("/admin/v1/publishers"),                                           "2    2    2    403  403  401  401"),
            ("POST /publishers", () => Post("/admin/v1/publishers", new { name = Marketplace.Unique("P"), contact_email = "p@p.example" }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("GET /publishers/{A}", () => Get($"/admin/v1/publishers/{w.PublisherA}"),                       "2    2    2    403  403  401  401"),
            ("GET /publishers/{B}", () => Get($"/admin/v1/publishers/{w.PublisherB}"),                       "2    404  404  403  403  401  401"),
            ("GET /offers", () => Get("/admin/v1/offers"),                                                   "2    2    2    2    2    401  401"),
            ("GET /offers/{A}", () => Get($"/admin/v1/offers/{w.OfferA}"),                                   "2    2    2    2    2    401  401"),
            ("GET /offers/{A}/terms", () => Get($"/admin/v1/offers/{w.OfferA}/terms"),                       "2    2    2    2    2    401  401"),
            ("POST /offers (pub A)", () => Post("/admin/v1/offers", Marketplace.OfferBody(w.PublisherA)),    "2    2    403  403  403  401  401"),
            ("POST /offers (pub B)", () => Post("/admin/v1/offers", Marketplace.OfferBody(w.PublisherB)),    "2    403  403  403  403  401  401"),
            ("PATCH /offers/{A}", () => Send(HttpMethod.Patch, $"/admin/v1/offers/{w.OfferA}", new { prices = new { input = "3.00" } }),
                                                                                                             "2    2    403  403  403  401  401"),
            ("PATCH /offers/{B}", () => Send(HttpMethod.Patch, $"/admin/v1/offers/{w.OfferB}", new { prices = new { input = "3.00" } }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("POST /offers/{A}/terms", () => Post($"/admin/v1/offers/{w.OfferATerms}/terms", new { text = "Newer terms." }),
                                                                                                             "2    2    403  403  403  401  401"),
            ("POST /offers/{B}/terms", () => Post($"/admin/v1/offers/{w.OfferBTerms}/terms", new { text = "Newer terms." }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("GET /offers/{A}/acceptances", () => Get($"/admin/v1/offers/{w.OfferA}/acceptances"),           "2    2    403  403  403  401  401"),
            ("GET /offers/{B}/acceptances", () => Get($"/admin/v1/offers/{w.OfferB}/acceptances"),           "2    403  403  403  403  401  401"),
            ("GET /tenants", () => Get("/admin/v1/tenants"),                                                 "2    403  403  2    2    401  401"),
            ("POST /tenants", () => Post("/admin/v1/tenants", new { name = Marketplace.Unique("T"), billing_contact = new { name = "N", email = "n@t.example" } }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("GET /tenants/{A}", () => Get($"/admin/v1/tenants/{w.TenantA}"),                                "2    403  403  2    2    401  401"),
            ("GET /tenants/{B}", () => Get($"/admin/v1/tenants/{w.TenantB}"),                                "2    403  403  404  404  401  401"),
            ("GET /tenants/{A}/subscriptions", () => Get($"/admin/v1/tenants/{w.TenantA}/subscriptions"),    "2    403  403  2    2    401  401"),
            ("GET /tenants/{B}/subscriptions", () => Get($"/admin/v1/tenants/{w.TenantB}/subscriptions"),    "2    403  403  404  404  401  401"),
            ("GET /tenants/{A}/acceptances", () => Get($"/admin/v1/tenants/{w.TenantA}/acceptances"),        "2    403  403  2    2    401  401"),
            ("GET /tenants/{B}/acceptances", () => Get($"/admin/v1/tenants/{w.TenantB}/acceptances"),        "2    403  403  404  404  401  401"),
            ("GET /tenants/{A}/boundary-report", () => Get($"/admin/v1/tenants/{w.TenantA}/boundary-report"), "2    403  403  2    2    401  401"),
            ("GET /tenants/{B}/boundary-report", () => Get($"/admin/v1/tenants/{w.TenantB}/boundary-report"), "2    403  403  404  404  401  401"),
            ("GET /tenants/{A}/notices", () => Get($"/admin/v1/tenants/{w.TenantA}/notices"),                 "2    403  403  2    2    401  401"),
            ("GET /tenants/{B}/notices", () => Get($"/admin/v1/tenants/{w.TenantB}/notices"),                 "2    403  403  404  404  401  401"),
            ("GET /tenants/{A}/receipts", () => Get($"/admin/v1/tenants/{w.TenantA}/receipts"),               "2    403  403  2    2    401  401"),
            ("GET /tenants/{B}/receipts", () => Get($"/admin/v1/tenants/{w.TenantB}/receipts"),               "2    403  403  404  404  401  401"),
            ("POST /tenants/{A}/subscriptions", () => Post($"/admin/v1/tenants/{w.TenantA}/subscriptions", new { offer_id = w.OfferA, accept_terms_version = 1 }),
                                                                                                             "2    403  403  2    403  401  401"),
            ("POST /tenants/{B}/subscriptions", () => Post($"/admin/v1/tenants/{w.TenantB}/subscriptions", new { offer_id = w.OfferA, accept_terms_version = 1 }),
                                                                                                             "2    403  403  404  404  401  401"),
            ("GET /tenants/{A}/resources", () => Get($"/admin/v1/tenants/{w.TenantA}/resources"),            "2    403  403  2    2    401  401"),
            ("POST /tenants/{A}/resources", () => Post($"/admin/v1/tenants/{w.TenantA}/resources", new { name = Marketplace.Unique("r"), region = "eastus" }),
                                                                                                             "2    403  403  2    403  401  401"),
            ("POST /tenants/{B}/resources", () => Post($"/admin/v1/tenants/{w.TenantB}/resources", new { name = Marketplace.Unique("r"), region = "eastus" }),
                                                                                                             "2    403  403  404  404  401  401"),
            ("GET /resources/{A}", () => Get($"/admin/v1/resources/{w.ResourceA}"),                          "2    403  403  2    2    401  401"),
            ("GET /resources/{B}", () => Get($"/admin/v1/resources/{w.ResourceB}"),                          "2    403  403  404  404  401  401"),
            ("GET /resources/{A}/deployments", () => Get($"/admin/v1/resources/{w.ResourceA}/deployments"),  "2    403  403  2    2    401  401"),
            ("GET /resources/{B}/deployments", () => Get($"/admin/v1/resources/{w.ResourceB}/deployments"),  "2    403  403  404  404  401  401"),
            ("POST /resources/{A}/deployments", () => Post($"/admin/v1/resources/{w.ResourceA}/deployments", Marketplace.PlatformDeployment(w.OfferA)),
                                                                                                             "2    403  403  2    403  401  401"),
            ("POST /resources/{B}/deployments", () => Post($"/admin/v1/resources/{w.ResourceB}/deployments", Marketplace.PlatformDeployment(w.OfferA)),
                                                                                                             "2    403  403  404  404  401  401"),
            ("GET /deployments/{A}", () => Get($"/admin/v1/deployments/{w.DeploymentA}"),                    "2    403  403  2    2    401  401"),
            ("GET /deployments/{B}", () => Get($"/admin/v1/deployments/{w.DeploymentB}"),                    "2    403  403  404  404  401  401"),
            ("DELETE /deployments/{A}", async () => Delete($"/admin/v1/deployments/{await w.NewDeploymentAsync(w.ResourceA)}"),
                                                                                                             "2    403  403  2    403  401  401"),
            ("DELETE /deployments/{B}", async () => Delete($"/admin/v1/deployments/{await w.NewDeploymentAsync(w.ResourceB)}"),
                                                                                                             "2    403  403  404  404  401  401"),
            ("PATCH /deployments/{A} reviewed_by", () => Send(HttpMethod.Patch, $"/admin/v1/deployments/{w.DeploymentA}", new { reviewed_by = "publisher" }),
                                                                                                             "2    403  403  2    403  401  401"),
            ("PATCH /deployments/{B} reviewed_by", () => Send(HttpMethod.Patch, $"/admin/v1/deployments/{w.DeploymentB}", new { reviewed_by = "publisher" }),
                                                                                                             "2    403  403  404  404  401  401"),
            ("PATCH /deployments/{A} retention_exemption", () => Send(HttpMethod.Patch, $"/admin/v1/deployments/{w.DeploymentA}", new { retention_exemption = false }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("PUT /offers/{A}/retention", () => Send(HttpMethod.Put, $"/admin/v1/offers/{w.OfferATerms}/retention", new { requires_retention = false }),
                                                                                                             "2    2    403  403  403  401  401"),
            ("PUT /offers/{B}/retention", () => Send(HttpMethod.Put, $"/admin/v1/offers/{w.OfferBTerms}/retention", new { requires_retention = false }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("GET /cases", () => Get("/admin/v1/cases"),                                                     "2    403  2    403  403  401  401"),
            ("GET /suspensions", () => Get("/admin/v1/suspensions"),                                         "2    403  2    403  403  401  401"),
            ("GET /tenants/{A}/cases", () => Get($"/admin/v1/tenants/{w.TenantA}/cases"),                    "2    403  403  2    2    401  401"),
            ("GET /tenants/{B}/cases", () => Get($"/admin/v1/tenants/{w.TenantB}/cases"),                    "2    403  403  404  404  401  401"),
            ("GET /resources/{A}/keys", () => Get($"/admin/v1/resources/{w.ResourceA}/keys"),                "2    403  403  2    2    401  401"),
            ("GET /resources/{B}/keys", () => Get($"/admin/v1/resources/{w.ResourceB}/keys"),                "2    403  403  404  404  401  401"),
            ("POST /resources/{A}/keys", () => Post($"/admin/v1/resources/{w.ResourceA}/keys", new { name = "k" }),
                                                                                                             "2    403  403  2    2    401  401"),
            ("POST /resources/{B}/keys", () => Post($"/admin/v1/resources/{w.ResourceB}/keys", new { name = "k" }),
                                                                                                             "2    403  403  404  404  401  401"),
            ("GET /keys/{A, developer's own}", () => Get($"/admin/v1/keys/{w.DeveloperKeyA}"),               "2    403  403  2    2    401  401"),
            ("GET /keys/{A, not developer's}", () => Get($"/admin/v1/keys/{w.OperatorKeyA}"),                "2    403  403  2    404  401  401"),
            ("GET /keys/{B}", () => Get($"/admin/v1/keys/{w.KeyB}"),                                         "2    403  403  404  404  401  401"),
            ("POST /keys/{A, developer's own}/rotate", async () => await Post($"/admin/v1/keys/{await w.NewKeyAsync(w.ResourceA, w.Developer)}/rotate", new { overlap_seconds = 60 }),
                                                                                                             "2    403  403  2    2    401  401"),
            ("POST /keys/{A, not developer's}/rotate", async () => await Post($"/admin/v1/keys/{await w.NewKeyAsync(w.ResourceA)}/rotate", null),
                                                                                                             "2    403  403  2    404  401  401"),
            ("POST /keys/{B}/rotate", async () => await Post($"/admin/v1/keys/{await w.NewKeyAsync(w.ResourceB)}/rotate", null),
                                                                                                             "2    403  403  404  404  401  401"),
            ("POST /keys/{A, developer's own}/revoke", async () => await Post($"/admin/v1/keys/{await w.NewKeyAsync(w.ResourceA, w.Developer)}/revoke", null),
                                                                                                             "2    403  403  2    2    401  401"),
            ("POST /keys/{A, not developer's}/revoke", async () => await Post($"/admin/v1/keys/{await w.NewKeyAsync(w.ResourceA)}/revoke", null),
                                                                                                             "2    403  403  2    404  401  401"),
            ("POST /keys/{B}/revoke", async () => await Post($"/admin/v1/keys/{await w.NewKeyAsync(w.ResourceB)}/revoke", null),
                                                                                                             "2    403  403  404  404  401  401"),
            ("GET /tokens", () => Get("/admin/v1/tokens"),                                                   "2    403  403  2    403  401  401"),
            ("POST /tokens (developer of A)", () => Post("/admin/v1/tokens", new { role = "tenant-developer", name = "dev", tenant_id = w.TenantA }),
                                                                                                             "2    403  403  2    403  401  401"),
            ("POST /tokens (developer of B)", () => Post("/admin/v1/tokens", new { role = "tenant-developer", name = "dev", tenant_id = w.TenantB }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("POST /tokens (admin of A)", () => Post("/admin/v1/tokens", new { role = "tenant-admin", name = "adm", tenant_id = w.TenantA }),
                                                                                                             "2    403  403  403  403  401  401"),
            ("GET /tokens/{developer of A}", () => Get($"/admin/v1/tokens/{w.DeveloperTokenId}"),            "2    403  403  2    403  401  401"),
            ("GET /tokens/{developer of B}", () => Get($"/admin/v1/tokens/{w.DeveloperTokenIdB}"),           "2    403  403  404  403  401  401"),
            ("POST /tokens/{developer of A}/revoke", async () => await Post($"/admin/v1/tokens/{await w.NewDeveloperTokenAsync(w.TenantA)}/revoke", null),
                                                                                                             "2    403  403  2    403  401  401"),
            ("POST /tokens/{developer of B}/revoke", async () => await Post($"/admin/v1/tokens/{await w.NewDeveloperTokenAsync(w.TenantB)}/revoke", null),
                                                                                                             "2    403  403  404  403  401  401"),
            ("GET /audit", () => Get("/admin/v1/audit"),                                                     "2    403  403  403  403  401  401"),
            ("GET /backends", () => Get("/admin/v1/backends"),                                               "2    403  403  403  403  401  401"),
            ("GET /metrics", () => Get("/admin/v1/metrics"),                                                 "2    403  403  403  403  401  401"),
            ("GET /dashboard", () => Get("/admin/v1/dashboard"),                                             "2    403  403  403  403  401  401"),
        };

        var failures = new StringBuilder();
        foreach (var (endpoint, prepare, expected) in rows)
        {
            var expectations = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(callers.Length, expectations.Length);
            for (var i = 0; i < callers.Length; i++)
            {
                var request = await prepare();
                var response = await server.SendAsync(request.Method, request.Path, callers[i], request.Body);
                var actual = response.IsSuccess ? "2" : ((int)response.Status).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (actual != expectations[i])
                {
                    failures.AppendLine($"{endpoint} as {Columns.Split("  ", StringSplitOptions.RemoveEmptyEntries)[i].Trim()}: expected {expectations[i]}, got {actual}: {response.Text}");
                }
                else if (!response.IsSuccess)
                {
                    Assert.Equal("application/problem+json", response.MediaType);
                }
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static Task<Request> Get(string path) => Task.FromResult(new Request(HttpMethod.Get, path, null));

    private static Task<Request> Post(string path, object? body) => Task.FromResult(new Request(HttpMethod.Post, path, body));

    private static Task<Request> Send(HttpMethod method, string path, object body) => Task.FromResult(new Request(method, path, body));

    private static Request Delete(string path) => new(HttpMethod.Delete, path, null);

    private static string Place() => "r" + Guid.NewGuid().ToString("N")[..10];

    private sealed record Request(HttpMethod Method, string Path, object? Body);

    /// <summary>Publishers A and B, tenants A and B (both subscribed to offer A), their resources, keys and tokens.</summary>
    internal sealed class World(AdminServer server)
    {
        public string PublisherA { get; private set; } = null!;
        public string PublisherB { get; private set; } = null!;
        public string OfferA { get; private set; } = null!;
        public string OfferB { get; private set; } = null!;
        public string OfferATerms { get; private set; } = null!;
        public string OfferBTerms { get; private set; } = null!;
        public string TenantA { get; private set; } = null!;
        public string TenantB { get; private set; } = null!;
        public string ResourceA { get; private set; } = null!;
        public string ResourceB { get; private set; } = null!;
        public string DeploymentA { get; private set; } = null!;
        public string DeploymentB { get; private set; } = null!;
        public string OperatorKeyA { get; private set; } = null!;
        public string DeveloperKeyA { get; private set; } = null!;
        public string KeyB { get; private set; } = null!;
        public string PublisherAdmin { get; private set; } = null!;
        public string Reviewer { get; private set; } = null!;
        public string TenantAdmin { get; private set; } = null!;
        public string Developer { get; private set; } = null!;
        public string DeveloperTokenId { get; private set; } = null!;
        public string DeveloperTokenIdB { get; private set; } = null!;

        public static async Task<World> BuildAsync(AdminServer server)
        {
            var w = new World(server);
            w.PublisherA = await Marketplace.PublisherAsync(server);
            w.PublisherB = await Marketplace.PublisherAsync(server);
            w.OfferA = (await Marketplace.OfferAsync(server, w.PublisherA)).GetProperty("id").GetString()!;
            w.OfferB = (await Marketplace.OfferAsync(server, w.PublisherB)).GetProperty("id").GetString()!;
            // Separate offers take the new terms versions, so the tenants' subscription to offer A stays current.
            w.OfferATerms = (await Marketplace.OfferAsync(server, w.PublisherA)).GetProperty("id").GetString()!;
            w.OfferBTerms = (await Marketplace.OfferAsync(server, w.PublisherB)).GetProperty("id").GetString()!;
            w.TenantA = await Marketplace.TenantAsync(server);
            w.TenantB = await Marketplace.TenantAsync(server);
            await Marketplace.SubscribeAsync(server, w.TenantA, w.OfferA);
            await Marketplace.SubscribeAsync(server, w.TenantB, w.OfferA);
            w.ResourceA = await Marketplace.ResourceAsync(server, w.TenantA);
            w.ResourceB = await Marketplace.ResourceAsync(server, w.TenantB);
            w.DeploymentA = await w.NewDeploymentAsync(w.ResourceA);
            w.DeploymentB = await w.NewDeploymentAsync(w.ResourceB);
            (_, w.PublisherAdmin) = await Marketplace.TokenAsync(server, "publisher-admin", publisherId: w.PublisherA);
            (_, w.Reviewer) = await Marketplace.TokenAsync(server, "reviewer", publisherId: w.PublisherA, geographies: ["eu"]);
            (_, w.TenantAdmin) = await Marketplace.TokenAsync(server, "tenant-admin", tenantId: w.TenantA);
            (w.DeveloperTokenId, w.Developer) = await Marketplace.TokenAsync(server, "tenant-developer", tenantId: w.TenantA);
            (w.DeveloperTokenIdB, _) = await Marketplace.TokenAsync(server, "tenant-developer", tenantId: w.TenantB);
            w.OperatorKeyA = await w.NewKeyAsync(w.ResourceA);
            w.DeveloperKeyA = await w.NewKeyAsync(w.ResourceA, w.Developer);
            w.KeyB = await w.NewKeyAsync(w.ResourceB);
            return w;
        }

        public async Task<string> NewDeploymentAsync(string resource) =>
            (await Marketplace.DeploymentAsync(server, resource, OfferA)).GetProperty("id").GetString()!;

        public async Task<string> NewKeyAsync(string resource, string token = AdminServer.OperatorToken) =>
            (await Marketplace.KeyAsync(server, resource, token)).Id;

        public async Task<string> NewDeveloperTokenAsync(string tenant) =>
            (await Marketplace.TokenAsync(server, "tenant-developer", tenantId: tenant)).Id;
    }
}
