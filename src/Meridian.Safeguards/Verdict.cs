using System.Text;

namespace Meridian.Safeguards;

/// <summary>Where one finding that calls for review was found: the input text it was in and its position there.</summary>
public readonly record struct Evidence(TextSource Source, Finding Finding);

/// <summary>The strongest severity seen in one category, and the strongest action it led to.</summary>
public readonly record struct CategorySeverity(SafetyCategory Category, Severity Severity, SafeguardAction Action);

/// <summary>
/// The outcome of screening one input or one output: the action to take and what led to it — categories, severities,
/// finding kinds, classifier names — and never any matched text, so it can go into receipts, response headers, logs
/// and T&amp;S case metadata as it is. Immutable.
/// </summary>
public sealed class Verdict
{
    internal Verdict(
        string policy,
        SafeguardAction action,
        IReadOnlyList<CategorySeverity> categories,
        IReadOnlyList<string> kinds,
        IReadOnlyList<string> classifiers,
        IReadOnlyList<string> unavailable,
        string? reason,
        IReadOnlyList<Evidence>? evidence = null)
    {
        Evidence = evidence ?? [];
        Policy = policy;
        Action = action;
        Categories = categories;
        Kinds = kinds;
        Classifiers = classifiers;
        Unavailable = unavailable;
        Reason = reason;
        Compact = FormatCompact(action, categories, unavailable);
    }

    /// <summary>The name of the policy that decided.</summary>
    public string Policy { get; }

    /// <summary>The strongest action any finding (or an unavailable classifier) led to.</summary>
    public SafeguardAction Action { get; }

    /// <summary>Categories with a severity above <c>safe</c>, in <see cref="SafeguardNames.Categories"/> order.</summary>
    public IReadOnlyList<CategorySeverity> Categories { get; }

    /// <summary>Distinct finding kinds as <c>category:kind</c> (e.g. <c>pii:payment_card</c>), sorted.</summary>
    public IReadOnlyList<string> Kinds { get; }

    /// <summary>The classifiers that were asked, in the order they ran.</summary>
    public IReadOnlyList<string> Classifiers { get; }

    /// <summary>The classifiers that could not answer, as <c>name</c>; see <see cref="Reason"/> for why when it blocked.</summary>
    public IReadOnlyList<string> Unavailable { get; }

    /// <summary>When <see cref="Action"/> is <c>block</c>: what blocked, for the client — the categories with their
    /// severities (<c>violence (high)</c>) or the unavailable classifier; never content. Null otherwise.
    /// <see cref="SafeguardErrors"/> turns it into the error the client sees.</summary>
    public string? Reason { get; }

    /// <summary>
    /// Where in the input the findings that call for review are (flag or block), at most <see cref="VerdictBuilder.MaxEvidence"/>:
    /// positions only, so a verdict still carries no text. A case keeps a bounded excerpt around each
    /// (<see cref="CaseExcerpts"/>). Empty for output verdicts (a case keeps the answer's text itself, bounded).
    /// </summary>
    public IReadOnlyList<Evidence> Evidence { get; }

    /// <summary>The receipt form: <c>allow</c>, <c>flag:violence=medium;pii=low</c>, <c>block:unavailable=llama_guard</c>.</summary>
    public string Compact { get; }

    public bool IsBlocked => Action == SafeguardAction.Block;

    /// <summary>Whether a human should look: the policy flagged (or blocked) something.</summary>
    public bool RequiresReview => Action >= SafeguardAction.Flag;

    /// <summary>A verdict with nothing found (used when screening found nothing or was not applicable).</summary>
    public static Verdict Allow(string policy, IReadOnlyList<string>? classifiers = null) =>
        new(policy, SafeguardAction.Allow, [], [], classifiers ?? [], [], null);

    public Severity SeverityOf(SafetyCategory category)
    {
        foreach (var entry in Categories)
        {
            if (entry.Category == category)
            {
                return entry.Severity;
            }
        }

        return Severity.Safe;
    }

    /// <summary>The verdict of input and output together (for one receipt): strongest action, maximum severities, unions.</summary>
    public Verdict Merge(Verdict other)
    {
        var builder = new VerdictBuilder();
        builder.AddVerdict(this);
        builder.AddVerdict(other);
        return builder.Build(Policy, Reason ?? other.Reason);
    }

    public override string ToString() => Compact;

    private static string FormatCompact(SafeguardAction action, IReadOnlyList<CategorySeverity> categories, IReadOnlyList<string> unavailable)
    {
        if (categories.Count == 0 && unavailable.Count == 0)
        {
            return SafeguardNames.Name(action);
        }

        var builder = new StringBuilder(SafeguardNames.Name(action)).Append(':');
        var first = true;
        foreach (var entry in categories)
        {
            if (!first)
            {
                builder.Append(';');
            }

            builder.Append(SafeguardNames.Name(entry.Category)).Append('=').Append(SafeguardNames.Name(entry.Severity));
            first = false;
        }

        foreach (var name in unavailable)
        {
            if (!first)
            {
                builder.Append(';');
            }

            builder.Append("unavailable=").Append(name);
            first = false;
        }

        return builder.ToString();
    }
}

/// <summary>Accumulates findings into a verdict. Not thread-safe; one per screening.</summary>
internal sealed class VerdictBuilder
{
    private static readonly int CategoryCount = SafeguardNames.Categories.Count;
    private readonly Severity[] _severities = new Severity[CategoryCount];
    private readonly SafeguardAction[] _actions = new SafeguardAction[CategoryCount];
    private readonly List<string> _classifiers = [];
    private readonly List<string> _unavailable = [];
    private readonly List<(SafetyCategory Category, string Kind)> _findingKinds = [];
    private SortedSet<string>? _kinds;
    /// <summary>Most finding positions a verdict keeps for excerpts; a request with more keeps the first ones found.</summary>
    public const int MaxEvidence = 64;

    private SafeguardAction _action;
    private string? _unavailableBlock;
    private List<Evidence>? _evidence;

    public SafeguardAction Action => _action;

    public void AddClassifier(string name)
    {
        if (!_classifiers.Contains(name))
        {
            _classifiers.Add(name);
        }
    }

    public void AddFinding(in Finding finding, SafeguardAction action)
    {
        if (finding.Severity == Severity.Safe)
        {
            return;
        }

        var i = (int)finding.Category;
        if (finding.Severity > _severities[i])
        {
            _severities[i] = finding.Severity;
        }

        if (action > _actions[i])
        {
            _actions[i] = action;
        }

        if (action > _action)
        {
            _action = action;
        }

        // Text dense with findings brings thousands of one kind: name each kind once, when it first comes.
        foreach (var (category, kind) in _findingKinds)
        {
            if (category == finding.Category && string.Equals(kind, finding.Kind, StringComparison.Ordinal))
            {
                return;
            }
        }

        _findingKinds.Add((finding.Category, finding.Kind));
        (_kinds ??= new SortedSet<string>(StringComparer.Ordinal)).Add(string.Concat(SafeguardNames.Name(finding.Category), ":", finding.Kind));
    }

    public void AddEvidence(Evidence evidence)
    {
        _evidence ??= [];
        if (_evidence.Count < MaxEvidence)
        {
            _evidence.Add(evidence);
        }
    }

    /// <summary>Records a classifier that could not answer; <paramref name="failClosed"/> turns that into a block.</summary>
    public void AddUnavailable(string name, string reason, bool failClosed)
    {
        if (!_unavailable.Contains(name))
        {
            _unavailable.Add(name);
        }

        var action = failClosed ? SafeguardAction.Block : SafeguardAction.Annotate;
        if (failClosed)
        {
            _unavailableBlock ??= $"classifier '{name}' was unavailable ({reason}) and the policy fails closed";
        }

        if (action > _action)
        {
            _action = action;
        }
    }

    public void AddVerdict(Verdict verdict)
    {
        foreach (var name in verdict.Classifiers)
        {
            AddClassifier(name);
        }

        foreach (var name in verdict.Unavailable)
        {
            if (!_unavailable.Contains(name))
            {
                _unavailable.Add(name);
            }
        }

        foreach (var entry in verdict.Categories)
        {
            var i = (int)entry.Category;
            _severities[i] = entry.Severity > _severities[i] ? entry.Severity : _severities[i];
            _actions[i] = entry.Action > _actions[i] ? entry.Action : _actions[i];
        }

        foreach (var evidence in verdict.Evidence)
        {
            AddEvidence(evidence);
        }

        foreach (var kind in verdict.Kinds)
        {
            (_kinds ??= new SortedSet<string>(StringComparer.Ordinal)).Add(kind);
        }

        if (verdict.Action > _action)
        {
            _action = verdict.Action;
        }
    }

    public Verdict Build(string policy, string? reason = null)
    {
        var categories = new List<CategorySeverity>();
        for (var i = 0; i < CategoryCount; i++)
        {
            if (_severities[i] > Severity.Safe)
            {
                categories.Add(new CategorySeverity((SafetyCategory)i, _severities[i], _actions[i]));
            }
        }

        if (_action == SafeguardAction.Block)
        {
            reason ??= BlockReason(categories);
        }

        return new Verdict(policy, _action, categories, _kinds is null ? [] : [.. _kinds], [.. _classifiers], [.. _unavailable], reason, _evidence);
    }

    private string BlockReason(List<CategorySeverity> categories)
    {
        var blocked = categories.Where(c => c.Action == SafeguardAction.Block)
            .Select(c => $"{SafeguardNames.Name(c.Category)} ({SafeguardNames.Name(c.Severity)})")
            .ToList();
        if (blocked.Count > 0)
        {
            return string.Join(", ", blocked);
        }

        return _unavailableBlock ?? "a classifier was unavailable and the policy fails closed";
    }
}
