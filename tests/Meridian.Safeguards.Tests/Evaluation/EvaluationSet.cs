using System.Text.Json;

namespace Meridian.Safeguards.Tests.Evaluation;

/// <summary>One labelled line of tests/data/safeguards/eval.jsonl (development) or eval-holdout.jsonl (held out).</summary>
/// <param name="Holdout">From the held-out file: written before the rules it measures and never used to write them.</param>
internal sealed record EvaluationCase(int Line, string Text, TextSource Source, IReadOnlyDictionary<SafetyCategory, Severity> Labels, IReadOnlyList<string> Kinds, string? Note, bool Holdout);

internal static class EvaluationSet
{
    /// <summary>Both parts: the development lines, then the held-out ones.</summary>
    public static IReadOnlyList<EvaluationCase> LoadBoth() =>
        [.. Load(RepositoryPaths.EvaluationSet, holdout: false), .. Load(RepositoryPaths.EvaluationHoldout, holdout: true)];

    /// <summary>Reads one part; a malformed line fails loudly with its file and line number.</summary>
    public static IReadOnlyList<EvaluationCase> Load(string path, bool holdout)
    {
        var cases = new List<EvaluationCase>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var labels = new Dictionary<SafetyCategory, Severity>();
            foreach (var label in root.GetProperty("labels").EnumerateObject())
            {
                if (!SafeguardNames.TryParseCategory(label.Name, out var category) || !SafeguardNames.TryParseSeverity(label.Value.GetString(), out var severity))
                {
                    throw new FormatException($"{Path.GetFileName(path)} line {number}: bad label {label.Name}={label.Value}");
                }

                labels[category] = severity;
            }

            var source = TextSource.User;
            if (root.TryGetProperty("source", out var s))
            {
                source = s.GetString() switch
                {
                    "user" => TextSource.User,
                    "tool_result" => TextSource.ToolResult,
                    "output" => TextSource.Output,
                    "system" => TextSource.System,
                    var other => throw new FormatException($"{Path.GetFileName(path)} line {number}: unknown source {other}"),
                };
            }

            var kinds = root.TryGetProperty("kinds", out var k) ? k.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];
            var note = root.TryGetProperty("note", out var n) ? n.GetString() : null;
            cases.Add(new EvaluationCase(number, root.GetProperty("text").GetString()!, source, labels, kinds, note, holdout));
        }

        return cases;
    }
}
