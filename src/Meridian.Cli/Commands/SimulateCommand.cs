using System.CommandLine;
using Meridian.Simulator;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian simulate</c>: the built-in simulator as a standalone Anthropic-compatible HTTP upstream.</summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on.", DefaultValueFactory = _ => 9090 };
        var bind = new Option<string>("--bind") { Description = "Address to bind.", DefaultValueFactory = _ => "127.0.0.1" };
        var tokenDelay = new Option<int>("--token-delay-ms") { Description = "Simulated per-token latency in milliseconds.", DefaultValueFactory = _ => 0 };
        var firstTokenDelay = new Option<int>("--first-token-delay-ms") { Description = "Simulated time to first token in milliseconds.", DefaultValueFactory = _ => 0 };
        var command = new Command("simulate", "Run the built-in simulator as a standalone HTTP upstream (deterministic; not a real model).")
        {
            port, bind, tokenDelay, firstTokenDelay,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var app = SimulatorServer.Build(new SimulatorServerOptions
            {
                Port = parse.GetValue(port),
                BindAddress = parse.GetValue(bind)!,
                Simulator = new SimulatorOptions
                {
                    PerTokenDelay = TimeSpan.FromMilliseconds(parse.GetValue(tokenDelay)),
                    FirstTokenDelay = TimeSpan.FromMilliseconds(parse.GetValue(firstTokenDelay)),
                },
            });
            await using (app)
            {
                await app.StartAsync(cancellationToken);
                AnsiConsole.MarkupLineInterpolated($"[black on yellow] SIMULATOR [/] Meridian simulator listening on {SimulatorServer.GetBaseAddress(app)} (answers are simulated, not from a real model). Ctrl+C to stop.");
                await app.WaitForShutdownAsync(cancellationToken);
            }

            return 0;
        });
        return command;
    }
}
