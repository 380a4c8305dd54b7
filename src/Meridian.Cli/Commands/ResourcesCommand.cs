using System.CommandLine;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian resources list|create</c>: a tenant's resources, each pinned to one region.</summary>
internal static class ResourcesCommand
{
    public static Command Create(CliContext context)
    {
        var listTenant = TenantOption();
        var list = new Command("list", "List a tenant's resources and where each is pinned.") { listTenant }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var resources = await call.Api.ListAsync(AdminClient.Path("tenants", call.Value(listTenant)!, "resources"),
                    AdminJsonContext.Default.ListResponseResourceView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(resources.Json);
                    return AdminCommand.Ok;
                }

                if (resources.Value.Count == 0)
                {
                    call.Out.MarkupLine("[grey]No resources.[/]");
                    return AdminCommand.Ok;
                }

                var table = CliOutput.Table(call.Out, "Id", "Name", "Region", "Data zone", "Geography");
                foreach (var resource in resources.Value)
                {
                    table.AddRow(CliOutput.Escape(resource.Id), CliOutput.Escape(resource.Name), CliOutput.Escape(resource.Region),
                        CliOutput.Escape(resource.DataZone), CliOutput.Escape(resource.Geography));
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });

        var createTenant = TenantOption();
        var name = new Option<string>("--name") { Description = "The resource's name, unique within the tenant.", Required = true };
        var region = new Option<string>("--region") { Description = "The region it is pinned to (see meridian world show); this fixes its data zone and geography.", Required = true };
        var create = new Command("create", "Create a resource pinned to one region.") { createTenant, name, region }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var resource = await call.Api.PostAsync(AdminClient.Path("tenants", call.Value(createTenant)!, "resources"),
                    new CreateResourceRequest(call.Value(name)!, call.Value(region)!),
                    AdminJsonContext.Default.CreateResourceRequest, AdminJsonContext.Default.ResourceView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(resource.Json);
                    return AdminCommand.Ok;
                }

                var r = resource.Value;
                call.Out.MarkupLine($"Created resource [bold]{Markup.Escape(r.Id)}[/] ({Markup.Escape(r.Name)}) in region {Markup.Escape(r.Region)}, "
                    + $"data zone {CliOutput.Escape(r.DataZone)}, geography {CliOutput.Escape(r.Geography)}.");
                return AdminCommand.Ok;
            });

        return new Command("resources", "A tenant's resources; each is pinned to one region.") { list, create };
    }

    private static Option<string> TenantOption() =>
        new("--tenant") { Description = "The tenant's id, e.g. ten_demo.", Required = true };
}
