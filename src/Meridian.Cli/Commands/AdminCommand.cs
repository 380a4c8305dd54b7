using System.CommandLine;
using System.Net;
using Meridian.Cli.Admin;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>
/// What every command over the admin API shares: the <c>--url</c>, <c>--admin-token</c> and <c>--json</c> options,
/// and one place that turns failures into one readable line and exit code 1 (never a stack trace).
/// </summary>
internal static class AdminCommand
{
    public const string DefaultUrl = "http://127.0.0.1:8080";
    public const string UrlVariable = "MERIDIAN_URL";
    public const string TokenVariable = "MERIDIAN_ADMIN_TOKEN";

    /// <summary>Exit code of a command that did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>Exit code of anything that did not: an API error, an unreachable gateway, a refused confirmation.</summary>
    public const int Failed = 1;

    /// <summary>Adds the shared options to <paramref name="command"/> and makes <paramref name="run"/> its action.</summary>
    public static Command WithAction(this Command command, CliContext context, Func<AdminCall, CancellationToken, Task<int>> run)
    {
        // Neither option has a DefaultValueFactory: help evaluates those, and the token must never appear in it.
        var url = new Option<string?>("--url") { Description = $"Base URL of the gateway (env {UrlVariable}; default {DefaultUrl})." };
        var token = new Option<string?>("--admin-token") { Description = $"Admin token, mat-… (env {TokenVariable})." };
        var json = new Option<bool>("--json") { Description = "Print the API's JSON instead of a table (for scripts)." };
        command.Options.Add(url);
        command.Options.Add(token);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var urlText = parse.GetValue(url) ?? context.Env(UrlVariable) ?? DefaultUrl;
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out var gatewayUrl) || (gatewayUrl.Scheme != Uri.UriSchemeHttp && gatewayUrl.Scheme != Uri.UriSchemeHttps))
            {
                WriteError(context, $"--url: '{urlText}' is not an http:// or https:// URL.");
                return Failed;
            }

            using var http = context.CreateHttpClient();
            var client = new AdminClient(http, gatewayUrl, parse.GetValue(token) ?? context.Env(TokenVariable));
            var call = new AdminCall(context, client, parse, parse.GetValue(json));
            try
            {
                return await run(call, cancellationToken);
            }
            catch (AdminApiException ex)
            {
                WriteApiError(context, client, ex);
                return Failed;
            }
            catch (AdminConnectionException ex)
            {
                WriteError(context, $"cannot reach the Meridian gateway at {client.GatewayUrl.GetLeftPart(UriPartial.Authority)} ({ex.Url.AbsolutePath}): {ex.Reason}");
                WriteHint(context, $"is it running? Start one with ./meridian serve, or point --url / {UrlVariable} at it.");
                return Failed;
            }
            catch (AdminProtocolException ex)
            {
                WriteError(context, $"the gateway at {client.GatewayUrl} gave an answer this CLI does not understand: {ex.Message}");
                WriteHint(context, "is the CLI the same version as the gateway?");
                return Failed;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug of the CLI's own: still one line for the person, never a stack trace.
                WriteError(context, $"unexpected failure ({ex.GetType().Name}): {ex.Message}");
                return Failed;
            }
        });
        return command;
    }

    public static void WriteError(CliContext context, string message) =>
        context.Error.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public static void WriteHint(CliContext context, string message) =>
        context.Error.MarkupLine($"[grey]hint:[/] {Markup.Escape(message)}");

    /// <summary>
    /// One line: the fields and their messages when the API named fields (<c>error: deployment_type: …</c>), else
    /// the problem code and detail; then, for the errors a person can fix from here, a hint saying how.
    /// </summary>
    private static void WriteApiError(CliContext context, AdminClient client, AdminApiException ex)
    {
        var problem = ex.Problem;
        var detail = problem.Detail ?? problem.Title ?? $"HTTP {(int)ex.Status} {ex.Status}";
        if (problem.Errors is { Count: > 0 } errors)
        {
            var fields = errors.Select(e => $"{e.Key}: {string.Join("; ", e.Value)}");
            WriteError(context, string.Join(" | ", fields));
        }
        else
        {
            WriteError(context, ex.Code is { } code ? $"{code}: {detail}" : detail);
        }

        switch (ex.Status)
        {
            case HttpStatusCode.Unauthorized:
                WriteHint(context, client.HasToken
                    ? $"the admin token was not accepted; check {TokenVariable} (or --admin-token)."
                    : $"no admin token was given: set {TokenVariable} (or pass --admin-token) to an admin token (mat-…).");
                break;
            case HttpStatusCode.Forbidden:
                WriteHint(context, "the admin token's role may not do this; ask an operator-admin.");
                break;
            case HttpStatusCode.NotFound when problem.Type is null && problem.Errors is null:
                WriteHint(context, $"is {client.GatewayUrl} a Meridian gateway with the admin API?");
                break;
        }

        if (ex.HasField("acknowledge_data_may_leave_geography"))
        {
            WriteHint(context, "publisher-hosted processing may leave the resource's geography; if that is acceptable, re-run with --acknowledge-data-may-leave-geography.");
        }

        if (ex.Code == "terms_not_accepted")
        {
            WriteHint(context, "see the offer's current terms with meridian subscribe --tenant TENANT --offer OFFER, then accept them with --accept-terms VERSION.");
        }
    }
}

/// <summary>One invocation of an admin command: the client, the parse result, the consoles and how to print.</summary>
internal sealed class AdminCall(CliContext context, AdminClient api, ParseResult parse, bool json)
{
    public AdminClient Api { get; } = api;

    public ParseResult Parse { get; } = parse;

    /// <summary><c>--json</c>: print the API's JSON to stdout and nothing else there.</summary>
    public bool Json { get; } = json;

    public IAnsiConsole Out => context.Out;

    public CliContext Context => context;

    public T? Value<T>(Option<T> option) => Parse.GetValue(option);

    public T? Value<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>
    /// Writes <paramref name="json"/> indented, straight to stdout's writer: Spectre would wrap long lines at the
    /// console width, which inserts newlines into strings and breaks <c>jq</c>.
    /// </summary>
    public void WriteJson(string json)
    {
        var writer = context.Out.Profile.Out.Writer;
        writer.WriteLine(CliOutput.Indent(json));
        writer.Flush();
    }

    /// <summary>A warning on stderr: a badge on the first line, the others aligned under its text.</summary>
    public void Warn(params string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            context.Error.MarkupLine($"{(i == 0 ? "[black on yellow] WARNING [/]" : "         ")} [yellow]{Markup.Escape(lines[i])}[/]");
        }
    }

    public void Note(string message) =>
        context.Error.MarkupLine($"[grey]{Markup.Escape(message)}[/]");
}
