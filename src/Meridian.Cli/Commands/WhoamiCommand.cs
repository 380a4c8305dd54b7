using System.CommandLine;
using System.Text.Json;
using Meridian.Cli.Admin;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian whoami</c>: the admin token's identity, role and scope, as the gateway sees it.</summary>
internal static class WhoamiCommand
{
    public static Command Create(CliContext context) =>
        new Command("whoami", "Show who the admin token belongs to: its role and the tenant, publisher or geographies it is scoped to.")
            .WithAction(context, async (call, cancellationToken) =>
            {
                var me = await call.Api.GetAsync(AdminClient.Path("whoami"), AdminJsonContext.Default.JsonElement, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(me.Json);
                    return AdminCommand.Ok;
                }

                // The contract leaves the shape open: show every top-level field.
                var details = CliOutput.Details();
                if (me.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in me.Value.EnumerateObject())
                    {
                        details.Row(property.Name, Display(property.Value));
                    }
                }

                call.Out.Write(details);
                return AdminCommand.Ok;
            });

    private static string? Display(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            string.Join(", ", value.EnumerateArray().Select(e => e.GetString())),
        _ => value.GetRawText(),
    };
}
