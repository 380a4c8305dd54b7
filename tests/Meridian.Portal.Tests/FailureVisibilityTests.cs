using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Meridian.Portal.Tests;

/// <summary>
/// A destructive action says what it does to callers before it is done, and one the API refuses says so on the page that
/// asked, with the API's own message — not only in the console.
/// </summary>
public sealed class FailureVisibilityTests(PortalFixture portal)
{
    [Fact]
    public async Task Revoking_the_last_operator_token_shows_the_refusal_next_to_the_button()
    {
        // The fixture's operator token is the only one, so the API refuses to revoke it; ask it for its message first.
        var tokens = await portal.AdminAsync(HttpMethod.Get, "tokens");
        var operatorToken = tokens.GetProperty("data").EnumerateArray()
            .Single(t => t.GetProperty("role").GetString() == "operator-admin" && (!t.TryGetProperty("revoked_at", out var revoked) || revoked.ValueKind == System.Text.Json.JsonValueKind.Null));
        var id = operatorToken.GetProperty("id").GetString()!;
        using var refused = await portal.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/admin/v1/tokens/{id}/revoke")
        {
            Headers = { { "Authorization", "Bearer " + PortalFixture.OperatorToken } },
        }, TestContext.Current.CancellationToken);
        Assert.Equal(409, (int)refused.StatusCode);
        var message = System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("detail").GetString()!;

        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        await tab.OpenAsync("/portal/operator/tenants");
        var row = tab.Page.Locator($"tr[data-token='{id}']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        // Before it is done, the page says what it would do to whoever holds the token.
        await Expect(row.GetByRole(AriaRole.Note)).ToContainTextAsync("refused (401)");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Revoke {operatorToken.GetProperty("prefix").GetString()} now" }).ClickAsync();

        await Expect(row.GetByRole(AriaRole.Alert)).ToContainTextAsync(message);
        Assert.DoesNotContain(tab.Errors, e => e.Contains("Unhandled", StringComparison.OrdinalIgnoreCase));
        tab.AssertNoErrors();
    }
}
