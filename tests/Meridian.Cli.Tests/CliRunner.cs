using System.CommandLine;
using Meridian.Cli.Commands;
using Spectre.Console;

namespace Meridian.Cli.Tests;

/// <summary>
/// Runs <c>meridian …</c> in-process, as <c>Program.cs</c> does, with a given environment and both consoles recorded
/// as plain text (no ANSI, as when output is redirected to a file).
/// </summary>
public sealed class CliRunner(IReadOnlyDictionary<string, string?> environment, Func<HttpClient>? createHttpClient = null)
{
    /// <summary>The same CLI with some environment variables changed (a null value unsets one).</summary>
    public CliRunner With(params (string Name, string? Value)[] variables)
    {
        var changed = new Dictionary<string, string?>(environment);
        foreach (var (name, value) in variables)
        {
            changed[name] = value;
        }

        return new CliRunner(changed, createHttpClient);
    }

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(string.Empty, args);

    /// <summary>Runs with <paramref name="input"/> as standard input (for commands that read <c>-</c>).</summary>
    public async Task<CliResult> RunWithInputAsync(string input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext
        {
            Out = Recorder(output),
            Error = Recorder(error),
            GetEnvironmentVariable = name => environment.GetValueOrDefault(name),
            EnvironmentVariables = () => environment,
            CreateHttpClient = createHttpClient ?? (() => new HttpClient { Timeout = TimeSpan.FromSeconds(30) }),
            OpenStandardInput = () => new StringReader(input),
        };
        var exitCode = await MeridianCommand.Create(context).Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        return new CliResult(args, exitCode, output.ToString(), error.ToString());
    }

    private static IAnsiConsole Recorder(StringWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        return console;
    }
}

/// <summary>What one run printed and returned; its <see cref="ToString"/> is the whole transcript, for failure messages.</summary>
public sealed record CliResult(string[] Args, int ExitCode, string Out, string Error)
{
    public CliResult ShouldSucceed()
    {
        Assert.True(ExitCode == 0, $"expected exit code 0\n{this}");
        return this;
    }

    public CliResult ShouldFail()
    {
        Assert.True(ExitCode == 1, $"expected exit code 1\n{this}");
        return this;
    }

    public override string ToString() =>
        $"$ meridian {string.Join(' ', Args)}\nexit code {ExitCode}\n--- stdout ---\n{Out}--- stderr ---\n{Error}";
}
