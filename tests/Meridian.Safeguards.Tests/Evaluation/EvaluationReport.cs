using System.Globalization;
using System.Text;

namespace Meridian.Safeguards.Tests.Evaluation;

/// <summary>Precision and recall of one category at one severity threshold.</summary>
internal sealed record CategoryScore(SafetyCategory Category, Severity Threshold, int Positives, int TruePositives, int FalsePositives, int FalseNegatives)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

    public double Recall => Positives == 0 ? 1 : (double)TruePositives / Positives;
}

/// <summary>Scores predictions against labels and renders the markdown table for docs/safeguards.md.</summary>
internal sealed class EvaluationReport
{
    private readonly List<(EvaluationCase Case, Verdict Verdict)> _results = [];

    public void Add(EvaluationCase evaluationCase, Verdict verdict) => _results.Add((evaluationCase, verdict));

    public int Count => _results.Count;

    /// <summary>The same report over a subset of the lines.</summary>
    public EvaluationReport Where(Func<EvaluationCase, bool> predicate)
    {
        var subset = new EvaluationReport();
        foreach (var (c, verdict) in _results.Where(r => predicate(r.Case)))
        {
            subset.Add(c, verdict);
        }

        return subset;
    }

    public CategoryScore Score(SafetyCategory category, Severity threshold)
    {
        int positives = 0, tp = 0, fp = 0, fn = 0;
        foreach (var (c, verdict) in _results)
        {
            var expected = c.Labels.GetValueOrDefault(category) >= threshold;
            var actual = verdict.SeverityOf(category) >= threshold;
            positives += expected ? 1 : 0;
            tp += expected && actual ? 1 : 0;
            fp += !expected && actual ? 1 : 0;
            fn += expected && !actual ? 1 : 0;
        }

        return new CategoryScore(category, threshold, positives, tp, fp, fn);
    }

    /// <summary>Recall per PII kind: lines labelled with the kind whose verdict names it.</summary>
    public IEnumerable<(string Kind, int Positives, int Found)> KindRecall()
    {
        foreach (var kind in new[] { PiiKinds.PaymentCard, PiiKinds.Iban, PiiKinds.Email, PiiKinds.Phone, PiiKinds.UsSsn, PiiKinds.IpAddress, PiiKinds.Secret })
        {
            var labelled = _results.Where(r => r.Case.Kinds.Contains(kind)).ToList();
            yield return (kind, labelled.Count, labelled.Count(r => r.Verdict.Kinds.Contains("pii:" + kind)));
        }
    }

    /// <summary>Lines where the exact severity of a category differs from its label.</summary>
    public double SeverityAgreement()
    {
        int agree = 0, total = 0;
        foreach (var (c, verdict) in _results)
        {
            foreach (var category in SafeguardNames.Categories)
            {
                total++;
                agree += c.Labels.GetValueOrDefault(category) == verdict.SeverityOf(category) ? 1 : 0;
            }
        }

        return (double)agree / total;
    }

    public IEnumerable<string> Disagreements(Severity threshold)
    {
        foreach (var (c, verdict) in _results)
        {
            foreach (var category in SafeguardNames.Categories)
            {
                var expected = c.Labels.GetValueOrDefault(category);
                var actual = verdict.SeverityOf(category);
                if ((expected >= threshold) != (actual >= threshold))
                {
                    yield return $"line {c.Line}: {SafeguardNames.Name(category)} expected {SafeguardNames.Name(expected)}, got {SafeguardNames.Name(actual)} — {c.Text.ReplaceLineEndings(" ")}";
                }
            }
        }
    }

    public string ToMarkdown()
    {
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"Built-in classifiers on `tests/data/safeguards/eval.jsonl`, default policy.");
        b.AppendLine();
        var development = Where(c => !c.Holdout);
        var holdout = Where(c => c.Holdout);
        b.AppendLine(CultureInfo.InvariantCulture, $"### All {Count} lines");
        b.AppendLine();
        AppendTables(b, kinds: true);
        b.AppendLine(CultureInfo.InvariantCulture, $"### Development lines only ({development.Count}; the lexicon was tuned on these)");
        b.AppendLine();
        development.AppendTables(b, kinds: false);
        b.AppendLine(CultureInfo.InvariantCulture, $"### Hold-out lines only ({holdout.Count}; written after the lexicon was frozen)");
        b.AppendLine();
        holdout.AppendTables(b, kinds: true);
        return b.ToString();
    }

    private void AppendTables(StringBuilder b, bool kinds)
    {
        b.AppendLine("| category | labelled ≥ medium | precision ≥ medium | recall ≥ medium | labelled ≥ low | precision ≥ low | recall ≥ low |");
        b.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var category in SafeguardNames.Categories)
        {
            var medium = Score(category, Severity.Medium);
            var low = Score(category, Severity.Low);
            b.AppendLine(CultureInfo.InvariantCulture,
                $"| {SafeguardNames.Name(category)} | {medium.Positives} | {medium.Precision:0.00} | {medium.Recall:0.00} | {low.Positives} | {low.Precision:0.00} | {low.Recall:0.00} |");
        }

        b.AppendLine();
        if (kinds)
        {
            b.AppendLine("| PII kind | labelled | found | recall |");
            b.AppendLine("|---|---:|---:|---:|");
            foreach (var (kind, positives, found) in KindRecall())
            {
                b.AppendLine(CultureInfo.InvariantCulture, $"| {kind} | {positives} | {found} | {(positives == 0 ? 1 : (double)found / positives):0.00} |");
            }

            b.AppendLine();
        }

        b.AppendLine(CultureInfo.InvariantCulture, $"Exact severity agreement over all (line, category) pairs: {SeverityAgreement():0.000}.");
        b.AppendLine();
    }
}
