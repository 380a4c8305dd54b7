using System.CommandLine;
using Meridian.Admin.Contract;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian keys create|list|rotate|revoke</c>: a resource's API keys. A new key's secret is in exactly one
/// answer (create or rotate), so it is printed on a line of its own where it cannot be missed.
/// </summary>
internal static class KeysCommand
{
    public static Command Create(CliContext context)
    {
        var createResource = ResourceOption();
        var name = new Option<string?>("--name") { Description = "A label for the key (shown in lists)." };
        var create = new Command("create", "Create an API key for a resource; the key is shown once.") { createResource, name }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var key = await call.Api.PostAsync(AdminClient.Path("resources", call.Value(createResource)!, "keys"),
                    new CreateKeyRequest(call.Value(name)), AdminJsonContext.Default.CreateKeyRequest, AdminJsonContext.Default.KeyView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(key.Json);
                    return AdminCommand.Ok;
                }

                call.Out.MarkupLine($"Created key [bold]{Markup.Escape(key.Value.Id)}[/] (prefix {CliOutput.Escape(key.Value.Prefix)}) for resource {Markup.Escape(call.Value(createResource)!)}.");
                PrintSecret(call.Out, key.Value);
                return AdminCommand.Ok;
            });

        var listResource = ResourceOption();
        var list = new Command("list", "List a resource's keys (prefixes only; keys are stored hashed).") { listResource }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var keys = await call.Api.ListAsync(AdminClient.Path("resources", call.Value(listResource)!, "keys"),
                    AdminJsonContext.Default.ListResponseKeyView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(keys.Json);
                    return AdminCommand.Ok;
                }

                if (keys.Value.Count == 0)
                {
                    call.Out.MarkupLine("[grey]No keys.[/]");
                    return AdminCommand.Ok;
                }

                var table = CliOutput.Table(call.Out, "Id", "Prefix", "Name", "Created", "Status");
                foreach (var key in keys.Value)
                {
                    table.AddRow(CliOutput.Escape(key.Id), CliOutput.Escape(key.Prefix), CliOutput.Escape(key.Name),
                        CliOutput.Escape(CliOutput.Time(key.CreatedAt)), Status(key));
                }

                call.Out.Write(table);
                return AdminCommand.Ok;
            });

        var rotateId = KeyIdArgument();
        var overlap = new Option<int?>("--overlap-seconds") { Description = "How long the old key keeps working beside the new one (default 86400: one day)." };
        var rotate = new Command("rotate", "Replace a key: a new key is shown once; the old one expires after the overlap.") { rotateId, overlap }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var oldId = call.Value(rotateId)!;
                var key = await call.Api.PostAsync(AdminClient.Path("keys", oldId, "rotate"),
                    new RotateKeyRequest(call.Value(overlap)), AdminJsonContext.Default.RotateKeyRequest, AdminJsonContext.Default.KeyView, cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(key.Json);
                    return AdminCommand.Ok;
                }

                var until = key.Value.Replaces?.ExpiresAt is { } expiry
                    ? $"until {CliOutput.Time(expiry)}"
                    : $"for {call.Value(overlap) ?? 86400} s more";
                call.Out.MarkupLine($"Rotated key {Markup.Escape(oldId)}: new key [bold]{Markup.Escape(key.Value.Id)}[/] (prefix {CliOutput.Escape(key.Value.Prefix)}). "
                    + $"The old key keeps working {Markup.Escape(until)}, then expires.");
                PrintSecret(call.Out, key.Value);
                return AdminCommand.Ok;
            });

        var revokeId = KeyIdArgument();
        var revoke = new Command("revoke", "Revoke a key now: it stops working on every gateway node within a second.") { revokeId }
            .WithAction(context, async (call, cancellationToken) =>
            {
                var id = call.Value(revokeId)!;
                var json = await call.Api.PostAsync(AdminClient.Path("keys", id, "revoke"), cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(json);
                    return AdminCommand.Ok;
                }

                call.Out.MarkupLine($"Revoked key [bold]{Markup.Escape(id)}[/]: it stops working on every node within a second.");
                return AdminCommand.Ok;
            });

        return new Command("keys", "A resource's API keys.") { create, list, rotate, revoke };
    }

    private static string Status(KeyView key) => (key.Status ?? (key.RevokedAt is null ? "active" : "revoked")) switch
    {
        "revoked" => $"[red]revoked {Markup.Escape(CliOutput.Time(key.RevokedAt) ?? "")}[/]",
        "expired" => $"[grey]expired {Markup.Escape(CliOutput.Time(key.ExpiresAt) ?? "")}[/]",
        "suspended" => "[red]suspended (Trust & Safety)[/]",
        "active" when key.ExpiresAt is not null => $"[yellow]active until {Markup.Escape(CliOutput.Time(key.ExpiresAt)!)}[/]",
        var status => $"[green]{Markup.Escape(status)}[/]",
    };

    private static void PrintSecret(IAnsiConsole console, KeyView key)
    {
        if (key.Key is not { Length: > 0 } secret)
        {
            throw new AdminProtocolException("the answer holds no key");
        }

        // The key alone on its line, unwrapped and without borders, so it can be copied whole.
        console.WriteLine();
        console.Profile.Out.Writer.WriteLine(console.Profile.Capabilities.Ansi ? $"    \u001b[1;33m{secret}\u001b[0m" : "    " + secret);
        console.WriteLine();
        console.MarkupLine("[yellow]This is the only time the key is shown: Meridian keeps only a hash of it. Save it now.[/]");
    }

    private static Option<string> ResourceOption() =>
        new("--resource") { Description = "The resource's id.", Required = true };

    private static Argument<string> KeyIdArgument() =>
        new("key-id") { Description = "The key's id (see meridian keys list), not the key itself." };
}
