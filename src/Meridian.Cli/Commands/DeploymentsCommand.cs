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
        var id = new Argument<string>("deployment-id") { Description = "The deployment's id (see meridian deployments list)." };
        var reviewedBy = new Option<string?>("--reviewed-by") { Description = "Who reviews its new flagged requests: publisher, operator or tenant." };
        reviewedBy.AcceptOnlyFromAmong("publisher", "operator", "tenant");
        var retention = new Option<string?>("--retention") { Description = "standard or none: whether flagged content is kept for review." };
        retention.AcceptOnlyFromAmong("standard", "none");
        var grant = new Option<bool>("--grant-retention-exemption") { Description = "Operator only: exempt it from its offer's retention requirement." };
        var revoke = new Option<bool>("--revoke-retention-exemption") { Description = "Operator only: withdraw that exemption." };
        var update = new Command("update", "Change who reviews a deployment's flagged requests, its retention mode, or its retention exemption (each change audited).")
        {
            id, reviewedBy, retention, grant, revoke,
        };
        update.Validators.Add(result =>
        {
            if (result.GetValue(grant) && result.GetValue(revoke))
            {
                result.AddError("--grant-retention-exemption and --revoke-retention-exemption exclude each other.");
            }
        });
        update.WithAction(context, async (call, cancellationToken) =>
        {
            bool? exemption = call.Value(grant) ? true : call.Value(revoke) ? false : null;
            var updated = await call.Api.PatchAsync(AdminClient.Path("deployments", call.Value(id)!),
                new UpdateDeploymentRequest(call.Value(reviewedBy), call.Value(retention), exemption),
                AdminJsonContext.Default.UpdateDeploymentRequest, AdminJsonContext.Default.Deployment, cancellationToken);
            if (call.Json)
            {
                call.WriteJson(updated.Json);
                return AdminCommand.Ok;
            }

            var d = updated.Value;
            call.Out.MarkupLine($"Deployment [bold]{Markup.Escape(d.Name)}[/] ({Markup.Escape(d.Id)}): reviewed by {Markup.Escape(d.ReviewedBy ?? "")}, "
                + $"retention {Markup.Escape(d.RetentionMode ?? "")}"
                + (d.RetentionExemption is { } e ? $", exempted by {Markup.Escape(e.GrantedBy ?? "")} at {Markup.Escape(CliOutput.Time(e.GrantedAt) ?? "")}." : "."));
            return AdminCommand.Ok;
        });
        return new Command("deployments", "A resource's deployments, and their Trust & Safety settings.") { list, update };
    }
}
