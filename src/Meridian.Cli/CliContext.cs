using Spectre.Console;

namespace Meridian.Cli;

/// <summary>
/// What the admin commands write to and call through: the two consoles, the HTTP client and the environment.
/// Built once per process by <see cref="CreateDefault"/>; tests build their own to record output and to run
/// against an in-process gateway without touching the real environment.
/// </summary>
internal sealed class CliContext
{
    /// <summary>Wide enough that a table row or an error line written to a file or a pipe is never wrapped.</summary>
    private const int RedirectedWidth = 240;

    /// <summary>Results: tables, created objects, JSON (written raw to its writer, never wrapped).</summary>
    public required IAnsiConsole Out { get; init; }

    /// <summary>Errors, warnings and hints, so that <c>--json</c> output on stdout stays parseable.</summary>
    public required IAnsiConsole Error { get; init; }

    /// <summary>A client for one command invocation; the caller disposes it.</summary>
    public Func<HttpClient> CreateHttpClient { get; init; } = static () => new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Reads <c>MERIDIAN_URL</c> and <c>MERIDIAN_ADMIN_TOKEN</c>.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Every variable, for the settings given per name (<c>MERIDIAN_CLASSIFIER_URL_&lt;NAME&gt;</c>); <c>serve</c> reads its settings from these.</summary>
    public Func<IEnumerable<KeyValuePair<string, string?>>> EnvironmentVariables { get; init; } = Commands.ServeConfiguration.ProcessEnvironment;

    /// <summary>Standard input, for commands that read <c>-</c> (tests pass their own).</summary>
    public Func<TextReader> OpenStandardInput { get; init; } = static () => Console.In;

    public string? Env(string name) => GetEnvironmentVariable(name) is { Length: > 0 } value ? value.Trim() : null;

    public static CliContext CreateDefault()
    {
        var output = AnsiConsole.Console;
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsOutputRedirected)
        {
            output.Profile.Width = RedirectedWidth;
        }

        if (Console.IsErrorRedirected)
        {
            error.Profile.Width = RedirectedWidth;
        }

        return new CliContext { Out = output, Error = error };
    }
}
