using System.CommandLine;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian deployments list --resource R</c>: a resource's deployments and where each may process data.</summary>
internal static class DeploymentsCommand
{
    public static Command Create(CliContext context)
    {
        var resource = new Option<string>("--resource") { Description = "The resource's id.", Required = true };
        var list = new Command("list", "List a resource's deployments.") { resource }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var deployments = await call.Api.ListAsync(AdminClient.Path("resources", call.Value(resource)!, "deployments"),
                    AdminJsonContext.Default.PageDeployment, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(deployments.Json);
                    return AdminCommand.Ok;
                }

                if (deployments.Value.Count == 0)
                {
                    call.Out.MarkupLine("[grey]No deployments.[/]");
                    return AdminCommand.Ok;
                }

                // Exact capacity and the creation time are in --json; this table has to fit a 110-column terminal.
                var table = CliOutput.Table(call.Out, "Name", "Model", "Hosting", "Type", "RPM", "TPM", "Id");
                foreach (var d in deployments.Value)
                {
                    table.AddRow(CliOutput.Escape(d.Name), CliOutput.Escape(d.ModelId), CliOutput.Escape(d.HostingOption), CliOutput.Escape(d.DeploymentType),
                        CliOutput.Escape(CliOutput.Count(d.Capacity?.Rpm)), CliOutput.Escape(CliOutput.Count(d.Capacity?.Tpm)), CliOutput.Escape(d.Id));
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });
        return new Command("deployments", "A resource's deployments.") { list };
    }
}
