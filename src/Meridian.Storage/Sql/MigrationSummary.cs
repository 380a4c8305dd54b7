using System.Text.RegularExpressions;

namespace Meridian.Storage.Sql;

/// <summary>What a migration changes, one line per statement (<c>CREATE TABLE receipts</c>, <c>ALTER TABLE keys ADD COLUMN …</c>), for <c>migrate --dry-run</c>.</summary>
public static partial class MigrationSummary
{
    public static IReadOnlyList<string> Of(string migration)
    {
        var lines = new List<string>();
        foreach (Match match in Statement().Matches(migration))
        {
            lines.Add(Regex.Replace(match.Value.Trim(), @"\s+", " "));
        }

        return lines.Count > 0 ? lines : ["(data change)"];
    }

    [GeneratedRegex(@"\b(?:CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?\w+(?:\s+ON\s+\w+)?|ALTER\s+TABLE\s+\w+\s+(?:ADD\s+COLUMN\s+\w+|DROP\s+COLUMN\s+\w+|RENAME\s+(?:COLUMN\s+\w+\s+)?TO\s+\w+)|DROP\s+(?:TABLE|INDEX|VIEW|TRIGGER)\s+(?:IF\s+EXISTS\s+)?\w+|(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\w+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Statement();
}
