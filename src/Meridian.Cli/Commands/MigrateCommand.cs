using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Meridian.Gateway.Hosting;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
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
                var table = new Table().AddColumn("Store").AddColumn("Location").AddColumn(new TableColumn("Migrations applied").RightAligned())
                    .AddColumn(new TableColumn("Schema (store / this binary)").RightAligned());
                using var control = new ControlStore(settings.OpenControl());
                var schemas = new List<(string Store, SchemaVersion Version)> { ("control", control.Database.StoreSchema!) };
                table.AddRow("control", Markup.Escape(control.Location), control.MigrationsApplied.ToString(CultureInfo.InvariantCulture), Describe(control.Database.StoreSchema!));
                var world = control.LoadWorld();
                using var geographies = new GeographyStores(settings, world);
                foreach (var store in geographies.All.OrderBy(s => s.Geography, StringComparer.Ordinal))
                {
                    schemas.Add(("geography " + store.Geography, store.Database.StoreSchema!));
                    table.AddRow("geography " + Markup.Escape(store.Geography), Markup.Escape(store.Location),
                        store.MigrationsApplied.ToString(CultureInfo.InvariantCulture), Describe(store.Database.StoreSchema!));
                }

                context.Out.Write(table);
                var ahead = schemas.Where(s => s.Version.Ahead).ToList();
                foreach (var (store, version) in ahead)
                {
                    // Usable, or opening it would have thrown: a newer binary migrated it and said binaries this old still fit.
                    context.Out.MarkupLineInterpolated(
                        $"[yellow]The {store} store is at schema {version.Store}, ahead of this binary ({version.Binary}); it declares binaries from schema {version.OldestCompatible} on compatible, so this node may still serve it. Upgrade the binary before the next migration.[/]");
                }

                if (ahead.Count == 0)
                {
                    context.Out.MarkupLine(!world.Geographies.Any()
                        ? "[grey]The world has no regions yet: a geography's store is created with its first region (or by `meridian serve`'s demo seed).[/]"
                        : "[green]Every store is at the current schema.[/]");
                }

                return 0;
            }
            catch (SchemaTooNewException ex)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian migrate: {ex.Message}[/]");
                return 2;
            }
            catch (DbException ex)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian migrate: the {options.Store.ToString().ToLowerInvariant()} store cannot be opened: {ex.Message}[/]");
                return 2;
            }
        });
        return command;
    }

    private static string Describe(SchemaVersion version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version.Store} / {version.Binary}") + (version.Ahead ? " [yellow](ahead)[/]" : string.Empty);
}
