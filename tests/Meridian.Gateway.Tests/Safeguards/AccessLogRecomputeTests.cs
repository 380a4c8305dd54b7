using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Meridian.Gateway.Tests.Safeguards;

/// <summary>
/// The access log's chain is recomputable from what the API serves: every entry's hash follows from its own served
/// fields and the hash before it, by the formula docs/safeguards.md gives ("Access log") — no hidden formatting.
/// </summary>
public sealed class AccessLogRecomputeTests : IAsyncLifetime
{
    private readonly SafeguardsServer _server = new();

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Each_served_entrys_hash_is_recomputed_from_its_served_fields_and_changing_any_field_breaks_it()
    {
        var found = await _server.FlaggedCaseAsync();
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/open", new { reason = "triage, with | bars and é", reason_code = "escalation" });
        await _server.AdminJsonAsync(HttpMethod.Post, $"/admin/v1/cases/{found.Id}/decision", new { decision = "no_violation", rationale = "Decided in a test", not_opened_reason = "The metadata suffices in this test" });

        var entries = (await _server.AdminJsonAsync(HttpMethod.Get, $"/admin/v1/cases/{found.Id}/access")).GetProperty("data").EnumerateArray().ToList();

        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal(e.GetProperty("hash").GetString(), Recompute(e)));
        var opened = entries[0];
        Assert.NotEqual(opened.GetProperty("hash").GetString(), Recompute(opened, at: opened.GetProperty("at").GetString()!.Replace("Z", "+00:00", StringComparison.Ordinal)));
        Assert.NotEqual(opened.GetProperty("hash").GetString(), Recompute(opened, reason: "triage"));
    }

    /// <summary>The documented formula: SHA-256 hex of prev_hash | seq | len:at | len:actor | len:case | len:event | len:reason [| len:reason_code].</summary>
    private static string Recompute(JsonElement entry, string? at = null, string? reason = null)
    {
        var text = new StringBuilder(entry.GetProperty("previous_hash").GetString()).Append('|').Append(entry.GetProperty("seq").GetInt64().ToString(CultureInfo.InvariantCulture));
        var code = entry.GetProperty("reason_code").GetString();
        List<string> fields =
        [
            at ?? entry.GetProperty("at").GetString()!, entry.GetProperty("actor").GetString()!, entry.GetProperty("case_id").GetString()!,
            entry.GetProperty("event").GetString()!, reason ?? entry.GetProperty("reason").GetString() ?? string.Empty,
        ];
        if (code is not null)
        {
            fields.Add(code);
        }

        foreach (var field in fields)
        {
            text.Append('|').Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
