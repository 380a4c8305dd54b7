using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>What <c>meridian serve</c> tells a person on start: where it listens, that answers are simulated, how to call it.</summary>
internal static class StartBanner
{
    /// <param name="demoRefusedHere">Why this node refuses the demo call, when it does (its ingress is outside the boundary).</param>
    public static void Print(string address, GatewayOptions options, DemoReport demo, string? demoRefusedHere)
    {
        var key = demo.NewDemoKey ?? options.DemoKey;
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Base URL[/]", Markup.Escape(address));
        grid.AddRow("[bold]Portal[/]", Markup.Escape(address + "/portal") + " [grey](sign in with an admin token)[/]");
        grid.AddRow("[bold]Model[/]", Markup.Escape(demo.DeploymentName));
        grid.AddRow("[bold]Data[/]", Markup.Escape(Path.GetFullPath(options.DataDirectory)));
        if (options.Store == Storage.Sql.StoreEngine.Postgres)
        {
            grid.AddRow("[bold]Stores[/]", Markup.Escape($"PostgreSQL, schemas {options.PostgresSchemaPrefix}_control and {options.PostgresSchemaPrefix}_geo_*"));
        }

        grid.AddRow("[bold]Ingress region[/]", Markup.Escape(options.IngressRegion));
        grid.AddRow("[bold]API key[/]", key is not null
            ? Markup.Escape(key) + (demo.NewDemoKey is not null ? "  [yellow](shown once: save it now)[/]" : string.Empty)
            : "[grey]created and shown on the first start only; pass --demo-key KEY to set one[/]");
        // A generated admin token is shown once; a configured one is the operator's own secret and is not echoed.
        grid.AddRow("[bold]Admin token[/]", demo.NewAdminToken is { } adminToken
            ? Markup.Escape(adminToken) + "  [yellow](operator-admin, shown once: save it now)[/]"
            : options.AdminToken is not null
                ? "[grey]the one set with --admin-token / MERIDIAN_ADMIN_TOKEN[/]"
                : "[grey]created and shown on the first start only; pass --admin-token TOKEN to set one[/]");

        AnsiConsole.Write(new Panel(grid)
            .Header("[bold]Meridian gateway[/]")
            .BorderColor(Color.Blue));
        AnsiConsole.MarkupLine("[black on yellow] SIMULATOR [/] [yellow]Answers come from Meridian's built-in simulator backend, not from a real model.[/]");
        AnsiConsole.WriteLine();
        if (demoRefusedHere is not null)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{demoRefusedHere}[/]");
        }

        AnsiConsole.WriteLine("Try it:");
        var curl = $"curl -s {address}/v1/messages -H 'content-type: application/json' -H 'x-api-key: {key ?? "$MERIDIAN_API_KEY"}' " +
                   $"-d '{{\"model\":\"{demo.DeploymentName}\",\"max_tokens\":128,\"messages\":[{{\"role\":\"user\",\"content\":\"Hello, Meridian\"}}]}}'";
        Console.WriteLine(curl);
        AnsiConsole.WriteLine();
        AnsiConsole.MarkupLine("[grey]Press Ctrl+C to stop.[/]");
    }
}
