using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Meridian.Cli.Tests.Commands;

/// <summary><c>meridian invoices</c>, <c>settlement</c> and <c>share</c> over the demo marketplace.</summary>
public sealed class BillingCommandTests(CliGatewayFixture gateway) : IClassFixture<CliGatewayFixture>
{
    private const string Model = "claude-sonnet-5";

    private static string Period => $"{DateTime.UtcNow:yyyy-MM}";

    [Fact]
    public async Task Invoices_show_prints_the_lines_and_the_exact_total()
    {
        var usage = await SendAsync("How much does this cost?", "And this?");

        var json = (await gateway.Cli.RunAsync("invoices", "show", "--tenant", "ten_demo", "--period", Period, "--json")).ShouldSucceed();
        using var invoice = JsonDocument.Parse(json.Out);
        var total = decimal.Parse(invoice.RootElement.GetProperty("total").GetString()!, CultureInfo.InvariantCulture);
        // Other tests of this class may have used the demo deployment too: at least these two requests, at 3.00 and 15.00 per million.
        Assert.True(total >= ((usage.Input * 3.00m) + (usage.Output * 15.00m)) / 1_000_000m, json.ToString());

        var table = (await gateway.Cli.RunAsync("invoices", "show", "--tenant", "ten_demo", "--period", Period)).ShouldSucceed();
        Assert.Contains("claude-sonnet-5", table.Out);
        Assert.Contains("input_tokens", table.Out);
        Assert.Contains("output_tokens", table.Out);
        Assert.Contains("Total: " + invoice.RootElement.GetProperty("total").GetString(), table.Out);
    }

    [Fact]
    public async Task Invoices_show_names_a_bad_period()
    {
        var result = (await gateway.Cli.RunAsync("invoices", "show", "--tenant", "ten_demo", "--period", "November")).ShouldFail();
        Assert.Contains("period", result.Error);
        Assert.Contains("YYYY-MM", result.Error);
    }

    [Fact]
    public async Task Settlement_show_prints_revenue_fee_and_payout()
    {
        await SendAsync("Settle this.");
        var result = (await gateway.Cli.RunAsync("settlement", "show", "--publisher", "pub_anthropic", "--period", Period)).ShouldSucceed();
        Assert.Contains("off_claude", result.Out);
        Assert.Contains("Revenue", result.Out);
        Assert.Contains("payout", result.Out);
    }

    [Fact]
    public async Task Share_export_holds_contact_transactions_and_usage_but_no_prompt_or_output_text()
    {
        var canary = "CANARYcli" + Guid.NewGuid().ToString("N")[..12];
        await SendAsync($"Please repeat {canary} back to me.");

        var stdout = (await gateway.Cli.RunAsync("share", "export", "--publisher", "pub_anthropic", "--period", Period)).ShouldSucceed();
        Assert.DoesNotContain(canary, stdout.Out, StringComparison.Ordinal);
        using (var share = JsonDocument.Parse(stdout.Out))
        {
            Assert.Equal("pub_anthropic", share.RootElement.GetProperty("publisher_id").GetString());
            Assert.Contains(share.RootElement.GetProperty("customers").EnumerateArray(),
                c => c.GetProperty("billing_contact_email").GetString() == "billing@demo-tenant.example");
            Assert.NotEmpty(share.RootElement.GetProperty("usage").EnumerateArray());
        }

        var file = Path.Combine(gateway.DataDirectory, "share-export.json");
        var written = (await gateway.Cli.RunAsync("share", "export", "--publisher", "pub_anthropic", "--period", Period, "--output", file)).ShouldSucceed();
        Assert.Contains("customers", written.Error);
        var text = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(canary, text, StringComparison.Ordinal);
        Assert.Contains("billing@demo-tenant.example", text, StringComparison.Ordinal);
    }

    private async Task<(long Input, long Output)> SendAsync(params string[] prompts)
    {
        using var http = gateway.CreateHttpClient();
        long input = 0, output = 0;
        foreach (var prompt in prompts)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { model = Model, max_tokens = 64, messages = new[] { new { role = "user", content = prompt } } }),
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-api-key", CliGatewayFixture.DemoKey);
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.IsSuccessStatusCode, body);
            using var json = JsonDocument.Parse(body);
            var usage = json.RootElement.GetProperty("usage");
            input += usage.GetProperty("input_tokens").GetInt64();
            output += usage.GetProperty("output_tokens").GetInt64();
        }

        return (input, output);
    }
}
