using System.CommandLine;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian deploy</c>: a deployment of an offer's model on a resource. The hosting option decides where data is
/// processed, so it is always explicit; publisher hosting is announced with a warning, and the API refuses it unless
/// <c>--acknowledge-data-may-leave-geography</c> is given (the CLI never adds that flag by itself).
/// </summary>
internal static class DeployCommand
{
    public static Command Create(CliContext context)
    {
        var resource = new Option<string>("--resource") { Description = "The resource to deploy on (its region fixes the boundary).", Required = true };
        var name = new Option<string>("--name") { Description = "The deployment's name, unique within the resource; callers send it as \"model\".", Required = true };
        var offer = new Option<string>("--offer") { Description = "The offer's id, e.g. off_claude.", Required = true };
        var model = new Option<string>("--model") { Description = "One of the offer's model ids, e.g. claude-sonnet-5.", Required = true };
        var hosting = new Option<string>("--hosting") { Description = "platform: the operator's backends, confined by --type. publisher: the publisher's infrastructure.", Required = true };
        hosting.AcceptOnlyFromAmong("platform", "publisher");
        var type = new Option<string?>("--type") { Description = "For platform hosting: how far processing may travel from the resource's region." };
        type.AcceptOnlyFromAmong("global", "datazone", "regional");
        var rpm = new Option<int?>("--rpm") { Description = "Capacity: requests per minute." };
        var tpm = new Option<int?>("--tpm") { Description = "Capacity: tokens per minute." };
        var acknowledge = new Option<bool>("--acknowledge-data-may-leave-geography")
        {
            Description = "Required for --hosting publisher: you acknowledge that data may be processed outside the resource's geography.",
        };
        var policy = new Option<string>("--safeguard-policy")
        {
            Description = "The safeguard policy screening its requests: default, or one of the gateway's policy file.",
            DefaultValueFactory = _ => "default",
        };
        var reviewedBy = new Option<string?>("--reviewed-by")
        {
            Description = "Whose Trust & Safety reviewers see its flagged requests: publisher (default), operator or tenant. Changeable: meridian deployments update.",
        };
        reviewedBy.AcceptOnlyFromAmong("publisher", "operator", "tenant");
        var retention = new Option<string?>("--retention")
        {
            Description = "standard (default): flagged content kept encrypted for the retention period; none: metadata only (an offer that requires retention then needs an operator exemption).",
        };
        retention.AcceptOnlyFromAmong("standard", "none");
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Create nothing: show each backend, whether it may serve this deployment and why not, and what the boundary costs.",
        };
        var command = new Command("deploy", "Deploy an offer's model on a resource, platform-hosted (global, datazone or regional) or publisher-hosted.")
        {
            resource, name, offer, model, hosting, type, rpm, tpm, acknowledge, policy, reviewedBy, retention, dryRun,
        };
        return command.WithAction(context, async (call, cancellationToken) =>
        {
            var resourceId = call.Value(resource)!;
            var hostingOption = call.Value(hosting)!;
            if (hostingOption == "publisher")
            {
                call.Warn(
                    "Publisher-hosted: requests are processed on the publisher's own infrastructure, at a location it declares or leaves undeclared.",
                    $"Data sent to this deployment may be processed outside the geography of resource {resourceId}.");
            }

            var capacity = call.Value(rpm) is null && call.Value(tpm) is null ? null : new CapacityView(call.Value(rpm), call.Value(tpm));
            var request = new CreateDeploymentRequest(
                call.Value(name)!, call.Value(offer)!, call.Value(model)!, hostingOption, call.Value(type), capacity,
                SafeguardPolicy: call.Value(policy)!, AcknowledgeDataMayLeaveGeography: call.Value(acknowledge),
                ReviewedBy: call.Value(reviewedBy), RetentionMode: call.Value(retention));
            if (call.Value(dryRun))
            {
                var plan = await call.Api.PostAsync(AdminClient.Path("resources", resourceId, "deployments") + "?dry_run=true", request,
                    AdminJsonContext.Default.CreateDeploymentRequest, AdminJsonContext.Default.DeploymentPlanView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(plan.Json);
                }
                else
                {
                    PlanOutput.Write(call, plan.Value);
                }

                return plan.Value.WouldCreate ? AdminCommand.Ok : AdminCommand.Failed;
            }

            var deployment = await call.Api.PostAsync(AdminClient.Path("resources", resourceId, "deployments"), request,
                AdminJsonContext.Default.CreateDeploymentRequest, AdminJsonContext.Default.DeploymentView, cancellationToken);
            if (call.Json)
            {
                call.WriteJson(deployment.Json);
                return AdminCommand.Ok;
            }

            var d = deployment.Value;
            call.Out.MarkupLine($"Created deployment [bold]{Markup.Escape(d.Name)}[/] ({Markup.Escape(d.Id)}).");
            var details = CliOutput.Details()
                .Row("Resource", d.Region is null ? d.ResourceId ?? resourceId : $"{d.ResourceId ?? resourceId} (region {d.Region}, data zone {d.DataZone ?? "none"}, geography {d.Geography})")
                .Row("Offer / model", $"{d.OfferId} / {d.ModelId}")
                .Row("Hosting", d.DeploymentType is null ? d.HostingOption : $"{d.HostingOption}, {d.DeploymentType}")
                .Row("Processed in", d.ProcessingBoundary)
                .Row("Capacity", d.Capacity is { } c ? $"{c.Rpm} RPM, {c.Tpm} TPM" : null)
                .Row("Safeguards", $"policy {d.SafeguardPolicy}, reviewed by {d.ReviewedBy}, retention {d.RetentionMode}");
            if (d.DataMayLeaveGeographyAcknowledgment is { } ack)
            {
                details.Row("Acknowledged", $"data may leave the geography: by {ack.AcknowledgedBy} at {CliOutput.Time(ack.AcknowledgedAt)}");
            }

            call.Out.Write(details);
            call.Out.MarkupLine($"Call it with [bold]\"model\": \"{Markup.Escape(d.Name)}\"[/] and a key of resource {Markup.Escape(d.ResourceId ?? resourceId)} "
                + $"([grey]meridian keys create --resource {Markup.Escape(d.ResourceId ?? resourceId)}[/]).");
            return AdminCommand.Ok;
        });
    }
}
