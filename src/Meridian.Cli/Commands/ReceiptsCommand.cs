using System.CommandLine;
using System.Text.Json;
using Meridian.Gateway.Receipts;
using Meridian.Gateway.DataPlane;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian receipts verify FILE|-</c>: checks offline, against the operator's public key (<c>--public-key</c>, or
/// fetched once from the gateway's <c>/.well-known/meridian-receipt-key</c>), that each receipt hashes to its leaf and is
/// included under a tree head the key signed — or, for a receipt from before the receipt log, its own signature. Accepts
/// one receipt (<c>GET /v1/receipts/{id}</c>, which carries the proof), or an array of them. Exit code 0 only when every
/// receipt is genuine and unaltered.
/// </summary>
internal static class ReceiptsCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "A receipt JSON file (GET /v1/receipts/{id}, with its inclusion proof; or an array of them); - reads standard input." };
        var publicKey = new Option<string?>("--public-key")
        {
            Description = "The operator's public key: base64 of the raw Ed25519 key, or a file holding it or the JSON of /.well-known/meridian-receipt-key. Without it, the key is fetched from the gateway.",
        };
        var url = new Option<string?>("--url") { Description = $"Base URL of the gateway to fetch the public key from (env {AdminCommand.UrlVariable}; default {AdminCommand.DefaultUrl})." };
        var verify = new Command("verify", "Verify that receipts are genuine and unaltered (offline, with the operator's public key).") { file, publicKey, url };
        verify.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await VerifyAsync(context, parse.GetValue(file)!, parse.GetValue(publicKey), parse.GetValue(url), cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or JsonException or HttpRequestException or FormatException or UnauthorizedAccessException or InvalidOperationException)
            {
                AdminCommand.WriteError(context, ex.Message);
                return AdminCommand.Failed;
            }
        });
        return new Command("receipts", "Data-flow receipts: verify their signatures and inclusion proofs, audit the receipt logs.") { verify, CreateAudit(context) };
    }

    /// <summary>
    /// <c>meridian receipts audit</c>: proves that the receipt logs only grew since the last audit (consistency proofs
    /// between the tree heads kept in <c>--state</c> and the latest), and that every receipt the API key can read is
    /// genuine, in its log and where it was before. Exit code 0 only when all of it holds; the state is updated only then.
    /// </summary>
    private static Command CreateAudit(CliContext context)
    {
        var publicKey = new Option<string?>("--public-key") { Description = "The operator's public key (as for verify). Without it, it is fetched from the gateway." };
        var url = new Option<string?>("--url") { Description = $"Base URL of the gateway (env {AdminCommand.UrlVariable}; default {AdminCommand.DefaultUrl})." };
        var apiKey = new Option<string?>("--api-key") { Description = $"The API key whose receipts are audited (env {ApiKeyVariable})." };
        var statePath = new Option<string?>("--state") { Description = "The file of tree heads and receipts seen before (default: receipt-audit.json in the user's meridian config folder)." };
        var audit = new Command("audit", "Prove that the receipt logs only grew and that your receipts were not removed, rewritten or reordered.") { publicKey, url, apiKey, statePath };
        audit.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await AuditAsync(context, parse.GetValue(publicKey), parse.GetValue(url), parse.GetValue(apiKey), parse.GetValue(statePath), cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or JsonException or HttpRequestException or FormatException or UnauthorizedAccessException or InvalidOperationException)
            {
                AdminCommand.WriteError(context, ex.Message);
                return AdminCommand.Failed;
            }
        });
        return audit;
    }

    public const string ApiKeyVariable = "MERIDIAN_API_KEY";

    private static async Task<int> AuditAsync(
        CliContext context, string? keyOption, string? urlOption, string? apiKeyOption, string? stateOption, CancellationToken cancellationToken)
    {
        var apiKey = apiKeyOption ?? context.Env(ApiKeyVariable)
            ?? throw new InvalidOperationException($"An API key is needed: --api-key or {ApiKeyVariable}.");
        var gateway = GatewayUrl(context, urlOption);
        var key = keyOption is not null ? ReadKey(keyOption) : await FetchKeyAsync(context, urlOption, cancellationToken);
        var path = stateOption ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.Create), "meridian", "receipt-audit.json");
        var previous = File.Exists(path)
            ? JsonSerializer.Deserialize(await File.ReadAllTextAsync(path, cancellationToken), ReceiptAuditJsonContext.Default.ReceiptAuditState) ?? new ReceiptAuditState()
            : new ReceiptAuditState();

        using var http = context.CreateHttpClient();
        http.BaseAddress = new Uri(gateway.ToString().TrimEnd('/') + "/");
        var result = await new ReceiptLogAuditor(http, apiKey, key).AuditAsync(previous, cancellationToken);
        foreach (var failure in result.Failures)
        {
            context.Out.MarkupLine($"[red]FAILED[/]  {Markup.Escape(failure)}");
        }

        if (!result.Passed)
        {
            AdminCommand.WriteError(context, $"The receipt logs failed the audit ({result.Failures.Count} finding(s)); the audit state in {path} was kept as it was.");
            return AdminCommand.Failed;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result.State, ReceiptAuditJsonContext.Default.ReceiptAuditState), cancellationToken);
        var grown = string.Join(", ", result.State.Heads.Values.Select(h =>
            previous.Heads.TryGetValue(h.LogId, out var before) ? $"{h.LogId} {before.TreeSize} → {h.TreeSize}" : $"{h.LogId} {h.TreeSize} (first seen)"));
        context.Out.MarkupLine($"[green]OK[/]      {result.Logs} log(s) only grew: {Markup.Escape(grown)}.");
        context.Out.MarkupLine($"[green]OK[/]      {result.Receipts} receipt(s) and {result.AccessRecords} access record(s) verified in their logs{(result.Pending > 0 ? $"; {result.Pending} not in a log yet" : string.Empty)}; state kept in {Markup.Escape(path)}.");
        return AdminCommand.Ok;
    }

    private static Uri GatewayUrl(CliContext context, string? urlOption)
    {
        var urlText = urlOption ?? context.Env(AdminCommand.UrlVariable) ?? AdminCommand.DefaultUrl;
        return Uri.TryCreate(urlText, UriKind.Absolute, out var gateway) ? gateway : throw new FormatException($"--url: '{urlText}' is not an http:// or https:// URL.");
    }

    private static async Task<int> VerifyAsync(CliContext context, string file, string? keyOption, string? urlOption, CancellationToken cancellationToken)
    {
        var text = file == "-" ? await context.OpenStandardInput().ReadToEndAsync(cancellationToken) : await File.ReadAllTextAsync(file, cancellationToken);
        using var document = JsonDocument.Parse(text);
        var receipts = Receipts(document.RootElement).ToList();
        if (receipts.Count == 0)
        {
            AdminCommand.WriteError(context, $"{(file == "-" ? "standard input" : file)} holds no receipt.");
            return AdminCommand.Failed;
        }

        var key = keyOption is not null ? ReadKey(keyOption) : await FetchKeyAsync(context, urlOption, cancellationToken);
        var failed = 0;
        foreach (var receipt in receipts)
        {
            // The leaf hash, the tree head's signature and the inclusion proof (docs/receipts.md); a receipt from before
            // the log, its own signature.
            var result = ReceiptVerifier.Verify(receipt, key);
            if (result.Valid)
            {
                var where = result.Log is { } view
                    ? $"; leaf {view.LeafIndex} of log {view.LogId}, included in its signed tree head of size {view.TreeHead.TreeSize}"
                    : "; written before the receipt log (no inclusion proof)";
                context.Out.MarkupLine($"[green]OK[/]      {CliOutput.Escape(result.RequestId)}: {Markup.Escape(result.Reason)} (key {CliOutput.Escape(result.KeyId)}){Markup.Escape(where)}");
                foreach (var record in result.Access)
                {
                    // Each access record (docs/receipts.md, "Access records"): its leaf verified like the receipt's.
                    var at = record.Log is { } log ? $"leaf {log.LeafIndex} of log {log.LogId}, included in its signed tree head of size {log.TreeHead.TreeSize}" : "not in a log yet: fetch the receipt again";
                    context.Out.MarkupLine($"        access record {record.Seq}: {Markup.Escape(record.Event)} by {CliOutput.Escape(record.Organisation)}; {Markup.Escape(at)}");
                }
            }
            else
            {
                failed++;
                context.Out.MarkupLine($"[red]FAILED[/]  {CliOutput.Escape(result.RequestId)}: {Markup.Escape(result.Reason)}");
            }
        }

        if (failed > 0)
        {
            AdminCommand.WriteError(context, $"{failed} of {receipts.Count} receipt(s) failed verification.");
            return AdminCommand.Failed;
        }

        context.Out.MarkupLine($"{receipts.Count} receipt(s) verified with key {Markup.Escape(ReceiptSigner.KeyIdOf(key))}.");
        return AdminCommand.Ok;
    }

    private static IEnumerable<JsonElement> Receipts(JsonElement root) => root.ValueKind switch
    {
        JsonValueKind.Array => root.EnumerateArray(),
        JsonValueKind.Object when root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array => data.EnumerateArray(),
        JsonValueKind.Object => [root],
        _ => [],
    };

    /// <summary>Base64 of the raw key, or a file holding that or the well-known JSON document.</summary>
    private static byte[] ReadKey(string value)
    {
        var text = File.Exists(value) ? File.ReadAllText(value).Trim() : value.Trim();
        if (text.StartsWith('{'))
        {
            using var document = JsonDocument.Parse(text);
            text = document.RootElement.GetProperty("public_key").GetString() ?? string.Empty;
        }

        var key = Convert.FromBase64String(text);
        return key.Length == 32 ? key : throw new FormatException($"--public-key: an Ed25519 public key is 32 bytes; this one is {key.Length}.");
    }

    private static async Task<byte[]> FetchKeyAsync(CliContext context, string? urlOption, CancellationToken cancellationToken)
    {
        var gateway = GatewayUrl(context, urlOption);
        using var http = context.CreateHttpClient();
        var keyUrl = new Uri(gateway, DataPlaneServices.ReceiptKeyPath);
        var json = await http.GetStringAsync(keyUrl, cancellationToken);
        context.Error.MarkupLine($"[grey]Using the public key published at {Markup.Escape(keyUrl.ToString())}.[/]");
        return ReadKey(json);
    }
}
