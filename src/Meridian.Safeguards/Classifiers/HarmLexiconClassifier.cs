namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// The built-in harm classifier (hate, sexual, violence, self-harm): a lexicon of terms and phrases with severities,
/// matched word by word on a normalized view of the text (case, leet, spacing and stretching folded). A baseline, not a
/// model — see docs/safeguards.md for its limits. Stateless and thread-safe; completes synchronously.
/// </summary>
public sealed class HarmLexiconClassifier : IClassifier, IWindowedClassifier
{
    public const string DefaultName = "harm_lexicon";

    private static readonly Lazy<LexiconMatcher> SharedMatcher = new(() => new LexiconMatcher(HarmLexicon.Rules));

    /// <summary>Builds (once per process) and warms the rule matchers, so the first request does not pay for it.</summary>
    public HarmLexiconClassifier() => _ = SharedMatcher.Value;

    public string Name => DefaultName;

    /// <summary>The longest original text a rule is expected to match; phrases longer than this (padded with many
    /// spaces, say) may be missed when screening a stream.</summary>
    public int MaxMatchChars => 120;

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken)
    {
        var span = text.Text.Span;
        if (span.IsEmpty)
        {
            return ValueTask.FromResult(ClassifierResult.None);
        }

        var work = text.Work;
        work?.Charge(span.Length);
        using var normalized = NormalizedText.Create(span);
        var findings = new List<Finding>();
        if (text.Needs is { } needs)
        {
            // Input: judged as they are found, and only as many as the verdict needs.
            SharedMatcher.Value.Match(normalized, findings, work, new LexiconMatcher.VerdictScope(needs, span, JudgeRule));
            findings.Sort(ByStart);
            work?.Charge(findings.Count);
            return ValueTask.FromResult(ClassifierResult.Of(findings));
        }

        SharedMatcher.Value.Match(normalized, findings, work);
        if (findings.Count == 0)
        {
            return ValueTask.FromResult(ClassifierResult.None);
        }

        findings.Sort(ByStart);
        var quoting = new Quoting(span);
        for (var i = 0; i < findings.Count; i++)
        {
            findings[i] = Contextualize(ref quoting, findings[i]);
        }

        work?.Charge(findings.Count + quoting.Reads);

        return ValueTask.FromResult(ClassifierResult.Of(findings));
    }

    /// <summary>
    /// Threats and intentions inside quotation marks are reported speech or dialogue (fiction, news, a victim quoting a
    /// message); they drop to <c>low</c>. Anything about minors, and requests for weapons instructions, never drop.
    /// </summary>
    private static Finding Contextualize(ref Quoting quoting, Finding finding)
    {
        if (!Downgrades(finding.Severity, finding.Kind))
        {
            return finding;
        }

        return quoting.IsQuoted(finding.Start, finding.End) ? finding with { Severity = Severity.Low } : finding;
    }

    private static bool Downgrades(Severity severity, string kind) =>
        severity > Severity.Low && kind is not (HarmKinds.Minors or HarmKinds.Weapons or HarmKinds.Instructions);

    /// <summary><see cref="Contextualize"/> for a rule's finding that stands quoted or not.</summary>
    private static readonly LexiconMatcher.Judge JudgeRule = static (rule, quoted) =>
        quoted && Downgrades(rule.Severity, rule.Kind) ? Severity.Low : rule.Severity;

    /// <summary>The order <see cref="Quoting"/> reads findings in (start, then end); ties in a fixed order, so that the
    /// first findings a verdict keeps as evidence do not depend on the sort.</summary>
    internal static int ByStart(Finding a, Finding b) =>
        a.Start != b.Start ? a.Start.CompareTo(b.Start)
        : a.End != b.End ? a.End.CompareTo(b.End)
        : a.Category != b.Category ? a.Category.CompareTo(b.Category)
        : a.Severity != b.Severity ? a.Severity.CompareTo(b.Severity)
        : string.CompareOrdinal(a.Kind, b.Kind);
}
