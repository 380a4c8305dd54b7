using System.CommandLine;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian settlement show --publisher P --period YYYY-MM</c>: revenue, fee and payout per offer.</summary>
internal static class SettlementCommand
{
    public static Command Create(CliContext context)
    {
        var publisher = new Option<string>("--publisher") { Description = "The publisher's id.", Required = true };
        var period = new Option<string>("--period") { Description = "The month, YYYY-MM (UTC).", Required = true };
        var show = new Command("show", "Show a publisher's settlement: what its offers earned, the marketplace fee and the payout.") { publisher, period }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var path = AdminClient.Path("publishers", call.Value(publisher)!, "settlement") + "?period=" + Uri.EscapeDataString(call.Value(period)!);
                var result = await call.Api.GetAsync(path, AdminJsonContext.Default.SettlementView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(result.Json);
                    return AdminCommand.Ok;
                }

                var settlement = result.Value;
                call.Out.MarkupLine($"Settlement of [bold]{Markup.Escape(settlement.PublisherId)}[/] for [bold]{Markup.Escape(settlement.Period)}[/]");
                var table = CliOutput.Table(call.Out, "Offer", "Customers", "Revenue", "Fee %", "Fee", "Payout");
                foreach (var offer in settlement.Offers ?? [])
                {
                    table.AddRow(CliOutput.Escape(offer.OfferId), offer.Customers.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        CliOutput.Escape(offer.Revenue), CliOutput.Escape(offer.FeePercent), CliOutput.Escape(offer.Fee), CliOutput.Escape(offer.Payout));
                }

                call.Out.Write(table);
                call.Out.MarkupLine($"Revenue [bold]{Markup.Escape(settlement.Revenue ?? "0.00")}[/], fee {Markup.Escape(settlement.Fee ?? "0.00")}, payout [bold]{Markup.Escape(settlement.Payout ?? "0.00")}[/] {Markup.Escape(settlement.Currency ?? "USD")}");
                return AdminCommand.Ok;
            });
        return new Command("settlement", "Publisher settlements: revenue per offer, the operator's fee, the payout.") { show };
    }
}
