using System.Text;
using System.Text.RegularExpressions;
using Meridian.Protocol;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// Runs a set of <see cref="LexiconRule"/>s over a <see cref="NormalizedText"/>, allocation-free unless something
/// matches. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// One regex per rule, not one alternation per category: each rule then has a narrow set of leading chars the engine
/// searches for with vectorized IndexOfAny, where a big alternation starts a match attempt almost everywhere
/// (measured: 2–10x slower as alternations, more again with a capture group per rule). Separate regexes also find
/// overlapping matches of different rules, so a mention that starts earlier never hides a threat.
/// </remarks>
internal sealed class LexiconMatcher
{
    /// <summary>The severity a classifier reports a rule's finding with, when it stands quoted or not.</summary>
    public delegate Severity Judge(LexiconRule rule, bool quoted);

    /// <summary>What input screening needs (<see cref="VerdictNeeds"/>), the original text the quotation check reads,
    /// and the classifier's judgement of a finding. The default: every finding, with the rule's own severity.</summary>
    public readonly ref struct VerdictScope(VerdictNeeds? needs, ReadOnlySpan<char> original, Judge? judge)
    {
        public VerdictNeeds? Needs { get; } = needs;

        public ReadOnlySpan<char> Original { get; } = original;

        public Judge? Judge { get; } = judge;
    }

    /// <summary>
    /// The size limit (in regex nodes) for <see cref="RegexOptions.NonBacktracking"/> patterns, an AppContext setting
    /// the regex engine reads at each construction. Its default (10,000) guards against untrusted patterns building
    /// huge automata; the union of our own rules is ≈ 77,000 nodes, built once per process.
    /// </summary>
    private const string AutomataSizeSetting = "REGEX_NONBACKTRACKING_MAX_AUTOMATA_SIZE";
    private const int UnionAutomataSize = 250_000;

    private const string WarmUpText =
        "warm up the matcher with a sentence long enough to reach every part of the scanning loop and then some more words";

    /// <summary>A range of rules at most this long is not split further: its rules run once its union matches.</summary>
    private const int LeafRules = 2;

    private readonly (LexiconRule Rule, Regex Regex, Regex? Unless)[] _rules;
    private readonly Regex? _anyRule;

    /// <summary>The unions of a binary tree of rule ranges below the root (the root is <see cref="_anyRule"/>): each node
    /// splits its range of consecutive rules in two halves, down to <see cref="LeafRules"/> (null: the engine refused the
    /// union, and the node always counts as matching).</summary>
    private readonly Regex?[] _nodes;

    /// <summary>Per rule, the nodes whose range holds it, from the root's children down.</summary>
    private readonly int[][] _paths;

    public LexiconMatcher(IEnumerable<LexiconRule> rules)
    {
        _rules = [.. rules.Select(rule => (rule, Compile(rule.Pattern), rule.Unless is { } unless ? CompileUnless(unless) : null))];
        _anyRule = CompileUnion(_rules.Select(r => r.Rule.Pattern));
        var nodes = new List<Regex?>();
        _paths = new int[_rules.Length][];
        Split(0, _rules.Length, []);
        _nodes = [.. nodes];

        void Split(int from, int to, int[] path)
        {
            if (to - from <= LeafRules)
            {
                for (var r = from; r < to; r++)
                {
                    _paths[r] = path;
                }

                return;
            }

            var middle = (from + to) / 2;
            foreach (var (lo, hi) in new[] { (from, middle), (middle, to) })
            {
                nodes.Add(CompileUnion(_rules[lo..hi].Select(r => r.Rule.Pattern)));
                Split(lo, hi, [.. path, nodes.Count - 1]);
            }
        }

        // Pay the JIT of the compiled matchers now, at startup, not on the first request (a text shorter than a rule's
        // minimum length would return before reaching the matching code). Only a head start: on a starved machine the
        // first match can outlast the backtracking rules' match timeout, and that must not fail the matcher, which is
        // built once per process and would otherwise take every later request down with it.
        try
        {
            foreach (var (_, regex, unless) in _rules)
            {
                _ = regex.Count(WarmUpText);
                _ = unless?.IsMatch(WarmUpText);
            }

            _ = _anyRule?.IsMatch(WarmUpText);
            foreach (var node in _nodes)
            {
                _ = node?.IsMatch(WarmUpText);
            }
        }
        catch (RegexMatchTimeoutException)
        {
        }
    }

    /// <summary>
    /// The non-backtracking engine where the rule allows it (no lookarounds): linear time by construction and, on
    /// these alternation-heavy phrases, 2–20x faster than the compiled backtracking engine (measured per rule on
    /// ordinary prose). Rules with lookarounds use the compiled backtracking engine, with the match timeout of the other
    /// patterns that can backtrack (<see cref="PiiClassifier.MatchTimeoutMilliseconds"/>) as a second backstop: the
    /// patterns are ours and a test holds them to linear time on adversarial input, so only a pathological path reaches
    /// it, and the request then fails closed rather than being screened without the rule. Word boundaries are \b rather than a lookbehind: the normalized text has only word
    /// chars and single spaces, so they mean the same, and \b keeps the engine's leading-char search.
    /// </summary>
    internal static Regex Compile(string pattern)
    {
        var source = $"\\b(?:{RelaxDoubles(pattern)})\\b";
        const RegexOptions common = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;
        try
        {
            return LinearRegex.Create(source, common);
        }
        catch (NotSupportedException)
        {
            return new Regex(source, common | RegexOptions.Compiled, TimeSpan.FromMilliseconds(PiiClassifier.MatchTimeoutMilliseconds));
        }
    }

    /// <summary>Adds a finding per match; positions are mapped back to the original text. Charges
    /// <paramref name="work"/> a unit per char handed to a regex.</summary>
    /// <remarks>
    /// Most text matches no rule, so one pass of a union of all rules decides whether any of them can match
    /// (\b(?:A|B)\b matches somewhere exactly when \b(?:A)\b or \b(?:B)\b does; a rule with lookarounds takes part without
    /// them, which only makes it match more): ≈ 4 µs per KB, where the 38 rules the harm lexicon had when this was measured were
    /// ≈ 170 µs per KB one by one. Every rule's match starts inside one of the union's matches (the union finds the leftmost match at
    /// or before any position a rule matches at), so the rules then run one by one only over windows from each union
    /// match to <see cref="WindowReach"/> chars past its end: one threat in a long text no longer costs every rule a pass
    /// over all of it. Where matches are everywhere the windows cover the whole text, so a rule runs over a window only
    /// when the unions of every range of rules holding it match there, halving the range from all rules down to
    /// <see cref="LeafRules"/>: a text dense with one threat costs a pass per range beside that rule's path (the tree's
    /// depth, ≈ 6 for 72 rules), not a pass per rule (issue 15: 72 rule passes made such text 30 times the cost of prose
    /// in the lexicon, and fixed groups of six still left a pass per other group and per other rule of the group).
    /// </remarks>
    public void Match(NormalizedText normalized, List<Finding> findings, WorkBudget? work) =>
        Match(normalized, findings, work, default);

    /// <summary>
    /// <see cref="Match(NormalizedText, List{Finding}, WorkBudget?)"/> for input screening: each finding is reported with
    /// the severity <paramref name="scope"/>'s classifier gives it (quoted or not, read from the original text), only when
    /// it adds to the verdict, and a rule stops once nothing it can still find would (<see cref="VerdictNeeds"/>).
    /// </summary>
    public void Match(NormalizedText normalized, List<Finding> findings, WorkBudget? work, VerdictScope scope)
    {
        var span = normalized.Span;
        List<(int Start, int MatchesEnd, int End)> windows;
        if (_anyRule is null)
        {
            windows = [(0, span.Length, span.Length)];
        }
        else
        {
            work?.Charge(span.Length);
            if (Windows(span) is not { } found)
            {
                return;
            }

            windows = found;
        }

        // Per node and window: 0 not asked yet, 1 the node's union matches there, 2 it does not.
        var live = new byte[_nodes.Length * windows.Count];
        for (var r = 0; r < _rules.Length; r++)
        {
            var quoting = new Quoting(scope.Original);
            var tally = default(RuleTally);
            for (var w = 0; w < windows.Count; w++)
            {
                if (!PathMatches(r, w, windows, span, live, work))
                {
                    continue;
                }

                var (start, matchesEnd, end) = windows[w];
                if (!Collect(r, normalized, start, matchesEnd, end, findings, work, scope, ref quoting, ref tally))
                {
                    break;
                }
            }

            work?.Charge(quoting.Reads);
        }
    }

    /// <summary>Whether the union of every range of rules holding rule <paramref name="rule"/> matches in a window (each
    /// node asked once per window, from the top: below a node that does not match nothing is asked).</summary>
    private bool PathMatches(int rule, int window, List<(int Start, int MatchesEnd, int End)> windows, ReadOnlySpan<char> span, byte[] live, WorkBudget? work)
    {
        foreach (var node in _paths[rule])
        {
            if (_nodes[node] is not { } union)
            {
                continue;
            }

            ref var state = ref live[(node * windows.Count) + window];
            if (state == 0)
            {
                var (start, _, end) = windows[window];
                work?.Charge(end - start);
                state = union.IsMatch(span[..end], start) ? (byte)1 : (byte)2;
            }

            if (state == 2)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How far past a union match a rule's regex may read: a rule's match (at most ~120 normalized chars) and
    /// its lookaheads. The cut is never where a match could end, so it changes no word boundary a rule sees.</summary>
    private const int WindowReach = 256;

    /// <summary>The union's matches as merged windows: rules may match from Start to MatchesEnd and read up to End;
    /// null when the union matches nowhere.</summary>
    private List<(int Start, int MatchesEnd, int End)>? Windows(ReadOnlySpan<char> span)
    {
        List<(int Start, int MatchesEnd, int End)>? windows = null;
        foreach (var match in _anyRule!.EnumerateMatches(span))
        {
            var matchEnd = match.Index + match.Length;
            var end = Math.Min(span.Length, matchEnd + WindowReach);
            windows ??= [];
            if (windows.Count > 0 && match.Index <= windows[^1].End)
            {
                var last = windows[^1];
                windows[^1] = (last.Start, Math.Max(last.MatchesEnd, matchEnd), Math.Max(last.End, end));
            }
            else
            {
                windows.Add((match.Index, matchEnd, end));
            }
        }

        return windows;
    }

    /// <summary>The rule's matches that start in [start, matchesEnd), reading the text up to <paramref name="end"/>
    /// (the text before <paramref name="start"/> stays visible to lookbehinds and word boundaries). False when the rule
    /// is done: nothing it can still find adds to the verdict (only with a <paramref name="scope"/>).</summary>
    private bool Collect(
        int index, NormalizedText normalized, int start, int matchesEnd, int end, List<Finding> findings, WorkBudget? work, VerdictScope scope,
        ref Quoting quoting, ref RuleTally tally)
    {
        var (rule, regex, unless) = _rules[index];
        work?.Charge(end - start);
        foreach (var match in regex.EnumerateMatches(normalized.Span[..end], start))
        {
            if (match.Index >= matchesEnd)
            {
                break;
            }

            if (unless is not null && Withdrawn(unless, normalized.Span, match.Index + match.Length, work))
            {
                continue;
            }

            var (from, to) = normalized.MapBack(match.Index, match.Length);
            if (scope.Needs is not { } needs)
            {
                findings.Add(new Finding(rule.Category, rule.Kind, rule.Severity, from, to - from));
                continue;
            }

            var unquoted = scope.Judge!(rule, false);
            var quoted = scope.Judge(rule, true);
            var severity = unquoted == quoted || !quoting.IsQuoted(from, to) ? unquoted : quoted;
            if (needs.Keep(ref tally, rule.Category, rule.Kind, severity))
            {
                findings.Add(new Finding(rule.Category, rule.Kind, severity, from, to - from));
            }

            if (needs.Done(tally, rule.Category, rule.Kind, unquoted, quoted))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How far past a match a rule's <see cref="LexiconRule.Unless"/> may read.</summary>
    private const int UnlessReach = 64;

    private static bool Withdrawn(Regex unless, ReadOnlySpan<char> span, int matchEnd, WorkBudget? work)
    {
        var after = span.Slice(matchEnd, Math.Min(UnlessReach, span.Length - matchEnd));
        work?.Charge(after.Length);
        return unless.IsMatch(after);
    }

    /// <summary>An <see cref="LexiconRule.Unless"/> pattern, anchored at the end of the rule's match; non-backtracking
    /// (it has no lookarounds), so the check is linear in the ≤ 64 chars it reads.</summary>
    internal static Regex CompileUnless(string pattern) =>
        LinearRegex.Create($"^(?:{RelaxDoubles(pattern)})\\b", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);

    /// <summary>
    /// One non-backtracking regex that matches wherever any of <paramref name="patterns"/> would (and possibly more:
    /// lookarounds are left out, the engine has none); null when the engine refuses it, and the rules then simply
    /// run one by one.
    /// </summary>
    internal static Regex? CompileUnion(IEnumerable<string> patterns)
    {
        var alternatives = string.Join('|', patterns.Select(p => $"(?:{RelaxDoubles(WithoutLookarounds(p))})"));
        if (AppContext.GetData(AutomataSizeSetting) is not int limit || limit < UnionAutomataSize)
        {
            AppContext.SetData(AutomataSizeSetting, UnionAutomataSize);
        }

        try
        {
            return LinearRegex.Create($"\\b(?:{alternatives})\\b", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The pattern with every lookahead and lookbehind group removed: it matches at least what the pattern does.</summary>
    internal static string WithoutLookarounds(string pattern)
    {
        var builder = new StringBuilder(pattern.Length);
        var i = 0;
        while (i < pattern.Length)
        {
            if (IsLookaroundAt(pattern, i))
            {
                i = GroupEnd(pattern, i);
                continue;
            }

            var next = TokenEnd(pattern, i);
            builder.Append(pattern, i, next - i);
            i = next;
        }

        return builder.ToString();
    }

    private static bool IsLookaroundAt(string pattern, int i) =>
        pattern.AsSpan(i).StartsWith("(?=") || pattern.AsSpan(i).StartsWith("(?!") ||
        pattern.AsSpan(i).StartsWith("(?<=") || pattern.AsSpan(i).StartsWith("(?<!");

    /// <summary>The index after the group opened at <paramref name="open"/>.</summary>
    private static int GroupEnd(string pattern, int open)
    {
        var depth = 0;
        var i = open;
        while (i < pattern.Length)
        {
            depth += pattern[i] switch { '(' => 1, ')' => -1, _ => 0 };
            i = TokenEnd(pattern, i);
            if (depth == 0)
            {
                return i;
            }
        }

        throw new ArgumentException($"unbalanced group at {open}: {pattern}", nameof(pattern));
    }

    /// <summary>The index after one token: an escape (two chars), a character class, or one char.</summary>
    private static int TokenEnd(string pattern, int i)
    {
        if (pattern[i] == '\\')
        {
            return Math.Min(i + 2, pattern.Length);
        }

        if (pattern[i] != '[')
        {
            return i + 1;
        }

        // A ']' right after '[' or '[^' is a literal member of the class.
        var j = i + 1;
        j += j < pattern.Length && pattern[j] == '^' ? 1 : 0;
        j += j < pattern.Length && pattern[j] == ']' ? 1 : 0;
        while (j < pattern.Length && pattern[j] != ']')
        {
            j += pattern[j] == '\\' ? 2 : 1;
        }

        return Math.Min(j + 1, pattern.Length);
    }

    /// <summary>Makes every doubled letter optional ("kill" → "kill?") so stretched words collapsed by the normalizer
    /// ("killlll" → "kil") still match.</summary>
    internal static string RelaxDoubles(string pattern)
    {
        var builder = new StringBuilder(pattern.Length + 8);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            builder.Append(c);
            if (c is >= 'a' and <= 'z' && i + 1 < pattern.Length && pattern[i + 1] == c && (i == 0 || pattern[i - 1] != '\\'))
            {
                builder.Append(c).Append('?');
                i++;
            }
        }

        return builder.ToString();
    }
}
