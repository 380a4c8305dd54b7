using System.CommandLine;
using System.Data.Common;
using System.Security.Cryptography;
using Meridian.Core.Validation;
using Meridian.Core.World;
using Meridian.Gateway.Configuration;
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
        var command = new Command("secrets", "Create, check, export (sealed), import and rotate the node's secret files.");
        command.Subcommands.Add(CreateSet(context));
        command.Subcommands.Add(Check(context));
        command.Subcommands.Add(Export(context));
        command.Subcommands.Add(Import(context));
        command.Subcommands.Add(Rotate(context));
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
            var options = StoreOptions.Read(parse, context, stores, data, secretsDir);
            var folder = Path.GetFullPath(options.SecretsDirectory ?? options.DataDirectory);
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

            var held = NodeSecretFingerprints.Read(folder, context.GetEnvironmentVariable,
                geographies.Concat(recorded.Keys.Where(k => k.StartsWith("case-key:", StringComparison.Ordinal)).Select(k => k["case-key:".Length..])));
            var table = new Table().AddColumn("Secret").AddColumn("This node").AddColumn("Recorded by the cluster").AddColumn("Verdict").AddColumn("Read from");
            var (bad, rotating) = (0, 0);
            foreach (var secret in held)
            {
                var cluster = recorded.TryGetValue(secret.Name, out var r) ? r.Fingerprint : null;
                var mine = secret.Fingerprint is { } fingerprint ? new SecretFingerprint(secret.Name, fingerprint, secret.Source, [.. secret.OverlapFingerprints]) : null;
                var verdict = (mine, cluster) switch
                {
                    (null, null) => "[grey]missing: serve would create it[/]",
                    (null, _) => "[red]missing: the cluster has one[/]",
                    (_, null) => "[grey]not recorded[/]",
                    var (m, theirs) when RecordedSecret.Format(m) == theirs => "[green]same[/]",
                    // A rotation's step taken here and not yet by the node last started (or the other way round).
                    var (m, theirs) when RecordedSecret.Parse(theirs).Compatible(m) => "[green]accepted (rotation one step apart)[/]",
                    _ => "[red]differs[/]",
                };
                bad += verdict.StartsWith("[red]", StringComparison.Ordinal) ? 1 : 0;
                rotating += verdict.Contains("rotation", StringComparison.Ordinal) ? 1 : 0;
                var shown = string.Join('\n', new[] { secret.Fingerprint ?? "—" }.Concat(secret.Overlap));
                table.AddRow(Markup.Escape(secret.Name), Markup.Escape(shown), Markup.Escape(cluster?.Replace(' ', '\n') ?? "—"), verdict, Markup.Escape(secret.Source));
            }

            context.Out.Write(table);
            if (bad > 0)
            {
                context.Error.MarkupLineInterpolated($"[red]{bad} secret(s) differ from or are missing against the cluster's: this node would refuse to start on the shared store.[/]");
                return 1;
            }

            if (rotating > 0)
            {
                context.Out.MarkupLine("[green]A rotation is under way: this node and the node started last are one step apart (stage, promote, finish), which the cluster accepts.[/]");
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

            var options = StoreOptions.Read(parse, context, stores: null, data, secretsDir);
            var folder = options.SecretsDirectory ?? options.DataDirectory;
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

    /// <summary>
    /// <c>secrets rotate stage|promote|finish</c>: one step of a rolling rotation (docs/scale-out.md, "Rotation"), on one
    /// node's secrets folder. Each step is followed by a restart of every node before the next step, so that every two
    /// running nodes accept what the other makes: stage (a new secret accepted, not used), promote (the new one used, the
    /// old one still accepted), finish (the old one gone; cases sealed again under the new case key first).
    /// </summary>
    private static Command Rotate(CliContext context)
    {
        var stepArgument = new Argument<string>("step") { Description = "stage, promote or finish." };
        stepArgument.AcceptOnlyFromAmong(Stage, Promote, Finish);
        var data = new Option<string?>("--data") { Description = "Data folder (env MERIDIAN_DATA; default ./data)." };
        var secretsDir = new Option<string?>("--secrets-dir") { Description = "The secrets folder the node reads instead of the data folder (env MERIDIAN_SECRETS_DIR)." };
        var only = new Option<string[]>("--secret")
        {
            Description = "Only this secret: key-hash, receipt-signing or case-key:<geography> (repeatable; default: every secret the folder holds).",
        };
        var stores = new StoreOptions();
        var command = new Command("rotate", "One step of a rotation without downtime: stage a new secret, promote it, or finish (drop the old one).") { stepArgument, data, secretsDir, only };
        stores.AddTo(command);
        command.SetAction(parse =>
        {
            var options = StoreOptions.Read(parse, context, stores, data, secretsDir);
            var folder = Path.GetFullPath(options.SecretsDirectory ?? options.DataDirectory);
            var secrets = RotatableSecrets(folder);
            var wanted = parse.GetValue(only) ?? [];
            if (wanted.FirstOrDefault(name => !secrets.ContainsKey(name)) is { } unknown)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets rotate: {folder} holds no secret '{unknown}'; it holds {string.Join(", ", secrets.Keys)}.[/]");
                return 1;
            }

            var chosen = secrets.Where(s => wanted.Length == 0 || wanted.Contains(s.Key)).ToList();
            if (chosen.Count == 0)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets rotate: {folder} holds no secret files.[/]");
                return 1;
            }

            // An environment variable overrides the file: rotating the file would change nothing the node uses.
            if (chosen.FirstOrDefault(s => s.Value.Variable is { } variable && context.Env(variable) is not null) is { Key: { } overridden, Value.Variable: { } set })
            {
                context.Error.MarkupLineInterpolated(
                    $"[red]meridian secrets rotate: {overridden} is taken from {set}, not from {folder}; rotate it there (new value in {set}, the old one in the file {NodeSecretFiles.Staged(secrets[overridden].File, NodeSecretFiles.Previous)}).[/]");
                return 1;
            }

            var step = parse.GetValue(stepArgument)!;
            var problems = chosen.Select(s => Refusal(folder, s.Key, s.Value.File, step)).OfType<string>().ToList();
            if (problems.Count > 0)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian secrets rotate {step}: {string.Join(" ", problems)} Nothing was changed.[/]");
                return 1;
            }

            if (step == Finish && chosen.Where(s => s.Key.StartsWith("case-key:", StringComparison.Ordinal)).ToList() is { Count: > 0 } caseKeys)
            {
                try
                {
                    foreach (var (name, _) in caseKeys)
                    {
                        var geography = name["case-key:".Length..];
                        var (resealed, already) = ResealCases(options, folder, geography);
                        context.Out.MarkupLineInterpolated($"{name}: {resealed} case(s) sealed again under the current key, {already} already were.");
                    }
                }
                catch (Exception ex) when (ex is DbException or CryptographicException or InvalidOperationException)
                {
                    context.Error.MarkupLineInterpolated($"[red]meridian secrets rotate finish: sealing the cases again failed ({ex.Message}); the previous keys are kept.[/]");
                    return 1;
                }
            }

            foreach (var (name, secret) in chosen)
            {
                context.Out.MarkupLineInterpolated($"{name}: {Apply(folder, secret.File, secret.Fresh, step)}");
            }

            context.Out.MarkupLine(step == Finish
                ? "Done. Restart every node (one at a time) so none holds the old secrets any more."
                : $"Done. Carry the same change to every node's secrets (or run this on each), restart every node one at a time, then run `meridian secrets rotate {(step == Stage ? Promote : Finish)}`.");
            return 0;
        });
        return command;
    }

    private const string Stage = "stage";
    private const string Promote = "promote";
    private const string Finish = "finish";

    /// <summary>The secrets of <paramref name="folder"/> that can be rotated: each one's file, the variable that would override it, and how a fresh one is made.</summary>
    private static SortedDictionary<string, (string File, string? Variable, Func<string> Fresh)> RotatableSecrets(string folder)
    {
        var secrets = new SortedDictionary<string, (string File, string? Variable, Func<string> Fresh)>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return secrets;
        }

        var names = Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (names.Contains(NodeSecretFiles.KeyHash))
        {
            secrets["key-hash"] = (NodeSecretFiles.KeyHash, null, () => Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        }

        if (names.Contains(Gateway.Receipts.ReceiptSigner.KeyFileName))
        {
            secrets["receipt-signing"] = (Gateway.Receipts.ReceiptSigner.KeyFileName, Gateway.Receipts.ReceiptSigner.KeyEnvironmentVariable,
                () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        foreach (var name in names.Where(n => n.StartsWith("ts-key-", StringComparison.Ordinal) && n.EndsWith(".secret", StringComparison.Ordinal)))
        {
            var geography = name["ts-key-".Length..^".secret".Length];
            if (Names.IsPlaceName(geography))
            {
                secrets["case-key:" + geography] = (name, Gateway.Configuration.SafeguardsOptions.KeyEnvPrefix + geography.ToUpperInvariant(),
                    () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            }
        }

        return secrets;
    }

    /// <summary>Why <paramref name="step"/> cannot be taken for this secret now, or null.</summary>
    private static string? Refusal(string folder, string name, string file, string step)
    {
        var next = File.Exists(Path.Combine(folder, NodeSecretFiles.Staged(file, NodeSecretFiles.Next)));
        var previous = File.Exists(Path.Combine(folder, NodeSecretFiles.Staged(file, NodeSecretFiles.Previous)));
        return step switch
        {
            Stage when next || previous => $"{name} is already being rotated ({(next ? "staged" : "promoted")}): finish that rotation first.",
            Promote when !next => $"{name} has no staged secret to promote: stage one first.",
            Promote when previous => $"{name} still has a previous secret: finish that rotation first.",
            Finish when next => $"{name} has a staged secret not promoted yet: promote it first.",
            Finish when !previous => $"{name} has no previous secret: nothing to finish.",
            _ => null,
        };
    }

    /// <summary>Takes the step for one secret's files; says what changed.</summary>
    private static string Apply(string folder, string file, Func<string> fresh, string step)
    {
        var current = Path.Combine(folder, file);
        var next = Path.Combine(folder, NodeSecretFiles.Staged(file, NodeSecretFiles.Next));
        var previous = Path.Combine(folder, NodeSecretFiles.Staged(file, NodeSecretFiles.Previous));
        switch (step)
        {
            case Stage:
                Storage.OwnerOnly.WriteNewSecret(next, fresh());
                return $"staged {Path.GetFileName(next)} (accepted, not used yet).";
            case Promote:
                File.Move(current, previous);
                File.Move(next, current);
                return $"{file} is the staged secret now; the old one is {Path.GetFileName(previous)} (still accepted).";
            default:
                if (file == Gateway.Receipts.ReceiptSigner.KeyFileName)
                {
                    // The private half goes; the public half stays published, so what it signed still verifies.
                    using var retired = new Gateway.Receipts.ReceiptSigner(Convert.FromBase64String(File.ReadAllText(previous).Trim()));
                    File.AppendAllLines(Path.Combine(folder, Gateway.Receipts.ReceiptSigner.RetiredKeysFileName), [Convert.ToBase64String(retired.PublicKey)]);
                }

                File.Delete(previous);
                return $"{Path.GetFileName(previous)} deleted.";
        }
    }

    /// <summary>Seals every case of the geography again under its current key, so that none depends on the previous one.</summary>
    private static (int Resealed, int Already) ResealCases(GatewayOptions options, string folder, string geography)
    {
        var settings = options.StorageIn(Path.GetFullPath(options.DataDirectory));
        if (settings.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var ring = new Gateway.Safeguards.CaseKeyRing(options.Safeguards, folder);
        var database = settings.OpenGeography(geography);
        try
        {
            return Reseal(ring, new Storage.Geography.ReceiptStore(geography, database), geography);
        }
        finally
        {
            (database as IDisposable)?.Dispose();
        }
    }

    private static (int Resealed, int Already) Reseal(Gateway.Safeguards.CaseKeyRing ring, Storage.Geography.ReceiptStore store, string geography)
    {
        var (resealed, already) = (0, 0);
        foreach (var material in store.Cases.KeyMaterial())
        {
            if (ring.Rewrap(geography, material.CaseId, material.Snapshot, material.WrappedKey) is not { } rewrapped)
            {
                already++;
            }
            else if (store.Cases.Reseal(material.CaseId, material, rewrapped.WrappedKey ?? rewrapped.Snapshot!))
            {
                resealed++;
            }
        }

        return (resealed, already);
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
