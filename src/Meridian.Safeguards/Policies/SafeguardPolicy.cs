namespace Meridian.Safeguards.Policies;

/// <summary>Which side of the model a text is on: policies map the same finding differently on each.</summary>
public enum ScreeningStage
{
    Input,
    Output,
}

/// <summary>What a screen does when a classifier cannot answer (timeout, service down, malformed reply).</summary>
public enum ClassifierFailureMode
{
    /// <summary>Carry on; the verdict is annotated with the classifier that was unavailable.</summary>
    Open,

    /// <summary>Block, with a reason naming the classifier and the policy (never content).</summary>
    Closed,
}

/// <summary>
/// A deployment's safeguard policy: for each stage, category and severity, the action to take; which classifiers
/// run; and whether an unavailable classifier fails open or closed. Immutable and thread-safe; build variants with
/// the <c>With…</c> methods or parse them with <see cref="SafeguardPolicySet"/>.
/// </summary>
public sealed class SafeguardPolicy
{
    /// <summary>The name of the built-in policy every deployment gets unless it names another.</summary>
    public const string DefaultName = "default";

    private const int SeverityCount = 4;
    private static readonly int TableSize = SafeguardNames.Categories.Count * SeverityCount;

    // Index: (int)category * 4 + (int)severity. Safe is always Allow.
    private readonly SafeguardAction[] _input;
    private readonly SafeguardAction[] _output;

    private SafeguardPolicy(
        string name, ClassifierFailureMode onClassifierFailure, IReadOnlyList<string>? classifiers, SafeguardAction[] input, SafeguardAction[] output)
    {
        Name = name;
        OnClassifierFailure = onClassifierFailure;
        Classifiers = classifiers;
        _input = input;
        _output = output;
    }

    /// <summary>
    /// The built-in policy (see docs/safeguards.md for the table): harm is annotated at low, flagged at medium and
    /// blocked at high, except self-harm input, which is flagged rather than refused so a person in crisis still gets
    /// an answer; CBRN (weapons of mass harm) is blocked from medium; PII in input is annotated, in output emails/phones/IPs are annotated and cards, IBANs, SSNs and secrets
    /// redacted; prompt injection is looked for in input only; an unavailable classifier fails open.
    /// </summary>
    public static SafeguardPolicy Default { get; } = CreateDefault();

    public string Name { get; }

    public ClassifierFailureMode OnClassifierFailure { get; }

    /// <summary>The names of the classifiers this policy runs, or null for every classifier the screener has.</summary>
    public IReadOnlyList<string>? Classifiers { get; }

    /// <summary>The action for one finding.</summary>
    public SafeguardAction ActionFor(ScreeningStage stage, SafetyCategory category, Severity severity) =>
        severity == Severity.Safe ? SafeguardAction.Allow : Table(stage)[Index(category, severity)];

    /// <summary>Whether the policy runs the classifier of this name.</summary>
    public bool Uses(string classifierName) =>
        Classifiers is null || Classifiers.Contains(classifierName, StringComparer.Ordinal);

    /// <summary>A copy with one cell of the table changed.</summary>
    /// <exception cref="ArgumentException">The action is not allowed there: a non-allow action for <c>safe</c>, or
    /// <c>redact</c> anywhere but PII output.</exception>
    public SafeguardPolicy WithAction(ScreeningStage stage, SafetyCategory category, Severity severity, SafeguardAction action)
    {
        if (ValidateCell(stage, category, severity, action) is { } problem)
        {
            throw new ArgumentException(problem, nameof(action));
        }

        var input = (SafeguardAction[])_input.Clone();
        var output = (SafeguardAction[])_output.Clone();
        (stage == ScreeningStage.Input ? input : output)[Index(category, severity)] = action;
        return new SafeguardPolicy(Name, OnClassifierFailure, Classifiers, input, output);
    }

    public SafeguardPolicy WithName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new SafeguardPolicy(name, OnClassifierFailure, Classifiers, _input, _output);
    }

    public SafeguardPolicy WithFailureMode(ClassifierFailureMode mode) => new(Name, mode, Classifiers, _input, _output);

    /// <summary>A copy that runs only the named classifiers (null: all of them).</summary>
    public SafeguardPolicy WithClassifiers(IEnumerable<string>? classifiers) =>
        new(Name, OnClassifierFailure, classifiers?.Distinct(StringComparer.Ordinal).ToArray(), _input, _output);

    /// <summary>Null when <paramref name="action"/> may sit in that cell, else why not (names the cell, for config errors).</summary>
    internal static string? ValidateCell(ScreeningStage stage, SafetyCategory category, Severity severity, SafeguardAction action)
    {
        if (severity == Severity.Safe && action != SafeguardAction.Allow)
        {
            return "severity 'safe' always maps to 'allow'";
        }

        if (action == SafeguardAction.Redact && (stage != ScreeningStage.Output || category != SafetyCategory.Pii))
        {
            return "'redact' is only meaningful for pii in output";
        }

        return null;
    }

    private SafeguardAction[] Table(ScreeningStage stage) => stage == ScreeningStage.Input ? _input : _output;

    private static int Index(SafetyCategory category, Severity severity) => ((int)category * SeverityCount) + (int)severity;

    private static SafeguardPolicy CreateDefault()
    {
        const SafeguardAction A = SafeguardAction.Allow, N = SafeguardAction.Annotate, F = SafeguardAction.Flag,
            R = SafeguardAction.Redact, B = SafeguardAction.Block;

        // Columns: safe, low, medium, high; rows in SafetyCategory order.
        SafeguardAction[] input =
        [
            A, N, F, B, // hate
            A, N, F, B, // sexual (high = minors)
            A, N, F, B, // violence
            A, N, F, F, // self_harm: flag, never refuse a person in crisis
            A, A, N, N, // pii: people share their own details with a model all the time
            A, N, F, B, // prompt_injection
            A, N, B, B, // cbrn: a request for synthesis, production or acquisition is refused, not only reviewed
        ];
        SafeguardAction[] output =
        [
            A, N, F, B, // hate
            A, N, F, B, // sexual
            A, N, F, B, // violence
            A, N, F, B, // self_harm: an answer with instructions is stopped
            A, N, R, R, // pii: emails/phones/IPs (low) are often legitimate; cards, IBANs, SSNs, secrets are redacted
            A, N, N, N, // prompt_injection: not looked for in output; annotate if an external classifier reports it
            A, N, B, B, // cbrn
        ];
        return new SafeguardPolicy(DefaultName, ClassifierFailureMode.Open, null, input, output);
    }

    /// <summary>Copies of the two tables, for the parser to start from when a policy extends another.</summary>
    internal (SafeguardAction[] Input, SafeguardAction[] Output) CopyTables() =>
        ((SafeguardAction[])_input.Clone(), (SafeguardAction[])_output.Clone());

    internal static (SafeguardAction[] Input, SafeguardAction[] Output) EmptyTables() =>
        (new SafeguardAction[TableSize], new SafeguardAction[TableSize]);

    /// <summary>Takes ownership of the tables, which the caller has validated cell by cell.</summary>
    internal static SafeguardPolicy Create(
        string name, ClassifierFailureMode mode, IReadOnlyList<string>? classifiers, SafeguardAction[] input, SafeguardAction[] output) =>
        new(name, mode, classifiers, input, output);

    internal static int CellIndex(SafetyCategory category, Severity severity) => Index(category, severity);
}
