using System.CommandLine;
using Meridian.Cli.Admin;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian share export --publisher P --period YYYY-MM [--output FILE]</c>: the publisher share (customer contact,
/// transaction and usage records of the publisher's offers, never content), as the API's JSON.
/// </summary>
internal static class ShareCommand
{
    public static Command Create(CliContext context)
    {
        var publisher = new Option<string>("--publisher") { Description = "The publisher's id.", Required = true };
        var period = new Option<string>("--period") { Description = "The month, YYYY-MM (UTC).", Required = true };
        var output = new Option<string?>("--output") { Description = "Write the export to this file instead of stdout." };
        var export = new Command("export", "Export the publisher share for a month (operator-admin, or the publisher's publisher-admin).") { publisher, period, output }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var path = AdminClient.Path("publishers", call.Value(publisher)!, "share") + "?period=" + Uri.EscapeDataString(call.Value(period)!);
                var share = await call.Api.GetAsync(path, AdminJsonContext.Default.JsonElement, cancellationToken);
                var customers = share.Value.TryGetProperty("customers", out var c) ? c.GetArrayLength() : 0;
                var usage = share.Value.TryGetProperty("usage", out var u) ? u.GetArrayLength() : 0;
                if (call.Value(output) is { Length: > 0 } file)
                {
                    await File.WriteAllTextAsync(file, CliOutput.Indent(share.Json) + Environment.NewLine, cancellationToken);
                    call.Note($"Wrote the share of {call.Value(publisher)} for {call.Value(period)} to {file}: {customers} customers, {usage} hourly usage records.");
                }
                else
                {
                    call.WriteJson(share.Json);
                }

                return AdminCommand.Ok;
            });
        return new Command("share", "The publisher share: what a publisher may know about its customers (contact, transactions, usage).") { export };
    }
}
