using System.CommandLine;
using System.Text.Json;
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
                var world = await call.Api.GetAsync(AdminClient.Path("world"), AdminJsonContext.Default.World, cancellationToken);
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
                        var (name, display) = RegionOf(region);
                        table.AddRow(CliOutput.Escape(geography.Name), "[grey](no data zone)[/]", CliOutput.Escape(name), CliOutput.Escape(display));
                    }
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });
        return new Command("world", "The operator's world: geographies, data zones, regions.") { show };
    }

    /// <summary>A region outside any zone, given as an object (<c>{"name","display_name"}</c>) or as its name.</summary>
    private static (string? Name, string? DisplayName) RegionOf(JsonElement region) => region.ValueKind switch
    {
        JsonValueKind.String => (region.GetString(), null),
        JsonValueKind.Object => (
            region.TryGetProperty("name", out var name) ? name.GetString() : null,
            region.TryGetProperty("display_name", out var display) ? display.GetString() : null),
        _ => (region.GetRawText(), null),
    };
}
