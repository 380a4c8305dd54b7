using System.CommandLine;
using System.Data.Common;
using Meridian.Gateway.Hosting;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian migrate</c>: brings the control store and every geography's store to the current schema, then exits.
/// Nodes also migrate on start; this lets an operator do it once, before rolling out a new version.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext context)
    {
        var data = new Option<string?>("--data") { Description = "Data folder (env MERIDIAN_DATA; default ./data): the SQLite files of the embedded store." };
        var stores = new StoreOptions();
        var command = new Command("migrate", "Apply pending schema migrations to the control store and every geography's store, then exit.") { data };
        stores.AddTo(command);
        command.SetAction(parse =>
        {
            var options = new GatewayOptions { DataDirectory = parse.GetValue(data) ?? context.Env("MERIDIAN_DATA") ?? "data" };
            stores.Apply(parse, options);
            var settings = options.StorageIn(new DataDirectory(options.DataDirectory).Path);
            if (settings.Problem() is { } problem)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian migrate: {problem}.[/]");
                return 2;
            }

            try
            {
                var table = new Table().AddColumn("Store").AddColumn("Location").AddColumn(new TableColumn("Migrations applied").RightAligned());
                using var control = new ControlStore(settings.OpenControl());
                table.AddRow("control", Markup.Escape(control.Location), control.MigrationsApplied.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var world = control.LoadWorld();
                using var geographies = new GeographyStores(settings, world);
                foreach (var store in geographies.All.OrderBy(s => s.Geography, StringComparer.Ordinal))
                {
                    table.AddRow("geography " + Markup.Escape(store.Geography), Markup.Escape(store.Location),
                        store.MigrationsApplied.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                context.Out.Write(table);
                context.Out.MarkupLine(!world.Geographies.Any()
                    ? "[grey]The world has no regions yet: a geography's store is created with its first region (or by `meridian serve`'s demo seed).[/]"
                    : "[green]Every store is at the current schema.[/]");
                return 0;
            }
            catch (DbException ex)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian migrate: the {options.Store.ToString().ToLowerInvariant()} store cannot be opened: {ex.Message}[/]");
                return 2;
            }
        });
        return command;
    }
}
