using Meridian.Protocol;

namespace Meridian.Safeguards;

/// <summary>
/// A content classifier: the built-in lexicon, PII and injection classifiers, or an external service behind
/// <see cref="Classifiers.HttpClassifier"/>. The <see cref="Screener"/> composes them per policy.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> One instance serves every request of the process: <see cref="ClassifyAsync"/> is called
/// concurrently from many threads and must be safe for that (hold no per-call state in fields).</para>
/// <para><b>Content.</b> <see cref="ScreeningText.Text"/> may be a slice of a pooled buffer that the caller reuses as soon
/// as the returned task completes: never keep a reference to it, and never log, store or send it anywhere except to the
/// classification service itself. Findings carry positions, not text.</para>
/// <para><b>Failure.</b> Do not throw for content or for an unreachable service: return
/// <see cref="ClassifierResult.Unavailable"/> and let the policy decide (fail open or closed). Throw only
/// <see cref="OperationCanceledException"/> when the caller's token is cancelled. An exception of any other kind is
/// treated as "unavailable" by the screener.</para>
/// <para><b>Cost.</b> The stream screener calls windowed classifiers once per released chunk of output, so built-in ones
/// complete synchronously and allocate only for findings.</para>
/// </remarks>
public interface IClassifier
{
    /// <summary>A stable snake_case name, used in policies (<c>"classifiers": [...]</c>) and verdicts.</summary>
    string Name { get; }

    /// <summary>Classifies <paramref name="text"/>; positions in the result are offsets into <c>text.Text</c>.</summary>
    ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken);
}

/// <summary>Text to classify and where it came from. A view: it may point into a buffer the caller reuses.</summary>
public readonly struct ScreeningText
{
    public ScreeningText(ReadOnlyMemory<char> text, TextSource source, WorkBudget? work = null)
    {
        Text = text;
        Source = source;
        Work = work;
    }

    public ScreeningText(string text, TextSource source, WorkBudget? work = null)
        : this(text.AsMemory(), source, work)
    {
    }

    public ReadOnlyMemory<char> Text { get; }

    public TextSource Source { get; }

    /// <summary>The request's work budget, when the caller keeps one: a classifier that works on this machine charges
    /// what it reads (see <see cref="WorkBudget"/>); it throws when the budget is used up or the request cancelled.</summary>
    public WorkBudget? Work { get; }

    /// <summary>Set by input screening for the built-in classifiers: they may leave out findings that cannot change the
    /// verdict (<see cref="VerdictNeeds"/>). Null: report every finding.</summary>
    internal VerdictNeeds? Needs { get; init; }
}

/// <summary>What one classifier said about one text: findings, or that it could not tell.</summary>
public sealed class ClassifierResult
{
    private ClassifierResult(IReadOnlyList<Finding> findings, string? unavailableReason)
    {
        Findings = findings;
        UnavailableReason = unavailableReason;
    }

    /// <summary>Nothing found (shared instance, no allocation).</summary>
    public static ClassifierResult None { get; } = new([], null);

    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>Why the classifier could not classify (<c>timeout</c>, <c>http_503</c>, …), or null when it did.
    /// A short machine-readable reason: never content.</summary>
    public string? UnavailableReason { get; }

    public bool IsUnavailable => UnavailableReason is not null;

    public static ClassifierResult Of(IReadOnlyList<Finding> findings) => findings.Count == 0 ? None : new(findings, null);

    public static ClassifierResult Unavailable(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new([], reason);
    }
}
