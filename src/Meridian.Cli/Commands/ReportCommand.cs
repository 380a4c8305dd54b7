using System.CommandLine;
using System.Globalization;
using System.Text;
using Meridian.Cli.Admin;
using Meridian.Core.Receipts;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian report boundary --tenant T [--from] [--to] [--format table|csv|json]</c>: per deployment, requests, where
/// they were processed (operator, region, zone) and any violation — a receipt processed outside its deployment's
/// boundary. There should be none: the exit code is 1 when there is one.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(CliContext context)
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant's id.", Required = true };
        var from = new Option<string?>("--from") { Description = "Start of the period, ISO 8601 (default: 30 days before --to)." };
        var to = new Option<string?>("--to") { Description = "End of the period (exclusive), ISO 8601 (default: now)." };
        var format = new Option<string>("--format") { Description = "table, csv or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var boundary = new Command("boundary", "Where each deployment's requests were processed, and any processed outside its boundary.") { tenant, from, to, format }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var query = new List<string>();
                if (call.Value(from) is { } f)
                {
                    query.Add("from=" + Uri.EscapeDataString(f));
                }

                if (call.Value(to) is { } t)
                {
                    query.Add("to=" + Uri.EscapeDataString(t));
                }

                var path = AdminClient.Path("tenants", call.Value(tenant)!, "boundary-report") + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
                var report = await call.Api.GetAsync(path, AdminJsonContext.Default.BoundaryReportView, cancellationToken);
                var chosen = call.Json ? "json" : call.Value(format);
                if (chosen == "json")
                {
                    call.WriteJson(report.Json);
                }
                else if (chosen == "csv")
                {
                    var writer = call.Out.Profile.Out.Writer;
                    writer.Write(Csv(report.Value));
                    writer.Flush();
                }
                else
                {
                    WriteTable(call, report.Value);
                }

                if (report.Value.Violations > 0)
                {
                    AdminCommand.WriteError(call.Context, $"{report.Value.Violations} request(s) were processed outside their deployment's boundary.");
                    return AdminCommand.Failed;
                }

                return AdminCommand.Ok;
            });
        return new Command("report", "Compliance reports.") { boundary };
    }

    public static string Csv(BoundaryReportView report)
    {
        var csv = new StringBuilder(
            "deployment_id,deployment_name,model,hosting_option,deployment_type,boundary,requests,processed,refused_before_routing,failed_closed,"
            + "blocked_by_safeguard,ingress_allowed_outside,processed_in,bad_signatures,violations,content_opened,content_opened_by,bad_access_records\n");
        foreach (var d in report.Deployments ?? [])
        {
            string[] cells =
            [
                d.DeploymentId, d.DeploymentName ?? "", d.Model ?? "", d.HostingOption ?? "", d.DeploymentType ?? "", d.Boundary ?? "",
                Number(d.Requests), Number(d.Processed), Number(d.RefusedBeforeRouting), Number(d.FailedClosed), Number(d.BlockedBySafeguard),
                Number(d.IngressAllowedOutside), Locations(d, "; "), Number(d.BadSignatures), Number(d.Violations),
                Number(d.ContentOpened), Openers(d), Number(d.BadAccessRecords),
            ];
            csv.AppendJoin(',', cells.Select(Quote)).Append('\n');
        }

        return csv.ToString();
    }

    private static void WriteTable(AdminCall call, BoundaryReportView report)
    {
        call.Out.MarkupLine($"Boundary report for tenant [bold]{CliOutput.Escape(report.TenantId)}[/], {CliOutput.Escape(CliOutput.Time(report.From))} to {CliOutput.Escape(CliOutput.Time(report.To))}: "
            + $"{report.Requests} request(s), {report.Violations} violation(s).");
        if (report.Deployments is not { Count: > 0 } deployments)
        {
            call.Out.MarkupLine("[grey]No requests in this period.[/]");
            return;
        }

        var table = CliOutput.Table(call.Out, "Deployment", "Model", "Boundary", "Requests", "Processed", "Refused", "Failed closed", "Blocked",
            "Processed in (operator/region/zone: requests)", "Violations");
        foreach (var d in deployments)
        {
            table.AddRow(CliOutput.Escape(d.DeploymentName ?? d.DeploymentId), CliOutput.Escape(d.Model), CliOutput.Escape(d.Boundary),
                Number(d.Requests), Number(d.Processed), Number(d.RefusedBeforeRouting), Number(d.FailedClosed), Number(d.BlockedBySafeguard),
                CliOutput.Escape(Locations(d, call.Out.Profile.Capabilities.Ansi ? "\n" : ", ")),
                d.Violations == 0 ? "0" : $"[red]{Number(d.Violations)}[/]" + (d.BadSignatures > 0 ? $" ({Number(d.BadSignatures)} bad signature(s))" : string.Empty));
        }

        call.Out.Write(table);
        foreach (var d in deployments.Where(d => d.ContentOpened > 0 || d.BadAccessRecords > 0))
        {
            // People who read a request's content after it was answered (a case opened): from the requests' access records.
            call.Out.MarkupLine($"{CliOutput.Escape(d.DeploymentName ?? d.DeploymentId)}: content of {Number(d.ContentOpened)} request(s) opened later by {CliOutput.Escape(Openers(d))}"
                + (d.BadAccessRecords > 0 ? $" [red]({Number(d.BadAccessRecords)} access record(s) not provably the operator's)[/]" : string.Empty) + ".");
        }
    }

    private static string Openers(DeploymentBoundaryReport d) => string.Join("; ", (d.ContentOpenedBy ?? []).Select(o => $"{o.Party}: {Number(o.Requests)}"));

    private static string Locations(DeploymentBoundaryReport d, string separator) =>
        string.Join(separator, (d.ProcessedIn ?? []).Select(p =>
            $"{p.Operator}/{(p.Declared ? p.Region : "location undeclared")}/{p.DataZone ?? "-"}: {Number(p.Requests)}"));

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
