using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Meridian.Gateway.Configuration;
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
        var dryRun = new Option<bool>("--dry-run") { Description = "Change nothing: list, per store, the schema version it is at and each pending migration's statements." };
        var stores = new StoreOptions();
        var command = new Command("migrate", "Apply pending schema migrations to the control store and every geography's store, then exit.") { data, dryRun };
        stores.AddTo(command);
        command.SetAction(parse =>
        {
            var options = StoreOptions.Read(parse, context, stores, data);
            var settings = options.StorageIn(new DataDirectory(options.DataDirectory).Path);
            if (settings.Problem() is { } problem)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian migrate: {problem}.[/]");
                return 2;
            }

            if (parse.GetValue(dryRun))
            {
                try
                {
                    return DryRun(context, settings);
                }
                catch (DbException ex)
                {
                    context.Error.MarkupLineInterpolated($"[red]meridian migrate: the {options.Store.ToString().ToLowerInvariant()} store cannot be read: {ex.Message}[/]");
                    return 2;
                }
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

    /// <summary>
    /// What <c>migrate</c> would do, changing nothing: a SQLite file that does not exist is not created, a PostgreSQL
    /// schema is only read. The geographies are the control store's regions' (a store for each is created or migrated).
    /// </summary>
    private static int DryRun(CliContext context, Meridian.Storage.StorageSettings settings)
    {
        var table = new Table().AddColumn("Store").AddColumn("Location").AddColumn(new TableColumn("At").RightAligned())
            .AddColumn(new TableColumn("Target").RightAligned()).AddColumn(new TableColumn("Pending").RightAligned());
        var pending = new List<(string Store, int Version, string Migration)>();
        var control = Inspect(settings.OpenControl, Path.Combine(settings.DataDirectory, "control.db"), settings);
        Add("control", control.Location, control.Version, ControlStore.SchemaMigrations);
        IEnumerable<string> geographies = [];
        if (control.Database is { } database && control.Version > 0)
        {
            using var connection = database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT DISTINCT lower(geography) FROM regions ORDER BY 1";
            using var reader = command.ExecuteReader();
            var names = new List<string>();
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }

            geographies = names;
        }

        (control.Database as IDisposable)?.Dispose();
        foreach (var geography in geographies)
        {
            var store = Inspect(() => settings.OpenGeography(geography), Path.Combine(settings.DataDirectory, $"geo-{geography}.db"), settings);
            Add("geography " + geography, store.Location, store.Version, ReceiptStore.SchemaMigrations);
            (store.Database as IDisposable)?.Dispose();
        }

        context.Out.Write(table);
        if (pending.Count == 0)
        {
            context.Out.MarkupLine("[green]Dry run: every store is at the current schema; migrate would change nothing.[/]");
            return 0;
        }

        context.Out.MarkupLine($"[yellow]Dry run: nothing was changed. migrate would apply {pending.Count} migration(s):[/]");
        foreach (var (store, version, migration) in pending)
        {
            context.Out.MarkupLineInterpolated($"  {store} v{version}: {string.Join("; ", Meridian.Storage.Sql.MigrationSummary.Of(migration))}");
        }

        return 0;

        void Add(string store, string location, int version, IReadOnlyList<string> migrations)
        {
            var count = Math.Max(0, migrations.Count - version);
            table.AddRow(Markup.Escape(store), Markup.Escape(location), version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                migrations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                count == 0 ? "[green]0[/]" : $"[yellow]{count}[/]");
            for (var i = version; i < migrations.Count; i++)
            {
                pending.Add((store, i + 1, migrations[i]));
            }
        }
    }

    /// <summary>A store's database and version, without creating a SQLite file that is not there (version 0, "to be created").</summary>
    private static (Meridian.Storage.Sql.SqlDatabase? Database, string Location, int Version) Inspect(
        Func<Meridian.Storage.Sql.SqlDatabase> open, string sqlitePath, Meridian.Storage.StorageSettings settings)
    {
        if (settings.Engine != Meridian.Storage.Sql.StoreEngine.Postgres && !File.Exists(sqlitePath))
        {
            return (null, sqlitePath + " (to be created)", 0);
        }

        var database = open();
        return (database, database.Location, database.MigrationsAppliedSoFar());
    }
}
