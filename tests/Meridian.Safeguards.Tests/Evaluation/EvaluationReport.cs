using System.Globalization;
using System.Text;

namespace Meridian.Safeguards.Tests.Evaluation;

/// <summary>Precision and recall of one category: at a severity threshold, or of the policy's flag-or-block.</summary>
internal sealed record CategoryScore(SafetyCategory Category, int Positives, int TruePositives, int FalsePositives, int FalseNegatives)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

    public double Recall => Positives == 0 ? 1 : (double)TruePositives / Positives;
}

/// <summary>Scores predictions against labels and renders the markdown for docs/safeguards.md.</summary>
internal sealed class EvaluationReport
{
    /// <summary>The PII kinds the table lists, in order.</summary>
    private static readonly string[] PiiKindOrder =
    [
        PiiKinds.PaymentCard, PiiKinds.Iban, PiiKinds.Email, PiiKinds.Phone, PiiKinds.UsSsn, PiiKinds.IpAddress, PiiKinds.Secret,
        PiiKinds.UkNino, PiiKinds.Passport, PiiKinds.EsDni, PiiKinds.FrNir, PiiKinds.InAadhaar,
    ];

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

    /// <summary>Positives: lines labelled at or above <paramref name="threshold"/>; predicted: the verdict's severity is.</summary>
    public CategoryScore Score(SafetyCategory category, Severity threshold) =>
        Tally(category, c => c.Labels.GetValueOrDefault(category) >= threshold, v => v.SeverityOf(category) >= threshold);

    /// <summary>
    /// What the issue's targets are about. Positives: clear harm, a label of <c>medium</c> or more; predicted: the policy
    /// the set was screened under flagged or blocked the line for this category.
    /// </summary>
    public CategoryScore FlagOrBlock(SafetyCategory category) =>
        Tally(category, c => c.Labels.GetValueOrDefault(category) >= Severity.Medium, v => ActionOf(v, category) >= SafeguardAction.Flag);

    /// <summary>Lines with no label at <c>medium</c> or more (benign look-alikes and mentions) that were flagged or blocked.</summary>
    public IEnumerable<EvaluationCase> BenignFlagged() =>
        _results.Where(r => r.Case.Labels.Values.All(s => s < Severity.Medium) && r.Verdict.Action >= SafeguardAction.Flag).Select(r => r.Case);

    public int BenignCount => _results.Count(r => r.Case.Labels.Values.All(s => s < Severity.Medium));

    private CategoryScore Tally(SafetyCategory category, Func<EvaluationCase, bool> expectedOf, Func<Verdict, bool> actualOf)
    {
        int positives = 0, tp = 0, fp = 0, fn = 0;
        foreach (var (c, verdict) in _results)
        {
            var expected = expectedOf(c);
            var actual = actualOf(verdict);
            positives += expected ? 1 : 0;
            tp += expected && actual ? 1 : 0;
            fp += !expected && actual ? 1 : 0;
            fn += expected && !actual ? 1 : 0;
        }

        return new CategoryScore(category, positives, tp, fp, fn);
    }

    private static SafeguardAction ActionOf(Verdict verdict, SafetyCategory category)
    {
        foreach (var entry in verdict.Categories)
        {
            if (entry.Category == category)
            {
                return entry.Action;
            }
        }

        return SafeguardAction.Allow;
    }

    /// <summary>Recall per PII kind: lines labelled with the kind whose verdict names it.</summary>
    public IEnumerable<(string Kind, int Positives, int Found)> KindRecall()
    {
        foreach (var kind in PiiKindOrder)
        {
            var labelled = _results.Where(r => r.Case.Kinds.Contains(kind)).ToList();
            if (labelled.Count > 0)
            {
                yield return (kind, labelled.Count, labelled.Count(r => r.Verdict.Kinds.Contains("pii:" + kind)));
            }
        }
    }

    /// <summary>The share of (line, category) pairs whose exact severity matches the label.</summary>
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
                    yield return $"{(c.Holdout ? "held-out" : "development")} line {c.Line}: {SafeguardNames.Name(category)} expected {SafeguardNames.Name(expected)}, got {SafeguardNames.Name(actual)} — {c.Text.ReplaceLineEndings(" ")}";
                }
            }
        }
    }

    /// <summary>The evaluation section of docs/safeguards.md: one block per part, the held-out part first.</summary>
    public string ToMarkdown()
    {
        var b = new StringBuilder();
        var development = Where(c => !c.Holdout);
        var holdout = Where(c => c.Holdout);
        b.AppendLine(CultureInfo.InvariantCulture, $"#### Held-out part: `eval-holdout.jsonl`, {holdout.Count} lines");
        b.AppendLine();
        holdout.AppendTables(b);
        b.AppendLine(CultureInfo.InvariantCulture, $"#### Development part: `eval.jsonl`, {development.Count} lines");
        b.AppendLine();
        development.AppendTables(b);
        return b.ToString();
    }

    private void AppendTables(StringBuilder b)
    {
        b.AppendLine("| category | clear harm (≥ medium) | flag-or-block precision | flag-or-block recall | labelled ≥ low | precision ≥ low | recall ≥ low |");
        b.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var category in SafeguardNames.Categories)
        {
            var acted = FlagOrBlock(category);
            var low = Score(category, Severity.Low);
            var actedCells = category == SafetyCategory.Pii
                ? "— | —" // annotated in input by design: the kind table below is PII's measure
                : string.Create(CultureInfo.InvariantCulture, $"{acted.Precision:0.00} | {acted.Recall:0.00}");
            b.AppendLine(CultureInfo.InvariantCulture,
                $"| {SafeguardNames.Name(category)} | {acted.Positives} | {actedCells} | {low.Positives} | {low.Precision:0.00} | {low.Recall:0.00} |");
        }

        b.AppendLine();
        b.AppendLine(CultureInfo.InvariantCulture,
            $"Benign lines (no label at `medium` or above) flagged or blocked: {BenignFlagged().Count()} of {BenignCount}. Exact severity agreement over all (line, category) pairs: {SeverityAgreement():0.000}.");
        b.AppendLine();
        b.AppendLine("| PII kind | labelled | found | recall |");
        b.AppendLine("|---|---:|---:|---:|");
        foreach (var (kind, positives, found) in KindRecall())
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"| {kind} | {positives} | {found} | {(double)found / positives:0.00} |");
        }

        b.AppendLine();
    }
}
