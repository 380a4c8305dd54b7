using System.Text.Json;

namespace Meridian.Safeguards.Tests.Evaluation;

/// <summary>One labelled line of tests/data/safeguards/eval.jsonl.</summary>
/// <param name="Holdout">Written after the lexicon was frozen (<c>"split": "holdout"</c>) and never used to tune it.</param>
internal sealed record EvaluationCase(int Line, string Text, TextSource Source, IReadOnlyDictionary<SafetyCategory, Severity> Labels, IReadOnlyList<string> Kinds, string? Note, bool Holdout);

internal static class EvaluationSet
{
    /// <summary>Reads the set; a malformed line fails loudly with its line number.</summary>
    public static IReadOnlyList<EvaluationCase> Load(string path)
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
                    throw new FormatException($"eval.jsonl line {number}: bad label {label.Name}={label.Value}");
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
                    var other => throw new FormatException($"eval.jsonl line {number}: unknown source {other}"),
                };
            }

            var kinds = root.TryGetProperty("kinds", out var k) ? k.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];
            var note = root.TryGetProperty("note", out var n) ? n.GetString() : null;
            var holdout = root.TryGetProperty("split", out var split) && split.GetString() == "holdout";
            cases.Add(new EvaluationCase(number, root.GetProperty("text").GetString()!, source, labels, kinds, note, holdout));
        }

        return cases;
    }
}
