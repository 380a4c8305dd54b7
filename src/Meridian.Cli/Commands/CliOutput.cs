using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary>How the admin commands render: tables that stay readable in a terminal, a file or a pipe.</summary>
internal static class CliOutput
{
    private static readonly JsonWriterOptions IndentedJson = new()
    {
        Indented = true,
        // The output is for terminals and scripts, not HTML: keep "é" and "+" as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// A table with bold headers. In a terminal it has rounded borders; written to a file or a pipe (no ANSI) it has
    /// none, one row per line with aligned columns, so <c>grep</c> and <c>awk</c> work on it.
    /// </summary>
    public static Table Table(IAnsiConsole console, params string[] columns)
    {
        var table = new Table().Border(console.Profile.Capabilities.Ansi ? TableBorder.Rounded : TableBorder.None);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn($"[bold]{Markup.Escape(column)}[/]").NoWrap());
        }

        return table;
    }

    /// <summary>Label/value pairs for one object.</summary>
    public static Grid Details() => new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();

    public static Grid Row(this Grid grid, string label, string? value)
    {
        grid.AddRow($"[bold]{Markup.Escape(label)}[/]", Escape(value));
        return grid;
    }

    /// <summary>Escapes text for markup; a missing value shows as a grey dash.</summary>
    public static string Escape(string? value) => string.IsNullOrEmpty(value) ? "[grey]-[/]" : Markup.Escape(value);

    public static string List(IEnumerable<string>? values) => values is null ? "" : string.Join(", ", values);

    /// <summary>Re-indents JSON for reading without changing a value (numbers keep their text).</summary>
    public static string Indent(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return "{}";
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, IndentedJson))
            {
                document.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
