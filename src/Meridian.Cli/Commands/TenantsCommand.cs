using System.CommandLine;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian tenants list|create</c>: the marketplace's customer organisations (operator-admin).</summary>
internal static class TenantsCommand
{
    public static Command Create(CliContext context)
    {
        var list = new Command("list", "List tenants (an operator-admin sees all; a tenant role sees its own).")
            .WithAction(context, async (call, cancellationToken) =>
            {
                var tenants = await call.Api.ListAsync(AdminClient.Path("tenants"), AdminJsonContext.Default.ListResponseTenantView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(tenants.Json);
                    return AdminCommand.Ok;
                }

                if (tenants.Value.Count == 0)
                {
                    call.Out.MarkupLine("[grey]No tenants.[/]");
                    return AdminCommand.Ok;
                }

                var table = CliOutput.Table(call.Out, "Id", "Name", "Billing contact", "Billing email");
                foreach (var tenant in tenants.Value)
                {
                    table.AddRow(CliOutput.Escape(tenant.Id), CliOutput.Escape(tenant.Name), CliOutput.Escape(tenant.BillingContact?.Name), CliOutput.Escape(tenant.BillingContact?.Email));
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });

        var name = new Option<string>("--name") { Description = "The organisation's name.", Required = true };
        var billingName = new Option<string>("--billing-name") { Description = "Billing contact's name (shared with publishers whose offers the tenant uses).", Required = true };
        var billingEmail = new Option<string>("--billing-email") { Description = "Billing contact's email.", Required = true };
        var create = new Command("create", "Create a tenant (operator-admin).") { name, billingName, billingEmail }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var request = new CreateTenantRequest(call.Value(name)!, new BillingContactView(call.Value(billingName), call.Value(billingEmail)));
                var tenant = await call.Api.PostAsync(AdminClient.Path("tenants"), request,
                    AdminJsonContext.Default.CreateTenantRequest, AdminJsonContext.Default.TenantView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(tenant.Json);
                    return AdminCommand.Ok;
                }

                call.Out.MarkupLine($"Created tenant [bold]{Markup.Escape(tenant.Value.Id)}[/] ({Markup.Escape(tenant.Value.Name)}).");
                return AdminCommand.Ok;
            });

        return new Command("tenants", "Tenants: the organisations that subscribe and deploy.") { list, create };
    }
}
