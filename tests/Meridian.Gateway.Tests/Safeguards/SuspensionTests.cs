using System.Net;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// Trust &amp; Safety decisions that stick, over real HTTP: a suspension holds for whatever the tenant makes to replace
/// what it suspended (a rotated key, a new key of the resource, a deployment recreated under the same name), shows as
/// <c>suspended</c> wherever the thing is listed, and ends only with a lifting decision — with a reason, by a role allowed
/// to make it, in the case's access log and the audit log.
/// </summary>
public sealed class SuspensionTests : IAsyncLifetime
{
    private const string FlaggedText = "Someone should shoot that politician.";

    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_suspended_key_stays_suspended_through_rotation_and_new_keys_of_its_resource_until_a_reviewer_lifts_it()
    {
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");
        var reviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        var created = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/keys", new { name = "abusive app" }, tenantAdmin);
        var (keyId, key) = (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
        var found = await _server.FlaggedCaseAsync(key: key);
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "suspend_key", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);

        // Shown as suspended, with when, by whose Trust & Safety and on which case; the tenant is not shown the reviewer.
        var shown = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/keys/{keyId}", token: tenantAdmin);
        Assert.Equal("suspended", shown.GetProperty("status").GetString());
        var suspension = Assert.Single(shown.GetProperty("suspensions").EnumerateArray().ToList());
        Assert.Equal((found.Id, "publisher", "key"),
            (suspension.GetProperty("case_id").GetString(), suspension.GetProperty("party").GetString(), suspension.GetProperty("scope").GetString()));
        Assert.True(suspension.TryGetProperty("suspended_at", out _));
        Assert.False(suspension.TryGetProperty("suspended_by", out _));
        var asOperator = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/keys/{keyId}");
        Assert.StartsWith("token:", asOperator.GetProperty("suspensions")[0].GetProperty("suspended_by").GetString());
        var suspensionId = suspension.GetProperty("id").GetString()!;

        // The tenant admin rotates it and creates another key in the same resource: both are born suspended and refused.
        var rotated = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/keys/{keyId}/rotate", new { overlap_seconds = 3600 }, tenantAdmin);
        Assert.Equal("suspended", rotated.GetProperty("status").GetString());
        var fresh = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/keys", new { name = "replacement" }, tenantAdmin);
        Assert.Equal("suspended", fresh.GetProperty("status").GetString());
        string[] suspendedKeys = [key, rotated.GetProperty("key").GetString()!, fresh.GetProperty("key").GetString()!];
        foreach (var refused in suspendedKeys)
        {
            await AssertRefusedAsync(refused, "API key has been suspended");
        }

        // A key that existed before the decision is not the suspended key's replacement (suspend the resource for that).
        using (var other = await _server.MessagesAsync("Hello"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        var listed = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/resources/res_demo/keys", token: tenantAdmin);
        var statuses = listed.GetProperty("data").EnumerateArray().ToDictionary(k => k.GetProperty("id").GetString()!, k => k.GetProperty("status").GetString());
        Assert.Equal("suspended", statuses[rotated.GetProperty("id").GetString()!]);
        Assert.Equal("suspended", statuses[fresh.GetProperty("id").GetString()!]);

        // Lifting is a decision of its own: the tenant cannot make it, a reviewer must give a reason.
        var byTenant = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "we fixed our app" }, tenantAdmin);
        Assert.Equal(HttpStatusCode.Forbidden, byTenant.Response.StatusCode);
        var noReason = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "  " }, reviewer);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.Response.StatusCode);
        Assert.Contains("reason", noReason.Text);
        await AssertRefusedAsync(key, "suspended");

        var lifted = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift",
            new { reason = "Appeal upheld: the app now filters its users' prompts.", reason_code = "remediated" }, reviewer);
        Assert.Equal("lifted", lifted.GetProperty("status").GetString());
        Assert.Equal("remediated", lifted.GetProperty("lift").GetProperty("reason_code").GetString());
        foreach (var served in suspendedKeys)
        {
            using var response = await _server.MessagesAsync("Hello again", key: served);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("active", (await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/keys/{keyId}", token: tenantAdmin)).GetProperty("status").GetString());
        var again = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "twice" }, reviewer);
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);

        // Recorded in the case's access log (the hash chain still verifies) and in the audit log.
        var access = (await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}/access", token: reviewer)).GetProperty("data").EnumerateArray().ToList();
        var lift = Assert.Single(access, e => e.GetProperty("event").GetString() == "lift");
        Assert.Equal("Appeal upheld: the app now filters its users' prompts.", lift.GetProperty("reason").GetString());
        Assert.True((await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/cases/access-log/verify?geography=us")).GetProperty("valid").GetBoolean());
        var audit = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/audit?object_type=api_key&object_id={keyId}");
        var actions = audit.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Contains("key.suspend", actions);
        Assert.Contains("key.lift_suspension", actions);

        // The tenant sees that it was lifted and why in words it may be shown, never the reviewer's text.
        var tenantAccess = await _server.AdminAsync(HttpMethod.Get, $"/admin/v1/tenants/ten_demo/cases/{found.Id}/access", token: tenantAdmin);
        Assert.Contains("\"lift\"", tenantAccess.Text);
        Assert.Contains("remediated", tenantAccess.Text);
        Assert.DoesNotContain("filters its users", tenantAccess.Text);
    }

    [Fact]
    public async Task A_suspended_deployment_name_stays_suspended_when_the_deployment_is_deleted_and_recreated()
    {
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");
        var first = await CreateDeploymentAsync("moderated", tenantAdmin);
        using var flagged = await _server.MessagesAsync(FlaggedText, model: "moderated");
        Assert.Equal(HttpStatusCode.OK, flagged.StatusCode);
        var found = await _server.WaitForCaseAsync(SafeguardsServer.RequestIdOf(flagged));
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "suspend_deployment", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });
        Assert.Equal("suspended", (await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/deployments/{first}", token: tenantAdmin)).GetProperty("status").GetString());

        var deleted = await _server.AdminAsync(HttpMethod.Delete, $"/admin/v1/deployments/{first}", token: tenantAdmin);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Response.StatusCode);
        var recreated = await CreateDeploymentAsync("moderated", tenantAdmin);

        await AssertRefusedAsync(SafeguardsServer.DemoKey, "deployment 'moderated' has been suspended", model: "moderated");
        var shown = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/deployments/{recreated}", token: tenantAdmin);
        Assert.Equal("suspended", shown.GetProperty("status").GetString());
        Assert.Equal(found.Id, shown.GetProperty("suspensions")[0].GetProperty("case_id").GetString());
        var listed = await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/resources/res_demo/deployments", token: tenantAdmin);
        var statuses = listed.GetProperty("data").EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("status").GetString());
        Assert.Equal(("suspended", "active"), (statuses["moderated"], statuses["claude-sonnet-5"]));
        using (var other = await _server.MessagesAsync("Hello"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        var suspensionId = shown.GetProperty("suspensions")[0].GetProperty("id").GetString()!;
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "Decided in error.", reason_code = "decided_in_error" });
        using var served = await _server.MessagesAsync("Hello", model: "moderated");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Only_the_operator_suspends_a_tenant_and_then_every_key_and_view_of_the_tenant_is_suspended()
    {
        var publisherReviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        var found = await _server.FlaggedCaseAsync();
        foreach (var action in new[] { "suspend_resource", "suspend_tenant" })
        {
            var (response, text) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action, rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, publisherReviewer);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("operator", text);
        }

        Assert.Equal("open", (await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}")).GetProperty("status").GetString());
        var operatorReviewer = await _server.TokenAsync("reviewer", geographies: ["us"]);
        var tenantAdmin = await _server.TokenAsync("tenant-admin", tenantId: "ten_demo");
        var before = await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/keys", new { name = "made before" }, tenantAdmin);

        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "suspend_tenant", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });

        await AssertRefusedAsync(SafeguardsServer.DemoKey, "tenant has been suspended");
        await AssertRefusedAsync(before.GetProperty("key").GetString()!, "tenant has been suspended");
        Assert.Equal("suspended", (await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/tenants/ten_demo", token: tenantAdmin)).GetProperty("status").GetString());
        Assert.Equal("suspended", (await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/resources/res_demo", token: tenantAdmin)).GetProperty("status").GetString());
        Assert.Equal("suspended", (await _server.AdminJsonAsync(HttpMethod.Get, "/admin/v1/deployments/dep_demo", token: tenantAdmin)).GetProperty("status").GetString());

        // The publisher's reviewer may not lift the operator's decision; the operator's reviewers may.
        var standing = await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/suspensions?status=standing&case_id={found.Id}");
        var suspensionId = Assert.Single(standing.GetProperty("data").EnumerateArray().ToList()).GetProperty("id").GetString()!;
        var byPublisher = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "not ours to keep" }, publisherReviewer);
        Assert.Equal(HttpStatusCode.Forbidden, byPublisher.Response.StatusCode);
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "Reviewed on appeal." }, operatorReviewer);
        using var served = await _server.MessagesAsync("Hello");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task A_publisher_suspension_is_lifted_by_its_reviewers_or_the_operator_and_by_no_one_else()
    {
        var found = await _server.FlaggedCaseAsync();
        var reviewer = await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["us"]);
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "violation", action = "suspend_deployment", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" }, reviewer);
        var suspensionId = (await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/suspensions?case_id={found.Id}", token: reviewer))
            .GetProperty("data")[0].GetProperty("id").GetString()!;
        var otherPublisher = (await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/publishers", new { name = "Other Publisher", contact_email = "ts@other.example" }))
            .GetProperty("id").GetString()!;

        var outsiders = new[]
        {
            await _server.TokenAsync("reviewer", publisherId: otherPublisher, geographies: ["us"]),
            await _server.TokenAsync("reviewer", publisherId: "pub_anthropic", geographies: ["eu"]),
            await _server.TokenAsync("reviewer", tenantId: "ten_demo", geographies: ["us"]),
            await _server.TokenAsync("publisher-admin", publisherId: "pub_anthropic"),
            await _server.TokenAsync("tenant-admin", tenantId: "ten_demo"),
            await _server.TokenAsync("tenant-developer", tenantId: "ten_demo"),
        };
        foreach (var outsider in outsiders)
        {
            var (response, text) = await _server.AdminAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "let it go" }, outsider);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, text);
        }

        Assert.DoesNotContain(_server.Stores.For("us").Cases.AccessLog(found.Id), e => e.Event == "lift");
        await AssertRefusedAsync(SafeguardsServer.DemoKey, "suspended");
        var lifted = await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/suspensions/{suspensionId}/lift", new { reason = "Appeal upheld." }, reviewer);
        Assert.StartsWith("token:", lifted.GetProperty("lift").GetProperty("lifted_by").GetString());
    }

    private async Task AssertRefusedAsync(string key, string says, string model = SafeguardsServer.Model)
    {
        using var response = await _server.MessagesAsync("Hello", key: key, model: model);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        Assert.Equal("permission_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(says, json.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    private async Task<string> CreateDeploymentAsync(string name, string token) =>
        (await _server.AdminJsonAsync(HttpMethod.Post, "/admin/v1/resources/res_demo/deployments", new
        {
            name,
            offer_id = "off_claude",
            model_id = "claude-sonnet-5",
            hosting_option = "platform",
            deployment_type = "datazone",
        }, token)).GetProperty("id").GetString()!;
}
