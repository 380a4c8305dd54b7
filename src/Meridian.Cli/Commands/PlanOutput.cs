using Meridian.Admin.Contract;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>Prints a deployment's dry run: its boundary, every backend with its verdict, and the features the boundary loses.</summary>
internal static class PlanOutput
{
    public static void Write(AdminCall call, DeploymentPlanView plan)
    {
        var hosting = plan.DeploymentType is null ? plan.HostingOption : $"{plan.HostingOption}, {plan.DeploymentType}";
        call.Out.MarkupLine($"Dry run: nothing was created. Model [bold]{CliOutput.Escape(plan.ModelId)}[/] on resource {CliOutput.Escape(plan.ResourceId)} "
            + $"(region {CliOutput.Escape(plan.Region)}, data zone {CliOutput.Escape(plan.DataZone ?? "none")}), {CliOutput.Escape(hosting)}.");
        call.Out.MarkupLine($"Processed in: [bold]{CliOutput.Escape(plan.Boundary)}[/] — {plan.EligibleCount} eligible backend(s), {plan.UsableNow} usable now.");

        var table = CliOutput.Table(call.Out, "Backend", "Kind", "Region", "Zone", "Operated by", "Eligible", "Why");
        foreach (var b in plan.Backends ?? [])
        {
            var verdict = b.Eligible ? (b.UsableNow ? "yes" : "yes (down now)") : "no";
            table.AddRow(CliOutput.Escape(b.Id), CliOutput.Escape(b.Kind), CliOutput.Escape(b.Region), CliOutput.Escape(b.DataZone),
                CliOutput.Escape(b.OperatedBy), verdict, CliOutput.Escape(b.Why));
        }

        call.Out.Write(table);
        foreach (var lost in plan.FeaturesLost ?? [])
        {
            call.Out.MarkupLine($"[yellow]Lost under this boundary:[/] {CliOutput.Escape(lost.Description)}");
        }

        if (plan.WouldCreate)
        {
            call.Out.MarkupLine("[green]Would be created.[/] Run the same command without --dry-run to create it.");
        }
        else
        {
            AdminCommand.WriteError(call.Context, "would be refused: " + (plan.RefusedBecause ?? "no backend inside the boundary serves the model"));
        }
    }
}
