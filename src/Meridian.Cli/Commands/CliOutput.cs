using System.Globalization;
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
        var plain = !console.Profile.Capabilities.Ansi;
        var table = new Table().Border(plain ? TableBorder.None : TableBorder.Rounded);
        foreach (var column in columns)
        {
            var tableColumn = new TableColumn($"[bold]{Markup.Escape(column)}[/]").NoWrap();
            if (plain)
            {
                // Without borders, values holding spaces ("Sweden Central") need a wider gap to read as one column.
                tableColumn.Padding = new Padding(0, 0, 3, 0);
            }

            table.AddColumn(tableColumn);
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

    /// <summary>
    /// Several values in one table cell: one per line in a terminal, where width is scarce; comma-separated when
    /// plain, where each row must stay on one line.
    /// </summary>
    public static string Cell(IAnsiConsole console, IEnumerable<string?>? values) =>
        values is null ? Escape(null) : Escape(string.Join(console.Profile.Capabilities.Ansi ? "\n" : ", ", values.Where(v => v is not null)));

    /// <summary>An API timestamp as <c>2026-11-29 13:45:00Z</c> (UTC, to the second); text that is not one, unchanged.</summary>
    public static string? Time(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : value;

    /// <summary>An API timestamp as <c>2026-11-29 13:45:00Z</c> (UTC, to the second).</summary>
    public static string? Time(DateTimeOffset? value) => value?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A count as a person reads it in a table: 600, 100k, 1M, 1.5M (exact only while short).</summary>
    public static string? Count(long? value) => value is not { } n ? null : n switch
    {
        >= 1_000_000 when n % 100_000 == 0 => (n / 1_000_000m).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 10_000 when n % 1_000 == 0 => (n / 1_000).ToString(CultureInfo.InvariantCulture) + "k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

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
