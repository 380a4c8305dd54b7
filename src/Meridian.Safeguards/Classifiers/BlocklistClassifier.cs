using System.Text.RegularExpressions;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// A deployment's own blocklist (docs/safeguards.md, "Settings per deployment"): terms, matched case-insensitively as
/// whole words by one Aho-Corasick automaton over all of them, and patterns, joined into one regular expression run
/// with <see cref="RegexOptions.NonBacktracking"/>. Both read the text once: the automaton's work per char is bounded by
/// the number of terms ending there (at most one per length, so at most <see cref="MaxTermChars"/>), the regex engine's
/// by construction. Each match is a finding of the configured category and severity, so the policy's table decides
/// its action like any other finding. Immutable, thread-safe.
/// </summary>
public sealed class BlocklistClassifier : IClassifier, IWindowedClassifier
{
    public const string ClassifierName = "blocklist";
    public const string TermKind = "blocklist_term";
    public const string PatternKind = "blocklist_pattern";
    public const int MaxTerms = 1000;
    public const int MaxTermChars = 100;
    public const int MaxPatterns = 50;
    public const int MaxPatternChars = 500;

    /// <summary>
    /// On an answer, screened on the stream's sliding window: a match of up to this many chars is always seen whole (a
    /// term is at most <see cref="MaxTermChars"/>); a longer pattern match may straddle what was already released.
    /// </summary>
    public const int MaxStreamMatchChars = 256;

    /// <summary>Findings per text: beyond a few, more add nothing to the verdict, and scanning stops.</summary>
    private const int MaxFindings = 32;

    private readonly TermAutomaton? _terms;
    private readonly Regex? _patterns;

    private BlocklistClassifier(TermAutomaton? terms, Regex? patterns, SafetyCategory category, Severity severity)
    {
        _terms = terms;
        _patterns = patterns;
        Category = category;
        Severity = severity;
    }

    public string Name => ClassifierName;

    int IWindowedClassifier.MaxMatchChars => MaxStreamMatchChars;

    public SafetyCategory Category { get; }

    public Severity Severity { get; }

    /// <summary>
    /// Builds the classifier; on a bad term or pattern, null with the index of the entry at fault (its list named by
    /// <paramref name="problemField"/>: <c>terms</c> or <c>patterns</c>) and why.
    /// </summary>
    public static BlocklistClassifier? Create(
        IReadOnlyList<string> terms, IReadOnlyList<string> patterns, SafetyCategory category, Severity severity, out string? problemField, out string? problem)
    {
        problemField = null;
        problem = null;
        if (terms.Count > MaxTerms)
        {
            (problemField, problem) = ("terms", $"at most {MaxTerms} terms");
            return null;
        }

        if (patterns.Count > MaxPatterns)
        {
            (problemField, problem) = ("patterns", $"at most {MaxPatterns} patterns");
            return null;
        }

        for (var i = 0; i < terms.Count; i++)
        {
            if (terms[i].Trim().Length is 0 or > MaxTermChars)
            {
                (problemField, problem) = ($"terms[{i}]", $"must be 1 to {MaxTermChars} characters");
                return null;
            }
        }

        for (var i = 0; i < patterns.Count; i++)
        {
            if (patterns[i].Length is 0 or > MaxPatternChars)
            {
                (problemField, problem) = ($"patterns[{i}]", $"must be 1 to {MaxPatternChars} characters");
                return null;
            }

            try
            {
                _ = new Regex(patterns[i], Options);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                // Backreferences, lookarounds and atomic groups cannot run in linear time, and are refused here.
                (problemField, problem) = ($"patterns[{i}]", $"'{patterns[i]}' is not a usable pattern: {ex.Message}");
                return null;
            }
        }

        var automaton = terms.Count == 0 ? null : new TermAutomaton(terms.Select(t => t.Trim()));
        var regex = patterns.Count == 0 ? null : LinearRegex.Create(string.Join('|', patterns.Select(p => "(?:" + p + ")")), Options);
        return new BlocklistClassifier(automaton, regex, category, severity);
    }

    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken)
    {
        var span = text.Text.Span;
        text.Work?.Charge((_terms is null ? 0 : span.Length) + (_patterns is null ? 0 : span.Length));
        var findings = new List<Finding>();
        _terms?.FindAll(span, findings, MaxFindings, (start, length) => new Finding(Category, TermKind, Severity, start, length));
        if (_patterns is not null)
        {
            foreach (var match in _patterns.EnumerateMatches(span))
            {
                if (findings.Count >= MaxFindings)
                {
                    break;
                }

                findings.Add(new Finding(Category, PatternKind, Severity, match.Index, Math.Max(1, match.Length)));
            }
        }

        return ValueTask.FromResult(findings.Count == 0 ? ClassifierResult.None : ClassifierResult.Of(findings));
    }

    /// <summary>Aho-Corasick over lower-cased chars: every term found in one pass, whole words only.</summary>
    private sealed class TermAutomaton
    {
        private readonly List<Dictionary<char, int>> _next = [[]];
        private readonly List<int> _length = [0];
        private int[] _fail = [];
        private int[] _outputLink = [];

        public TermAutomaton(IEnumerable<string> terms)
        {
            foreach (var term in terms)
            {
                var state = 0;
                foreach (var c in term)
                {
                    var lower = char.ToLowerInvariant(c);
                    if (!_next[state].TryGetValue(lower, out var next))
                    {
                        next = _next.Count;
                        _next.Add([]);
                        _length.Add(0);
                        _next[state][lower] = next;
                    }

                    state = next;
                }

                _length[state] = term.Length;
            }

            Link();
        }

        public void FindAll(ReadOnlySpan<char> text, List<Finding> findings, int max, Func<int, int, Finding> finding)
        {
            var state = 0;
            for (var i = 0; i < text.Length && findings.Count < max; i++)
            {
                var c = char.ToLowerInvariant(text[i]);
                int next;
                while (!_next[state].TryGetValue(c, out next) && state != 0)
                {
                    state = _fail[state];
                }

                state = _next[state].TryGetValue(c, out next) ? next : 0;
                for (var output = _length[state] > 0 ? state : _outputLink[state]; output > 0 && findings.Count < max; output = _outputLink[output])
                {
                    var start = i - _length[output] + 1;
                    if ((start == 0 || !IsWordChar(text[start - 1])) && (i + 1 == text.Length || !IsWordChar(text[i + 1])))
                    {
                        findings.Add(finding(start, _length[output]));
                    }
                }
            }
        }

        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

        /// <summary>Breadth first: each state's failure link and its nearest state along the failure chain that ends a term.</summary>
        private void Link()
        {
            _fail = new int[_next.Count];
            _outputLink = new int[_next.Count];
            var queue = new Queue<int>();
            foreach (var child in _next[0].Values)
            {
                queue.Enqueue(child);
            }

            while (queue.Count > 0)
            {
                var state = queue.Dequeue();
                foreach (var (c, child) in _next[state])
                {
                    var fail = _fail[state];
                    while (fail != 0 && !_next[fail].ContainsKey(c))
                    {
                        fail = _fail[fail];
                    }

                    _fail[child] = _next[fail].TryGetValue(c, out var target) && target != child ? target : 0;
                    _outputLink[child] = _length[_fail[child]] > 0 ? _fail[child] : _outputLink[_fail[child]];
                    queue.Enqueue(child);
                }
            }
        }
    }
}
