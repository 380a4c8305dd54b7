using System.CommandLine;
using System.Data.Common;
using System.Security.Cryptography;
using Meridian.Core.World;
using Meridian.Gateway.Hosting;
using Meridian.Storage.Control;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian secrets</c>: the node's secret files (key-hash secret, receipt-signing key, a case key per geography) —
/// create a set for a new cluster, check a node's against the fingerprints its shared store recorded, and carry them to
/// another node or a platform's secret store sealed under a passphrase (docs/scale-out.md, "Secrets").
/// </summary>
internal static class SecretsCommand
{
    public const string PassphraseVariable = "MERIDIAN_SECRETS_PASSPHRASE";

    public static Command Create(CliContext context)
    {
        var command = new Command("secrets", "Create, check, export (sealed) and import the node's secret files.");
        command.Subcommands.Add(CreateSet(context));
        command.Subcommands.Add(Check(context));
        command.Subcommands.Add(Export(context));
        command.Subcommands.Add(Import(context));
        return command;
    }

    private static Command CreateSet(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "Folder to write the new secret files to (created owner-only).", Required = true };
        var geographies = new Option<string[]>("--geography")
        {
            Description = "A geography to create a case key for (repeatable; default: the built-in world's geographies).",
        };
        var command = new Command("create", "Create a fresh set of secrets for a new cluster, for `serve --secrets-dir` or a platform's secret store.") { output, geographies };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            var names = parse.GetValue(geographies) is { Length: > 0 } given ? given : [.. WorldMap.Default.Geographies];
            var conflicts = Directory.Exists(folder) ? NodeSecretFiles.Read(folder).Keys.ToList() : [];
            if (conflicts.Count > 0)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets create: {folder} already holds {string.Join(", ", conflicts)}; a new set is never written over secrets.[/]");
                return 1;
            }

            var files = NodeSecretFiles.Create(names);
            NodeSecretFiles.Write(folder, files);
            context.Out.MarkupLineInterpolated($"Created {files.Count} secret files in {Path.GetFullPath(folder)} (owner-only): {string.Join(", ", files.Keys)}.");
            return 0;
        });
        return command;
    }

    private static Command Check(CliContext context)
    {
        var data = new Option<string?>("--data") { Description = "Data folder (env MERIDIAN_DATA; default ./data)." };
        var secretsDir = new Option<string?>("--secrets-dir") { Description = "The secrets folder the node reads instead of the data folder (env MERIDIAN_SECRETS_DIR)." };
        var stores = new StoreOptions();
        var command = new Command("check", "Compare this node's secrets with the fingerprints the shared store recorded, without starting or creating anything.") { data, secretsDir };
        stores.AddTo(command);
        command.SetAction(parse =>
        {
            var options = new GatewayOptions { DataDirectory = parse.GetValue(data) ?? context.Env("MERIDIAN_DATA") ?? "data" };
            stores.Apply(parse, options);
            var folder = Path.GetFullPath(parse.GetValue(secretsDir) ?? context.Env("MERIDIAN_SECRETS_DIR") ?? options.DataDirectory);
            IReadOnlyDictionary<string, (string Fingerprint, string RecordedAt)> recorded;
            IEnumerable<string> geographies;
            var engine = options.Store.ToString().ToLowerInvariant();
            if (options.Store == Storage.Sql.StoreEngine.Sqlite && !File.Exists(Path.Combine(options.DataDirectory, "control.db")))
            {
                (recorded, geographies) = (new Dictionary<string, (string, string)>(), WorldMap.Default.Geographies);
            }
            else
            {
                try
                {
                    var settings = options.StorageIn(Path.GetFullPath(options.DataDirectory));
                    if (settings.Problem() is { } problem)
                    {
                        context.Error.MarkupLineInterpolated($"[red]meridian secrets check: {problem}.[/]");
                        return 2;
                    }

                    using var control = new ControlStore(settings.OpenControl());
                    recorded = new ClusterSecrets(control).Recorded();
                    geographies = [.. control.LoadWorld().Geographies];
                }
                catch (DbException ex)
                {
                    context.Error.MarkupLineInterpolated($"[red]meridian secrets check: the {engine} store cannot be read: {ex.Message}[/]");
                    return 2;
                }
            }

            var held = NodeSecretFiles.Fingerprints(folder, context.GetEnvironmentVariable,
                geographies.Concat(recorded.Keys.Where(k => k.StartsWith("case-key:", StringComparison.Ordinal)).Select(k => k["case-key:".Length..])));
            var table = new Table().AddColumn("Secret").AddColumn("This node").AddColumn("Recorded by the cluster").AddColumn("Verdict").AddColumn("Read from");
            var bad = 0;
            foreach (var secret in held)
            {
                var cluster = recorded.TryGetValue(secret.Name, out var r) ? r.Fingerprint : null;
                var verdict = (secret.Fingerprint, cluster) switch
                {
                    (null, null) => "[grey]missing: serve would create it[/]",
                    (null, _) => "[red]missing: the cluster has one[/]",
                    (_, null) => "[grey]not recorded[/]",
                    var (mine, theirs) when mine == theirs => "[green]same[/]",
                    _ => "[red]differs[/]",
                };
                bad += verdict.StartsWith("[red]", StringComparison.Ordinal) ? 1 : 0;
                table.AddRow(Markup.Escape(secret.Name), Markup.Escape(secret.Fingerprint ?? "—"), Markup.Escape(cluster ?? "—"), verdict, Markup.Escape(secret.Source));
            }

            context.Out.Write(table);
            if (bad > 0)
            {
                context.Error.MarkupLineInterpolated($"[red]{bad} secret(s) differ from or are missing against the cluster's: this node would refuse to start on the shared store.[/]");
                return 1;
            }

            context.Out.MarkupLine(recorded.Count == 0
                ? "[grey]The store records no fingerprints (an embedded store, or a shared one no node has started on yet).[/]"
                : "[green]This node's secrets are the cluster's.[/]");
            return 0;
        });
        return command;
    }

    private static Command Export(CliContext context)
    {
        var data = new Option<string?>("--data") { Description = "Data folder (env MERIDIAN_DATA; default ./data)." };
        var secretsDir = new Option<string?>("--secrets-dir") { Description = "Export from this secrets folder instead of the data folder (env MERIDIAN_SECRETS_DIR)." };
        var output = new Option<string>("--out") { Description = "The sealed file to write (owner-only).", Required = true };
        var command = new Command("export", $"Seal the node's secret files into one file under a passphrase (env {PassphraseVariable}).") { data, secretsDir, output };
        command.SetAction(parse =>
        {
            if (Passphrase(context, "export") is not { } passphrase)
            {
                return 2;
            }

            var folder = parse.GetValue(secretsDir) ?? context.Env("MERIDIAN_SECRETS_DIR") ?? parse.GetValue(data) ?? context.Env("MERIDIAN_DATA") ?? "data";
            var files = Directory.Exists(folder) ? NodeSecretFiles.Read(folder) : new Dictionary<string, string>();
            if (files.Count == 0)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets export: {Path.GetFullPath(folder)} holds no secret files.[/]");
                return 1;
            }

            var target = parse.GetValue(output)!;
            if (File.Exists(target))
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets export: {target} exists; choose another file.[/]");
                return 1;
            }

            Storage.OwnerOnly.WriteNewSecret(target, SealedSecrets.Seal(files, passphrase));
            context.Out.MarkupLineInterpolated($"Sealed {files.Count} secret files ({string.Join(", ", files.Keys)}) into {target}.");
            return 0;
        });
        return command;
    }

    private static Command Import(CliContext context)
    {
        var input = new Option<string>("--in") { Description = "A file written by `meridian secrets export`.", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write the secret files to: a node's data folder or secrets folder (created owner-only).", Required = true };
        var command = new Command("import", $"Open a sealed secrets file (passphrase in env {PassphraseVariable}) into a folder, never over different secrets.") { input, output };
        command.SetAction(parse =>
        {
            if (Passphrase(context, "import") is not { } passphrase)
            {
                return 2;
            }

            IReadOnlyDictionary<string, string> files;
            try
            {
                files = SealedSecrets.Open(File.ReadAllText(parse.GetValue(input)!), passphrase);
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException or IOException)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets import: {ex.Message}[/]");
                return 1;
            }

            var folder = parse.GetValue(output)!;
            if (NodeSecretFiles.Write(folder, files) is { Count: > 0 } conflicts)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets import: {folder} already holds other {string.Join(", ", conflicts)}; nothing was written.[/]");
                return 1;
            }

            context.Out.MarkupLineInterpolated($"Wrote {files.Count} secret files into {Path.GetFullPath(folder)} (owner-only): {string.Join(", ", files.Keys)}.");
            return 0;
        });
        return command;
    }

    private static string? Passphrase(CliContext context, string verb)
    {
        if (context.Env(PassphraseVariable) is { Length: >= 12 } passphrase)
        {
            return passphrase;
        }

        context.Error.MarkupLineInterpolated($"[red]meridian secrets {verb}: set the passphrase in {PassphraseVariable} (12 characters or more); it is never taken on the command line, where other users could read it.[/]");
        return null;
    }
}
