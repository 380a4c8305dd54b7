using System.Net;
using System.Text.Json;
using Meridian.Core.Marketplace;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Retention modes: <c>none</c> records a flagged request's case as metadata and never its content; an offer that requires
/// retention refuses every request of a <c>none</c> deployment the operator has not exempted, before anything is stored.
/// </summary>
public sealed class RetentionModeTests : IAsyncLifetime
{
    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Retention_none_with_an_operator_exemption_keeps_case_metadata_and_no_content_in_any_file()
    {
        const string Canary = "zqxnoretain4d1e8";
        await RequireRetentionAsync();
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_mode = "none" }, await TenantAdminAsync());
        var exempted = await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_exemption = true });
        Assert.StartsWith("token:", exempted.GetProperty("retention_exemption").GetProperty("granted_by").GetString());

        using var response = await _server.MessagesAsync($"Someone should shoot that politician. {Canary}", stream: true);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(response));

        Assert.Equal(RetentionMode.None, found.Retention);
        Assert.False(found.HasSnapshot);
        Assert.Equal("flag", found.Action);
        Assert.Contains(found.Categories, c => c.Category == "violence");
        var view = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}");
        Assert.Equal("not_retained", view.GetProperty("snapshot").GetString());
        Assert.Equal("none", view.GetProperty("retention").GetString());
        var (open, openText) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "look" });
        Assert.Equal(HttpStatusCode.Conflict, open.StatusCode);
        Assert.Contains("retention mode was 'none'", openText);

        // The scan sees what was written (the case's id is in its store) and never the canary.
        await _server.StopAsync();
        var files = await TestStores.PersistedFilesAsync(_server.DataDirectory);
        Assert.NotNull(await TestStores.FileContainingAsync(files, found.Id));
        Assert.Null(await TestStores.FileContainingAsync(files, Canary));
        Assert.DoesNotContain(_server.Log, line => line.Contains(Canary, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retention_none_without_exemption_on_an_offer_requiring_retention_fails_closed_and_writes_no_case()
    {
        const string Canary = "zqxrefused93c7a1";
        await RequireRetentionAsync();
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_mode = "none" }, await TenantAdminAsync());

        var requestIds = new List<string>();
        foreach (var stream in new[] { false, true })
        {
            using var response = await _server.MessagesAsync($"Someone should shoot that politician. {Canary}", stream);
            requestIds.Add(SafeguardsServer.RequestIdOf(response));
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var json = JsonDocument.Parse(text);
            Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
            Assert.Equal("permission_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
            Assert.Contains("requires flagged content to be retained", json.RootElement.GetProperty("error").GetProperty("message").GetString());
            Assert.DoesNotContain(Canary, text);
        }

        // Give the case writer every chance to show a case it should not have.
        await Task.Delay(300, TestContext.Current.CancellationToken);
        await _server.StopAsync();
        var files = await TestStores.PersistedFilesAsync(_server.DataDirectory);
        Assert.NotNull(await TestStores.FileContainingAsync(files, requestIds[0]));
        Assert.Null(await TestStores.FileContainingAsync(files, Canary));
        using var stores = TestStores.Geographies(_server.DataDirectory, "us", "eu");
        Assert.Equal(0, stores.For("us").Cases.Count());
        Assert.Equal(0, stores.For("eu").Cases.Count());
        foreach (var id in requestIds)
        {
            Assert.Equal("not_screened", (await stores.For("us").FindAsync(id, TestContext.Current.CancellationToken))!.SafeguardVerdict);
        }

    }

    [Fact]
    public async Task Revoking_the_exemption_fails_closed_again_and_standard_retention_serves_without_one()
    {
        await RequireRetentionAsync();
        var tenantAdmin = await TenantAdminAsync();
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_mode = "none", retention_exemption = true });
        using (var served = await _server.MessagesAsync("Hello"))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_exemption = false });
        using (var refused = await _server.MessagesAsync("Hello"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_mode = "standard" }, tenantAdmin);
        using var standard = await _server.MessagesAsync("Hello");
        Assert.Equal(HttpStatusCode.OK, standard.StatusCode);
    }

    [Fact]
    public async Task Only_the_operator_grants_an_exemption_and_every_retention_change_is_audited()
    {
        var tenantAdmin = await TenantAdminAsync();
        var publisherAdmin = await _server.TokenAsync("publisher-admin", publisherId: "pub_anthropic");

        var (denied, deniedText) = await _server.AdminAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_mode = "none", retention_exemption = true }, tenantAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("operator-admin", deniedText);
        Assert.Equal("standard", (await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/deployments/dep_demo")).GetProperty("retention_mode").GetString());

        var offer = await _server.AdminJsonAsync(HttpMethod.Put, "/admin/v1/offers/off_claude/retention", new { requires_retention = true }, publisherAdmin);
        Assert.True(offer.GetProperty("requires_retention").GetBoolean());
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_mode = "none" }, tenantAdmin);
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_exemption = true });
        await _server.AdminJsonAsync(HttpMethod.Patch, "/admin/v1/deployments/dep_demo", new { retention_exemption = false });

        var deployment = await ActionsAsync("deployment", "dep_demo");
        Assert.Contains("deployment.set_retention_mode", deployment);
        Assert.Contains("deployment.grant_retention_exemption", deployment);
        Assert.Contains("deployment.revoke_retention_exemption", deployment);
        Assert.Contains("offer.set_requires_retention", await ActionsAsync("offer", "off_claude"));
        Assert.Equal(HttpStatusCode.BadRequest,
            (await _server.AdminAsync(HttpMethod.Put, "/admin/v1/offers/off_claude/retention", new { requires_retention = "yes" })).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.AdminAsync(HttpMethod.Put, "/admin/v1/offers/off_claude/retention", new { })).Response.StatusCode);
    }

    /// <summary>
    /// The offer requires retention and the demo tenant, subscribed before, accepts it so that it binds the tenant now
    /// rather than when the notice ends.
    /// </summary>
    private async Task RequireRetentionAsync()
    {
        await _server.AdminJsonAsync(HttpMethod.Put, "/admin/v1/offers/off_claude/retention", new { requires_retention = true });
        await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/tenants/ten_demo/subscriptions", new { offer_id = "off_claude", accept_terms_version = 1 });
    }

    private Task<string> TenantAdminAsync() => _server.TokenAsync("tenant-admin", tenantId: "ten_demo");

    private async Task<List<string>> ActionsAsync(string objectType, string objectId) =>
        [.. (await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/audit?object_type={objectType}&object_id={objectId}"))
            .GetProperty("data").EnumerateArray().Select(a => a.GetProperty("action").GetString()!)];
}
