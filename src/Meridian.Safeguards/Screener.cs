using System.Text.RegularExpressions;
using Meridian.Protocol;
using Meridian.Protocol.Messages;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;
using Meridian.Safeguards.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Safeguards;

/// <summary>Tuning of output screening on the stream.</summary>
public sealed record ScreenerOptions
{
    /// <summary>Chars of output held back so a match can still complete; null (the default) takes the longest match of
    /// the built-in classifiers (128). A match that straddles the release point is held whole, so up to twice this may
    /// wait for a moment while a redactable match is completing.</summary>
    public int? StreamWindowChars { get; init; }

    /// <summary>
    /// Rescan only once this many chars beyond the window are held (default 0: release as soon as possible). Each
    /// rescan reads the whole window, so tiny deltas cost more per KB; a value such as 32 trades a little release
    /// latency (and that many more held chars) for far fewer rescans. See docs/safeguards.md for measurements.
    /// </summary>
    public int StreamMinReleaseChars { get; init; }

    /// <summary>Chars of already released text kept before the window, for word boundaries and quotation context.</summary>
    public int StreamContextChars { get; init; } = 32;

    /// <summary>External (non-windowed) classifiers see the output in segments of about this many chars, plus the
    /// remainder at the end of each content block; the stream waits while they answer.</summary>
    public int StreamSegmentChars { get; init; } = 2048;
}

/// <summary>What <see cref="Screener.ScreenTextAsync"/> found and the text with redactions applied.</summary>
public sealed record TextScreening(Verdict Verdict, string Text);

/// <summary>
/// The safeguards entry point: screens a request before routing (<see cref="ScreenInputAsync(MessagesRequest, SafeguardPolicy, WorkBudget?, CancellationToken)"/>), an answer on the
/// stream (<see cref="CreateStreamScreener(SafeguardPolicy)"/>), or any text (<see cref="ScreenTextAsync"/>), under a
/// <see cref="SafeguardPolicy"/>. Create one per process (it holds the classifiers, which are shared) — immutable and
/// thread-safe.
/// </summary>
public sealed class Screener
{
    private readonly IClassifier[] _classifiers;

    public Screener(IEnumerable<IClassifier> classifiers, ILogger<Screener>? logger = null, ScreenerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifiers);
        _classifiers = [.. classifiers];
        var duplicate = _classifiers.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two classifiers are named '{duplicate.Key}'; names must be unique.", nameof(classifiers));
        }

        Options = options ?? new ScreenerOptions();
        var longest = _classifiers.OfType<IWindowedClassifier>().Select(c => c.MaxMatchChars).DefaultIfEmpty(1).Max();
        WindowChars = Options.StreamWindowChars ?? longest;
        if (WindowChars < 1 || Options.StreamContextChars < 0 || Options.StreamSegmentChars < 1 || Options.StreamMinReleaseChars < 0)
        {
            throw new ArgumentException("Stream window and segment sizes must be positive.", nameof(options));
        }

        Logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The built-in classifiers: <c>harm_lexicon</c>, <c>pii</c>, <c>prompt_injection</c>.</summary>
    public static IReadOnlyList<IClassifier> BuiltInClassifiers() =>
        [new HarmLexiconClassifier(), new PiiClassifier(), new PromptInjectionClassifier()];

    /// <summary>A screener with the built-in classifiers plus any <paramref name="external"/> ones (HTTP classifiers).</summary>
    public static Screener CreateDefault(ILogger<Screener>? logger = null, params IClassifier[] external) =>
        new([.. BuiltInClassifiers(), .. external], logger);

    public IReadOnlyList<IClassifier> Classifiers => _classifiers;

    public ScreenerOptions Options { get; }

    /// <summary>The effective stream window (chars held back).</summary>
    public int WindowChars { get; }

    internal ILogger Logger { get; }

    /// <summary>
    /// Checks a policy set against this screener's classifiers: every name a policy lists must exist. Call at startup
    /// and on configuration change; an empty list means the set is usable.
    /// </summary>
    public IReadOnlyList<string> Validate(SafeguardPolicySet policies)
    {
        var problems = new List<string>();
        foreach (var name in policies.Names.Order(StringComparer.Ordinal))
        {
            policies.TryGet(name, out var policy);
            foreach (var classifier in policy!.Classifiers ?? [])
            {
                if (!_classifiers.Any(c => c.Name == classifier))
                {
                    problems.Add($"policies.{name}.classifiers: '{classifier}' is not a configured classifier; configured: {string.Join(", ", _classifiers.Select(c => c.Name))}");
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// Screens every text a request carries (the system prompt, tool definitions, every block of every turn, tool
    /// results and documents: see <c>InputText</c>) under the policy's input table. Prompt injection is looked for in
    /// user content and tool results.
    /// External classifiers are called concurrently. Does not retain or log any text.
    /// </summary>
    public ValueTask<Verdict> ScreenInputAsync(MessagesRequest request, SafeguardPolicy policy, CancellationToken cancellationToken) =>
        ScreenInputAsync(request, policy, work: null, cancellationToken);

    /// <summary>
    /// <see cref="ScreenInputAsync(MessagesRequest, SafeguardPolicy, CancellationToken)"/>, charging what the built-in
    /// classifiers read to <paramref name="work"/>: throws <see cref="WorkBudgetExceededException"/> when it runs out, and
    /// <see cref="OperationCanceledException"/> as soon as the request is cancelled.
    /// </summary>
    public ValueTask<Verdict> ScreenInputAsync(MessagesRequest request, SafeguardPolicy policy, WorkBudget? work, CancellationToken cancellationToken) =>
        ScreenInputAsync(request, policy, [], work, cancellationToken);

    /// <summary>
    /// <see cref="ScreenInputAsync(MessagesRequest, SafeguardPolicy, WorkBudget?, CancellationToken)"/> with classifiers of
    /// the caller's own besides this screener's (a deployment's blocklist), run whatever the policy's classifier list says.
    /// </summary>
    public async ValueTask<Verdict> ScreenInputAsync(
        MessagesRequest request, SafeguardPolicy policy, IReadOnlyList<IClassifier> extra, WorkBudget? work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(extra);
        var texts = InputText.Collect(request);
        work?.Charge(texts.Sum(t => (long)(t?.Length ?? 0)));
        var builder = new VerdictBuilder();
        var needs = new VerdictNeeds(policy);
        var pending = new List<(IClassifier Classifier, TextSource Source, ValueTask<ClassifierResult> Result)>();
        foreach (var classifier in _classifiers.Concat(extra))
        {
            if (!policy.Uses(classifier.Name) && !extra.Contains(classifier))
            {
                continue;
            }

            builder.AddClassifier(classifier.Name);
            for (var i = 0; i < texts.Length; i++)
            {
                if (texts[i] is { Length: > 0 } text)
                {
                    pending.Add((classifier, InputText.SourceAt(i), ClassifyAsync(classifier, new ScreeningText(text, InputText.SourceAt(i), work) { Needs = needs }, cancellationToken)));
                }
            }
        }

        foreach (var (classifier, source, task) in pending)
        {
            Apply(builder, policy, ScreeningStage.Input, classifier, await task, redactions: null, evidenceIn: source);
        }

        var verdict = builder.Build(policy.Name);
        if (verdict.IsBlocked)
        {
            SafeguardsLog.InputBlocked(Logger, policy.Name, verdict.Compact);
        }

        return verdict;
    }

    /// <summary>
    /// Screens one text: <see cref="TextSource.Output"/> under the output table (redactions applied to the returned
    /// text), any other source under the input table.
    /// </summary>
    public async ValueTask<TextScreening> ScreenTextAsync(string text, TextSource source, SafeguardPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(policy);
        var stage = source == TextSource.Output ? ScreeningStage.Output : ScreeningStage.Input;
        var builder = new VerdictBuilder();
        var redactions = new List<RedactionSpan>();
        foreach (var classifier in _classifiers)
        {
            if (!policy.Uses(classifier.Name))
            {
                continue;
            }

            builder.AddClassifier(classifier.Name);
            if (text.Length > 0)
            {
                var result = await ClassifyAsync(classifier, new ScreeningText(text, source), cancellationToken);
                Apply(builder, policy, stage, classifier, result, redactions);
            }
        }

        var verdict = builder.Build(policy.Name);
        return new TextScreening(verdict, verdict.IsBlocked ? string.Empty : Redaction.Apply(text, redactions));
    }

    /// <summary>
    /// A screener for one streamed answer under the policy's output table. Not thread-safe; one per response. Wrap the
    /// backend's events with <see cref="StreamScreener.ScreenAsync"/> and read <see cref="StreamScreener.Verdict"/> once
    /// the enumeration has ended. For a non-streaming request, screen the events the same way before folding them into
    /// one message.
    /// </summary>
    public StreamScreener CreateStreamScreener(SafeguardPolicy policy) => CreateStreamScreener(policy, []);

    /// <summary>
    /// <see cref="CreateStreamScreener(SafeguardPolicy)"/> with classifiers of the caller's own besides this screener's (a
    /// deployment's blocklist), run whatever the policy's classifier list says; the window grows to the longest match
    /// any of them can make.
    /// </summary>
    public StreamScreener CreateStreamScreener(SafeguardPolicy policy, IReadOnlyList<IClassifier> extra)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(extra);
        return new StreamScreener(this, policy, extra);
    }

    internal IClassifier[] ClassifiersFor(SafeguardPolicy policy) => [.. _classifiers.Where(c => policy.Uses(c.Name))];

    /// <summary>Calls a classifier, turning anything but the caller's cancellation into "unavailable".</summary>
    internal async ValueTask<ClassifierResult> ClassifyAsync(IClassifier classifier, ScreeningText text, CancellationToken cancellationToken)
    {
        try
        {
            return await classifier.ClassifyAsync(text, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (WorkBudgetExceededException)
        {
            throw; // the request is refused whole (fail closed), not screened without this classifier
        }
        catch (RegexMatchTimeoutException ex) when (text.Work is { } work)
        {
            // A built-in pattern's second backstop fired: a request's input fails closed as over its work budget (413).
            // Output has no budget; there it is the classifier failing, and the policy's on_classifier_failure decides.
            SafeguardsLog.ClassifierThrew(Logger, classifier.Name, ex.GetType().Name);
            throw work.Exceeded(ex);
        }
        catch (Exception ex)
        {
            SafeguardsLog.ClassifierThrew(Logger, classifier.Name, ex.GetType().Name);
            return ClassifierResult.Unavailable("exception");
        }
    }

    /// <summary>
    /// Adds a classifier's result to a verdict under the policy; collects redactions when asked to, and, with
    /// <paramref name="evidenceIn"/>, the positions of the findings that call for review (for a case's excerpts).
    /// </summary>
    internal void Apply(
        VerdictBuilder builder, SafeguardPolicy policy, ScreeningStage stage, IClassifier classifier, ClassifierResult result, List<RedactionSpan>? redactions,
        TextSource? evidenceIn = null)
    {
        if (result.UnavailableReason is { } reason)
        {
            var failClosed = policy.OnClassifierFailure == ClassifierFailureMode.Closed;
            SafeguardsLog.ClassifierUnavailable(Logger, classifier.Name, reason, policy.Name, failClosed ? "closed" : "open");
            builder.AddUnavailable(classifier.Name, reason, failClosed);
            return;
        }

        foreach (var finding in result.Findings)
        {
            var action = ActionFor(policy, stage, finding);
            builder.AddFinding(finding, action);
            if (evidenceIn is { } source && action >= SafeguardAction.Flag)
            {
                builder.AddEvidence(new Evidence(source, finding));
            }

            if (action == SafeguardAction.Redact)
            {
                redactions?.Add(new RedactionSpan(finding.Start, finding.End, finding.Kind));
            }
        }
    }

    /// <summary>An external finding spans a whole text (or text already sent): it cannot be redacted, so it is flagged.</summary>
    internal static SafeguardAction ActionFor(SafeguardPolicy policy, ScreeningStage stage, in Finding finding)
    {
        var action = policy.ActionFor(stage, finding.Category, finding.Severity);
        return action == SafeguardAction.Redact && finding.Kind == HarmKinds.External ? SafeguardAction.Flag : action;
    }
}
