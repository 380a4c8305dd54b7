using Meridian.Safeguards.Policies;

namespace Meridian.Safeguards.Tests.Evaluation;

/// <summary>
/// Runs the labelled evaluation set through the built-in classifiers, writes the table to
/// artifacts/safeguards-eval.md (the one in docs/safeguards.md is copied from it) and holds the floors.
/// </summary>
public sealed class EvaluationTests(ITestOutputHelper output)
{
    /// <summary>
    /// The floors sit a few points under the measured numbers: they catch a regression (a rule that stops matching, a
    /// normalizer change) without failing on the deliberate misses the set contains. They are no claim about real
    /// traffic: the set and the lexicon were written by the same people.
    /// </summary>
    private static readonly Dictionary<SafetyCategory, (double Precision, double Recall)> ActionableFloors = new()
    {
        [SafetyCategory.Hate] = (0.90, 0.80),
        [SafetyCategory.Sexual] = (0.90, 0.80),
        [SafetyCategory.Violence] = (0.90, 0.80),
        [SafetyCategory.SelfHarm] = (0.90, 0.80),
        [SafetyCategory.Pii] = (0.95, 0.90),
        [SafetyCategory.PromptInjection] = (0.90, 0.80),
    };

    [Fact]
    public async Task Built_in_classifiers_meet_the_precision_and_recall_floors_on_the_evaluation_set()
    {
        var cases = EvaluationSet.Load(RepositoryPaths.EvaluationSet);
        Assert.True(cases.Count >= 300, $"the evaluation set has {cases.Count} lines; at least 300 are expected");

        var screener = Screener.CreateDefault();
        var report = new EvaluationReport();
        foreach (var c in cases)
        {
            var screening = await screener.ScreenTextAsync(c.Text, c.Source, SafeguardPolicy.Default, TestContext.Current.CancellationToken);
            Assert.Empty(screening.Verdict.Unavailable); // a classifier that throws must not pass for "found nothing"
            report.Add(c, screening.Verdict);
        }

        var markdown = report.ToMarkdown();
        Directory.CreateDirectory(Path.GetDirectoryName(RepositoryPaths.EvaluationReport)!);
        await File.WriteAllTextAsync(RepositoryPaths.EvaluationReport, markdown, TestContext.Current.CancellationToken);
        output.WriteLine(markdown);
        output.WriteLine("Disagreements at ≥ medium:");
        foreach (var line in report.Disagreements(Severity.Medium))
        {
            output.WriteLine(line);
        }

        output.WriteLine("Disagreements at ≥ low:");
        foreach (var line in report.Disagreements(Severity.Low))
        {
            output.WriteLine(line);
        }

        foreach (var (category, floor) in ActionableFloors)
        {
            var score = report.Score(category, Severity.Medium);
            Assert.True(score.Precision >= floor.Precision, $"{SafeguardNames.Name(category)} precision {score.Precision:0.00} < {floor.Precision}");
            Assert.True(score.Recall >= floor.Recall, $"{SafeguardNames.Name(category)} recall {score.Recall:0.00} < {floor.Recall}");
        }
    }
}
