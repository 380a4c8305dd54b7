using System.CommandLine;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian invoices show|issue --tenant T --period YYYY-MM</c>: a tenant's invoice for a month (UTC).</summary>
internal static class InvoicesCommand
{
    public static Command Create(CliContext context)
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant's id.", Required = true };
        var period = new Option<string>("--period") { Description = "The month, YYYY-MM (UTC).", Required = true };
        var show = new Command("show", "Show a tenant's invoice: a line per deployment, model, token type and price.") { tenant, period }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var path = AdminClient.Path("tenants", call.Value(tenant)!, "invoices") + "?period=" + Uri.EscapeDataString(call.Value(period)!);
                var invoice = await call.Api.GetAsync(path, AdminJsonContext.Default.InvoiceView, cancellationToken);
                return Print(call, invoice);
            });

        var issueTenant = new Option<string>("--tenant") { Description = "The tenant's id.", Required = true };
        var issuePeriod = new Option<string>("--period") { Description = "The month, YYYY-MM (UTC); it must be over.", Required = true };
        var issue = new Command("issue", "Issue a closed month's invoice (operator-admin); issuing again shows the invoice issued first.") { issueTenant, issuePeriod }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var path = AdminClient.Path("tenants", call.Value(issueTenant)!, "invoices", call.Value(issuePeriod)!, "issue");
                var json = await call.Api.PostAsync(path, cancellationToken);
                var invoice = System.Text.Json.JsonSerializer.Deserialize(json, AdminJsonContext.Default.InvoiceView)!;
                return Print(call, new AdminResult<InvoiceView>(invoice, json));
            });

        return new Command("invoices", "Invoices: what tenants owe per month, at the offers' prices when the tokens were used.") { show, issue };
    }

    private static int Print(AdminCall call, AdminResult<InvoiceView> result)
    {
        if (call.Json)
        {
            call.WriteJson(result.Json);
            return AdminCommand.Ok;
        }

        var invoice = result.Value;
        var status = invoice.InvoiceId is { } id ? $"{invoice.Status} as {id} on {CliOutput.Time(invoice.IssuedAt)}" : invoice.Status;
        call.Out.MarkupLine($"Invoice of [bold]{Markup.Escape(invoice.TenantId)}[/] for [bold]{Markup.Escape(invoice.Period)}[/] ({Markup.Escape(status)})");
        var lines = invoice.Lines ?? [];
        if (lines.Count == 0)
        {
            call.Out.MarkupLine("[grey]No usage in this period.[/]");
        }
        else
        {
            var table = CliOutput.Table(call.Out, "Deployment", "Model", "Token type", "Tokens", "USD / M", "Amount (USD)");
            foreach (var line in lines)
            {
                table.AddRow(CliOutput.Escape(line.DeploymentName ?? line.DeploymentId), CliOutput.Escape(line.Model), CliOutput.Escape(line.TokenType),
                    line.Tokens.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), CliOutput.Escape(line.UnitPricePerMillion), CliOutput.Escape(line.Amount));
            }

            call.Out.Write(table);
        }

        call.Out.MarkupLine($"Total: [bold]{Markup.Escape(invoice.Total ?? "0.00")}[/] {Markup.Escape(invoice.Currency ?? "USD")} (due: {Markup.Escape(invoice.TotalDue ?? "0.00")})");
        return AdminCommand.Ok;
    }
}
