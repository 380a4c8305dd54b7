using System.Text.Json;
using System.CommandLine;
using Meridian.Admin.Contract;
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
                    AdminJsonContext.Default.ListResponseDeploymentView, cancellationToken);
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
        var policy = new Option<string?>("--safeguard-policy") { Description = "The named safeguard policy to screen with (default, or one of the gateway's policy file)." };
        var safeguards = new Option<string?>("--safeguards")
        {
            Description = "Its own safeguard settings as JSON, or @FILE: {\"input\":{\"violence\":{\"medium\":\"block\"}}, \"blocklist\":{\"terms\":[…],\"patterns\":[…],\"category\":\"hate\"}} (docs/safeguards.md). They replace the current ones.",
        };
        var clear = new Option<bool>("--clear-safeguards") { Description = "Remove its own safeguard settings: the policy applies as it is." };
        var update = new Command("update", "Change who reviews a deployment's flagged requests, its retention mode or exemption, or its safeguard policy and settings (each change audited).")
        {
            id, reviewedBy, retention, grant, revoke, policy, safeguards, clear,
        };
        update.Validators.Add(result =>
        {
            if (result.GetValue(grant) && result.GetValue(revoke))
            {
                result.AddError("--grant-retention-exemption and --revoke-retention-exemption exclude each other.");
            }

            if (result.GetValue(safeguards) is not null && result.GetValue(clear))
            {
                result.AddError("--safeguards and --clear-safeguards exclude each other.");
            }
        });
        update.WithAction(context, async (call, cancellationToken) =>
        {
            bool? exemption = call.Value(grant) ? true : call.Value(revoke) ? false : null;
            var settings = call.Value(clear) ? JsonDocument.Parse("null").RootElement : SettingsOf(call.Value(safeguards));
            var updated = await call.Api.PatchAsync(AdminClient.Path("deployments", call.Value(id)!),
                new UpdateDeploymentRequest(call.Value(reviewedBy), call.Value(retention), exemption, call.Value(policy)) { Safeguards = settings ?? default },
                AdminJsonContext.Default.UpdateDeploymentRequest, AdminJsonContext.Default.DeploymentView, cancellationToken);
            if (call.Json)
            {
                call.WriteJson(updated.Json);
                return AdminCommand.Ok;
            }

            var d = updated.Value;
            call.Out.MarkupLine($"Deployment [bold]{Markup.Escape(d.Name)}[/] ({Markup.Escape(d.Id)}): reviewed by {Markup.Escape(d.ReviewedBy ?? "")}, "
                + $"retention {Markup.Escape(d.RetentionMode ?? "")}"
                + (d.RetentionExemption is { } e ? $", exempted by {Markup.Escape(e.GrantedBy ?? "")} at {Markup.Escape(CliOutput.Time(e.GrantedAt) ?? "")}." : "."));
            call.Out.MarkupLine($"Safeguards: policy {Markup.Escape(d.SafeguardPolicy ?? "")}, "
                + (d.Safeguards is { ValueKind: JsonValueKind.Object } own ? "own settings " + Markup.Escape(own.GetRawText()) : "no settings of its own") + ".");
            return AdminCommand.Ok;
        });
        return new Command("deployments", "A resource's deployments, and their Trust & Safety settings.") { list, update };
    }

    /// <summary>The settings as given (JSON, or @FILE to read it from a file); JSON the CLI cannot parse is sent as a string, for the gateway to name.</summary>
    private static JsonElement? SettingsOf(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var json = value.StartsWith('@') ? File.ReadAllText(value[1..]) : value;
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json, AdminJsonContext.Default.String);
        }
    }
}
