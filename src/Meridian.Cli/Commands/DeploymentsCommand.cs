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

                var table = CliOutput.Table(call.Out, "Id", "Name", "Model", "Hosting", "Type", "RPM / TPM", "Created");
                foreach (var d in deployments.Value)
                {
                    table.AddRow(CliOutput.Escape(d.Id), CliOutput.Escape(d.Name), CliOutput.Escape(d.ModelId),
                        CliOutput.Escape(d.HostingOption), CliOutput.Escape(d.DeploymentType),
                        CliOutput.Escape(d.Capacity is { } c ? $"{c.Rpm} / {c.Tpm}" : null), CliOutput.Escape(CliOutput.Time(d.CreatedAt)));
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });
        return new Command("deployments", "A resource's deployments.") { list };
    }
}
