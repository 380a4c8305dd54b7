using System.CommandLine;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian world show</c>: the operator's geographies, data zones and regions.</summary>
internal static class WorldCommand
{
    public static Command Create(CliContext context)
    {
        var show = new Command("show", "Show the geographies, data zones and regions deployments can be pinned to.")
            .WithAction(context, async (call, cancellationToken) =>
            {
                var world = await call.Api.GetAsync(AdminClient.Path("world"), AdminJsonContext.Default.WorldResponse, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(world.Json);
                    return AdminCommand.Ok;
                }

                var table = CliOutput.Table(call.Out, "Geography", "Data zone", "Region", "Display name");
                foreach (var geography in world.Value.Geographies ?? [])
                {
                    foreach (var zone in geography.DataZones ?? [])
                    {
                        foreach (var region in zone.Regions ?? [])
                        {
                            table.AddRow(CliOutput.Escape(geography.Name), CliOutput.Escape(zone.Name), CliOutput.Escape(region.Name), CliOutput.Escape(region.DisplayName));
                        }
                    }

                    foreach (var region in geography.RegionsWithoutZone ?? [])
                    {
                        table.AddRow(CliOutput.Escape(geography.Name), "[grey](no data zone)[/]", CliOutput.Escape(region.Name), CliOutput.Escape(region.DisplayName));
                    }
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });
        return new Command("world", "The operator's world: geographies, data zones, regions.") { show };
    }
}
