using System.Net;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Admin;

/// <summary>
/// "Who changed what" answered from the audit trail: records name their actor's token by name, and filter by actor (id or
/// name), action (or its group), object and time; a key has one object type whatever was done to it.
/// </summary>
public sealed class AuditFilterTests(AdminServer server) : IClassFixture<AdminServer>
{
    [Fact]
    public async Task Records_carry_the_actor_name_and_filter_by_actor_id_or_name()
    {
        var (tokenId, token) = await Marketplace.TokenAsync(server, "operator-admin");
        var name = (await server.GetAsync($"/admin/v1/tokens/{tokenId}")).Json.GetProperty("name").GetString()!;
        var tenant = (await server.CreateAsync("/admin/v1/tenants", new
        {
            name = Marketplace.Unique("Audited"),
            billing_contact = new { name = "Ann Audit", email = "ann@audit.example" },
        }, token)).GetProperty("id").GetString()!;

        foreach (var actor in new[] { $"token:{tokenId}", name })
        {
            var records = await AuditAsync($"actor={Uri.EscapeDataString(actor)}");
            var record = Assert.Single(records);
            Assert.Equal($"token:{tokenId}", record.GetProperty("actor").GetString());
            Assert.Equal(name, record.GetProperty("actor_name").GetString());
            Assert.Equal("tenant.create", record.GetProperty("action").GetString());
            Assert.Equal(tenant, record.GetProperty("object_id").GetString());
        }

        Assert.Empty(await AuditAsync("actor=nobody-by-that-name"));
    }

    [Fact]
    public async Task A_key_has_one_object_type_and_actions_filter_exactly_or_by_group()
    {
        var tenant = await Marketplace.TenantAsync(server);
        var resource = await Marketplace.ResourceAsync(server, tenant);
        var (keyId, _) = await Marketplace.KeyAsync(server, resource);
        Assert.True((await server.SendAsync(HttpMethod.Put, $"/admin/v1/keys/{keyId}/limits", body: new { rpm = 5 })).IsSuccess);
        Assert.True((await server.PostAsync($"/admin/v1/keys/{keyId}/revoke", null)).IsSuccess);

        var ofKey = await AuditAsync($"object_id={keyId}");
        Assert.Equal(["api_key"], ofKey.Select(r => r.GetProperty("object_type").GetString()).Distinct());
        Assert.Equal(["key.revoke", "limits.set", "key.create"], ofKey.Select(r => r.GetProperty("action").GetString()));

        Assert.Equal(["limits.set"], (await AuditAsync($"object_id={keyId}&action=limits.set")).Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(["key.revoke", "key.create"], (await AuditAsync($"object_type=api_key&object_id={keyId}&action=key")).Select(r => r.GetProperty("action").GetString()));
        Assert.Empty(await AuditAsync($"object_id={keyId}&action=ke"));
    }

    [Fact]
    public async Task Time_bounds_are_half_open_and_a_bad_time_is_a_field_error()
    {
        var tenant = await Marketplace.TenantAsync(server);
        var created = Assert.Single(await AuditAsync($"object_id={tenant}"));
        var at = created.GetProperty("at").GetDateTimeOffset();
        string Time(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));

        Assert.Single(await AuditAsync($"object_id={tenant}&from={Time(at)}&to={Time(at.AddTicks(1))}"));
        Assert.Empty(await AuditAsync($"object_id={tenant}&to={Time(at)}"));
        Assert.Empty(await AuditAsync($"object_id={tenant}&from={Time(at.AddTicks(1))}"));

        (await server.GetAsync("/admin/v1/audit?from=yesterday")).AssertProblem(HttpStatusCode.BadRequest, "validation", "from");
    }

    private async Task<JsonElement[]> AuditAsync(string query)
    {
        var response = await server.GetAsync($"/admin/v1/audit?limit=200&{query}");
        Assert.True(response.IsSuccess, response.Text);
        return [.. response.Json.GetProperty("data").EnumerateArray()];
    }
}
