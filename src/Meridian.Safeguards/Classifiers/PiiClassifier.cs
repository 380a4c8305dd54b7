using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Meridian.Protocol;

namespace Meridian.Safeguards.Classifiers;

/// <summary>
/// Personal data and secrets, with positions for redaction: payment cards (Luhn and scheme prefix), IBANs (country
/// length and mod-97), emails, phone numbers (international, North American, common European formats), US SSNs (with
/// the SSA's never-issued ranges excluded), IPv4/IPv6 addresses (loopback and documentation ranges excluded), and
/// API-key-like secrets (known prefixes, credential assignments, high-entropy tokens). Severity is the kind's
/// sensitivity: cards, SSNs and secrets <c>high</c>; IBANs <c>medium</c>; emails, phones, IPs <c>low</c>. Stateless,
/// thread-safe, completes synchronously.
/// </summary>
public sealed partial class PiiClassifier : IClassifier, IWindowedClassifier
{
    public const string DefaultName = "pii";

    private const int MaxTokenChars = 100;

    /// <summary>No pattern matches more than this (the longest: an email address, capped here).</summary>
    private const int MaxMatchLength = 128;

    public string Name => DefaultName;

    public int MaxMatchChars => MaxMatchLength;

    public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken)
    {
        var span = text.Text.Span;
        if (span.Length < 6)
        {
            return ValueTask.FromResult(ClassifierResult.None);
        }

        var findings = Scan(span, text.Work);
        return ValueTask.FromResult(findings is null ? ClassifierResult.None : ClassifierResult.Of(findings));
    }

    /// <summary>Every finding in <paramref name="text"/> (null when there is none); charges <paramref name="work"/> a unit
    /// per char each pass or scanner reads.</summary>
    internal static List<Finding>? Scan(ReadOnlySpan<char> text, WorkBudget? work)
    {
        List<PiiFound>? findings = null;
        ScanNumbersIfAny(text, ref findings, work);
        ScanOthers(text, ref findings, work);
        return findings is null ? null : WithoutContained(findings, work);
    }

    /// <summary>The number patterns (<see cref="ScanNumbers"/>), behind a cheap gate: most text has few digits.</summary>
    private static void ScanNumbersIfAny(ReadOnlySpan<char> text, ref List<PiiFound>? findings, WorkBudget? work)
    {
        work?.Charge(text.Length);
        if (text.IndexOfAnyInRange('0', '9') >= 0)
        {
            ScanNumbers(text, ref findings, work);
        }
    }

    /// <summary>IPv6 addresses, emails and secrets: what <see cref="Scan"/> looks for besides numbers.</summary>
    internal static void ScanOthers(ReadOnlySpan<char> text, ref List<PiiFound>? findings, WorkBudget? work)
    {
        ScanIpv6(text, ref findings, work);
        ScanEmails(text, ref findings, work);
        ScanSecrets(text, ref findings, work);
    }

    /// <summary>
    /// IPv6 candidates grow out from each colon that sits between hex digits ("a:b", "a::"): a colon is rare in prose,
    /// so this visits far fewer places than a regex whose first char can be any hex letter.
    /// </summary>
    private static void ScanIpv6(ReadOnlySpan<char> text, ref List<PiiFound>? findings, WorkBudget? work)
    {
        work?.Charge(text.Length);
        var from = 0;
        while (from < text.Length)
        {
            var colon = text[from..].IndexOf(':');
            if (colon < 0)
            {
                return;
            }

            colon += from;
            from = colon + 1;
            if (colon == 0 || !char.IsAsciiHexDigit(text[colon - 1]) || colon + 1 >= text.Length || !(char.IsAsciiHexDigit(text[colon + 1]) || text[colon + 1] == ':'))
            {
                continue;
            }

            var start = colon;
            while (start > 0 && (char.IsAsciiHexDigit(text[start - 1]) || text[start - 1] == ':'))
            {
                start--;
            }

            var end = colon + 1;
            while (end < text.Length && (char.IsAsciiHexDigit(text[end]) || text[end] == ':'))
            {
                end++;
            }

            from = end;
            work?.Charge(end - start);
            var boundedBefore = start == 0 || !(char.IsLetterOrDigit(text[start - 1]) || text[start - 1] is '_' or '.');
            var boundedAfter = end == text.Length || !(char.IsLetterOrDigit(text[end]) || text[end] == '_');
            if (boundedBefore && boundedAfter && end - start is >= 3 and <= 39 && IsReportableIpv6(text[start..end]))
            {
                Add(ref findings, PiiPattern.Ipv6, PiiKinds.IpAddress, Severity.Low, start, end - start);
            }
        }
    }

    /// <summary>
    /// Emails, read outward from each '@' by hand rather than by a regex over a slice around it: a regex slice of 270
    /// chars per '@' made <c>a@a@a@…</c> cost ~4 ms per KB (issue 15). Here the local part is read leftwards (at most 65
    /// chars) and the domain rightwards label by label (at most 5 labels of 64 chars), and neither read crosses another
    /// '@', so every char is read a bounded number of times. The grammar is the one the regex had: a local part of 1–64
    /// chars starting with a letter or digit and not ending with '.', preceded by no local char; then 1–4 labels of
    /// 1–63 letters, digits and inner hyphens, each followed by '.', and a top-level domain of 2–24 letters followed by
    /// nothing that continues a host name (a letter, digit or hyphen, ".x", or ":x" as in a URL's port or path).
    /// </summary>
    private static void ScanEmails(ReadOnlySpan<char> text, ref List<PiiFound>? findings, WorkBudget? work)
    {
        work?.Charge(text.Length);
        var from = 0;
        var lastEnd = -1;
        while (from < text.Length)
        {
            var at = text[from..].IndexOf('@');
            if (at < 0)
            {
                return;
            }

            at += from;
            from = at + 1;
            var reads = 0L;
            var start = LocalPartStart(text, at, ref reads);
            var end = start < 0 || start < lastEnd ? -1 : DomainEnd(text, at + 1, ref reads);
            work?.Charge(reads);
            if (end < 0)
            {
                continue;
            }

            // Longer addresses than the stream window are not reported anywhere, so input and stream agree and no
            // address is ever released half-redacted.
            lastEnd = end;
            var length = end - start;
            if (length <= MaxMatchLength && !IsReservedEmailDomain(text[start..end]))
            {
                Add(ref findings, PiiPattern.Email, PiiKinds.Email, Severity.Low, start, length);
            }
        }
    }

    /// <summary>Where the local part ending before the '@' at <paramref name="at"/> starts, or -1 when there is none.</summary>
    private static int LocalPartStart(ReadOnlySpan<char> text, int at, ref long reads)
    {
        const int MaxLocal = 64;
        var start = at;
        while (start > 0 && IsEmailLocalChar(text[start - 1]))
        {
            reads++;
            if (at - start == MaxLocal)
            {
                return -1; // a longer run of address chars is not an address we report
            }

            start--;
        }

        var valid = start < at && char.IsAsciiLetterOrDigit(text[start]) && text[at - 1] != '.';
        return valid ? start : -1;
    }

    /// <summary>The end of the domain that starts at <paramref name="from"/>, or -1 when none does.</summary>
    private static int DomainEnd(ReadOnlySpan<char> text, int from, ref long reads)
    {
        const int MaxLabels = 5; // 1–4 labels and the top-level domain
        const int MaxLabel = 63;
        const int MaxTopLevel = 24;
        Span<int> ends = stackalloc int[MaxLabels];
        var labels = 0;
        var position = from;
        while (labels < MaxLabels)
        {
            var labelStart = position;
            while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] == '-') && position - labelStart <= MaxLabel)
            {
                position++;
            }

            var length = position - labelStart;
            reads += length + 1;
            if (length == 0 || length > MaxLabel || text[labelStart] == '-' || text[position - 1] == '-')
            {
                break;
            }

            ends[labels++] = position;
            if (position + 1 >= text.Length || text[position] != '.' || !char.IsAsciiLetterOrDigit(text[position + 1]))
            {
                break;
            }

            position++;
        }

        // The reading stopped at the first label not followed by ".x": only that one can end the domain (any earlier one
        // is followed by ".x"), and it must be a top-level domain that nothing continues.
        if (labels < 2)
        {
            return -1;
        }

        var end = ends[labels - 1];
        var tld = text[(ends[labels - 2] + 1)..end];
        return tld.Length is >= 2 and <= MaxTopLevel && !tld.ContainsAnyExcept(AsciiLetters) && EndsHost(text, end) ? end : -1;
    }

    private static readonly SearchValues<char> AsciiLetters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Whether nothing at <paramref name="end"/> continues a host name (the regex's lookahead).</summary>
    private static bool EndsHost(ReadOnlySpan<char> text, int end)
    {
        if (end == text.Length)
        {
            return true;
        }

        var next = text[end];
        var after = end + 1 < text.Length ? text[end + 1] : '\0';
        return !(char.IsAsciiLetterOrDigit(next) || next == '-'
            || (next == '.' && char.IsAsciiLetterOrDigit(after))
            || (next == ':' && (char.IsAsciiLetterOrDigit(after) || after is '~' or '/')));
    }

    private static bool IsEmailLocalChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '%' or '+' or '-';

    // Vectorized multi-string searches gate the secret regexes: most text contains none of these.
    private static readonly SearchValues<string> DistinctivePrefixes =
        SearchValues.Create(["AKIA", "ASIA", "gh", "github_pat_", "AIza", "hf_"], StringComparison.Ordinal);

    private static readonly SearchValues<string> WeakPrefixes =
        SearchValues.Create(["sk-", "sk_", "rk_", "mk-", "mat-", "glpat-", "xox"], StringComparison.Ordinal);

    private static readonly SearchValues<string> CredentialKeys =
        SearchValues.Create(["password", "passwd", "pwd", "secret", "key", "token"], StringComparison.OrdinalIgnoreCase);

    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-");

    private static void ScanSecrets(ReadOnlySpan<char> text, ref List<PiiFound>? findings, WorkBudget? work)
    {
        // Each gate is a pass, and so is each pattern it lets run; the token scan is one more, and its word reads two.
        work?.Charge(8L * text.Length);
        if (text.IndexOfAny(DistinctivePrefixes) >= 0)
        {
            work?.Charge(text.Length);
            foreach (var m in DistinctiveSecret().EnumerateMatches(text))
            {
                Add(ref findings, PiiPattern.DistinctiveSecret, PiiKinds.Secret, Severity.High, m.Index, m.Length);
            }
        }

        if (text.IndexOfAny(WeakPrefixes) >= 0)
        {
            work?.Charge(text.Length);
            var word = new WordReader();
            foreach (var m in PrefixedSecret().EnumerateMatches(text))
            {
                if (LooksGenerated(text.Slice(m.Index, m.Length)) && !word.IsLocatorAt(text, m.Index))
                {
                    Add(ref findings, PiiPattern.PrefixedSecret, PiiKinds.Secret, Severity.High, m.Index, m.Length);
                }
            }
        }

        if (text.Contains("eyJ", StringComparison.Ordinal))
        {
            work?.Charge(text.Length);
            foreach (var m in Jwt.EnumerateMatches(text))
            {
                // One finding for the whole token, so it is redacted whole rather than as three high-entropy pieces.
                if ((m.Index == 0 || !IsJwtChar(text[m.Index - 1])) && m.Length <= MaxHeldWordChars)
                {
                    Add(ref findings, PiiPattern.Jwt, PiiKinds.Secret, Severity.High, m.Index, m.Length);
                }
            }
        }

        if (text.Contains("-----BEGIN ", StringComparison.Ordinal))
        {
            work?.Charge(text.Length);
            foreach (var m in PrivateKeyHeader().EnumerateMatches(text))
            {
                Add(ref findings, PiiPattern.PrivateKey, PiiKinds.Secret, Severity.High, m.Index, m.Length);
            }
        }

        if (text.IndexOfAny(CredentialKeys) >= 0)
        {
            work?.Charge(text.Length);
            foreach (var m in CredentialAssignment().EnumerateMatches(text))
            {
                // The match is "key: value"; the value (what gets redacted) starts after the separator and any quote.
                var value = m.Index + text.Slice(m.Index, m.Length).IndexOfAny(':', '=') + 1;
                while (text[value] is ' ' or '\t' or '"' or '\'')
                {
                    value++;
                }

                var length = m.Index + m.Length - value;
                if (IsCredentialValue(text.Slice(value, length)))
                {
                    Add(ref findings, PiiPattern.Credential, PiiKinds.Secret, Severity.High, value, length);
                }
            }
        }

        ScanTokens(text, ref findings);
    }

    /// <summary>Runs of token chars at least 32 long, judged by <see cref="IsHighEntropy"/>; long runs in slices so a
    /// window never has to hold more than <see cref="MaxTokenChars"/> of one token. A run inside a file path, a URL or a
    /// named hash (<see cref="IsLocator"/>) is not judged: random-looking names are what those are made of.</summary>
    private static void ScanTokens(ReadOnlySpan<char> text, ref List<PiiFound>? findings)
    {
        var word = new WordReader();
        var position = 0;
        while (position < text.Length)
        {
            var start = text[position..].IndexOfAny(TokenChars);
            if (start < 0)
            {
                return;
            }

            start += position;
            var run = text[start..].IndexOfAnyExcept(TokenChars);
            var end = run < 0 ? text.Length : start + run;
            position = end + 1;

            if (end - start < 32 || word.IsLocatorAt(text, start))
            {
                continue;
            }

            for (var offset = start; offset < end; offset += MaxTokenChars)
            {
                var length = Math.Min(MaxTokenChars, end - offset);
                if (length >= 32 && IsHighEntropy(text.Slice(offset, length)))
                {
                    Add(ref findings, PiiPattern.Token, PiiKinds.Secret, Severity.High, offset, length);
                }
            }
        }
    }

    /// <summary>
    /// A char of a "word": what no white space, quote, bracket, comma or semicolon ends. Paths, URLs, keys and JWTs are
    /// one word each; the stream screener holds a word that crosses its release point back whole
    /// (<see cref="MaxHeldWordChars"/>), so a word is judged the same on the stream as in a request.
    /// </summary>
    internal static bool IsWordChar(char c) =>
        !char.IsWhiteSpace(c) && c is not ('"' or '\'' or '`' or '<' or '>' or '(' or ')' or '[' or ']' or '{' or '}' or ',' or ';');

    /// <summary>The longest word the stream screener holds back whole; a longer one is released in slices.</summary>
    internal const int MaxHeldWordChars = 2048;

    /// <summary>
    /// A word that names a place or a hash rather than holding a credential: a URL (<c>scheme://</c>, <c>www.</c>), an
    /// absolute or home-relative path (<c>/…</c>, <c>~/…</c>, <c>./…</c>, <c>C:\…</c>, any <c>\</c>), a relative path to
    /// a file (<c>dir/name.ext</c>), or a hash named by its algorithm (<c>sha256-…</c>, Subresource Integrity style).
    /// Distinctive key prefixes (<c>AKIA</c>, <c>ghp_</c>, …) are still reported inside them.
    /// </summary>
    internal static bool IsLocator(ReadOnlySpan<char> word)
    {
        if (word.Contains("://", StringComparison.Ordinal) || word.StartsWith("www.", StringComparison.OrdinalIgnoreCase)
            || word.StartsWith("sha1-", StringComparison.Ordinal) || word.StartsWith("sha256-", StringComparison.Ordinal)
            || word.StartsWith("sha384-", StringComparison.Ordinal) || word.StartsWith("sha512-", StringComparison.Ordinal))
        {
            return true;
        }

        if (word.Contains('\\') || word.StartsWith("~/", StringComparison.Ordinal) || word.StartsWith("./", StringComparison.Ordinal)
            || word.StartsWith("../", StringComparison.Ordinal) || (word.Length > 1 && word[0] == '/' && word[1] != '/')
            || (word.Length > 2 && char.IsAsciiLetter(word[0]) && word[1] == ':' && word[2] is '/' or '\\'))
        {
            return true;
        }

        // dir/name.ext: a file name with a short alphabetic extension after the last slash.
        var slash = word.LastIndexOf('/');
        if (slash < 0)
        {
            return false;
        }

        var name = word[(slash + 1)..].TrimEnd('.');
        var dot = name.LastIndexOf('.');
        return dot > 0 && name.Length - dot - 1 is >= 1 and <= 8 && !name[(dot + 1)..].ContainsAnyExcept(AsciiLetters);
    }

    /// <summary>Finds the word around a position and whether it is a <see cref="IsLocator">locator</see>, remembering
    /// the last word: asked in increasing order of position, it reads each char of the text at most twice.</summary>
    private struct WordReader
    {
        private int _start;
        private int _end;
        private bool _isLocator;

        public bool IsLocatorAt(ReadOnlySpan<char> text, int position)
        {
            if (position >= _end || position < _start)
            {
                _start = position;
                while (_start > 0 && IsWordChar(text[_start - 1]))
                {
                    _start--;
                }

                _end = position;
                while (_end < text.Length && IsWordChar(text[_end]))
                {
                    _end++;
                }

                _isLocator = IsLocator(text[_start.._end]);
            }

            return _isLocator;
        }
    }

    /// <summary>Copies <paramref name="value"/> without spaces and hyphens; the patterns bound its length.</summary>
    internal static ReadOnlySpan<char> Compact(ReadOnlySpan<char> value, Span<char> into)
    {
        var n = 0;
        foreach (var c in value)
        {
            if (c is not (' ' or '-') && n < into.Length)
            {
                into[n++] = c;
            }
        }

        return into[..n];
    }

    /// <summary>HMRC never issues D, F, I, Q, U or V as either letter (the pattern excludes them), O as the second, nor
    /// the prefixes BG, GB, KN, NK, NT, TN and ZZ.</summary>
    internal static bool IsIssuableNinoPrefix(ReadOnlySpan<char> nino) =>
        nino.Length == 9 && !(nino[..2] is "BG" or "GB" or "KN" or "NK" or "NT" or "TN" or "ZZ");

    private static void Add(ref List<PiiFound>? findings, PiiPattern pattern, string kind, Severity severity, int start, int length) =>
        (findings ??= []).Add(new PiiFound(new Finding(SafetyCategory.Pii, kind, severity, start, length), pattern));

    /// <summary>
    /// Two patterns may claim the same span (a key prefix and the entropy rule): a finding inside another one at least as
    /// severe is dropped, and of two equal ones the earlier pattern's stays (<see cref="PiiPattern"/> is in the order the
    /// patterns once ran, one after the other). Sorted, then one sweep: comparing each new finding with all earlier ones
    /// made a text of many findings (1 MB of "10.1.2.3 ") quadratic.
    /// </summary>
    internal static List<Finding> WithoutContained(List<PiiFound> found, WorkBudget? work)
    {
        work?.Charge(found.Count);
        if (found.Count < 2)
        {
            return [.. found.Select(f => f.Finding)];
        }

        var order = new (PiiFound Found, int Sequence)[found.Count];
        var sorted = true;
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = (found[i], i);
            sorted = sorted && (i == 0 || Compare(order[i - 1], order[i]) < 0);
        }

        if (!sorted)
        {
            Array.Sort(order, Compare); // text dense with one kind (1 MB of "10.1.2.3 ") comes in order already
        }

        // The furthest end reached so far by a finding of each severity: a later finding (starting no earlier) is
        // inside one at least as severe when any of those ends reaches its end.
        Span<int> furthest = stackalloc int[(int)Severity.High + 1];
        furthest.Fill(-1);
        var findings = new List<Finding>();
        foreach (var ((finding, _), _) in order)
        {
            var contained = false;
            for (var severity = (int)finding.Severity; severity < furthest.Length && !contained; severity++)
            {
                contained = furthest[severity] >= finding.End;
            }

            if (!contained)
            {
                findings.Add(finding);
                furthest[(int)finding.Severity] = Math.Max(furthest[(int)finding.Severity], finding.End);
            }
        }

        return findings;

        static int Compare((PiiFound Found, int Sequence) a, (PiiFound Found, int Sequence) b) =>
            a.Found.Finding.Start != b.Found.Finding.Start ? a.Found.Finding.Start.CompareTo(b.Found.Finding.Start)
            : a.Found.Finding.End != b.Found.Finding.End ? b.Found.Finding.End.CompareTo(a.Found.Finding.End)
            : a.Found.Pattern != b.Found.Pattern ? a.Found.Pattern.CompareTo(b.Found.Pattern)
            : a.Sequence.CompareTo(b.Sequence);
    }

    // ---- payment cards ----------------------------------------------------------------------------------------------

    internal static bool IsCard(ReadOnlySpan<char> candidate)
    {
        Span<char> digits = stackalloc char[19];
        var n = 0;
        var separator = '\0';
        var group = 0;
        var groups = 0;
        foreach (var c in candidate)
        {
            if (c is >= '0' and <= '9')
            {
                if (n == digits.Length)
                {
                    return false;
                }

                digits[n++] = c;
                group++;
                continue;
            }

            // Separators must be consistent and split the number into groups of 3–6 (4-4-4-4, 4-6-5, …).
            if ((separator != '\0' && c != separator) || group is < 3 or > 6)
            {
                return false;
            }

            separator = c;
            group = 0;
            groups++;
        }

        if (separator != '\0' && (group is < 1 or > 6 || groups < 2))
        {
            return false;
        }

        var number = digits[..n];
        return n is >= 12 and <= 19 && Checksums.IsCardPrefix(number) && Checksums.Luhn(number);
    }

    // ---- IBAN -------------------------------------------------------------------------------------------------------

    /// <summary>The length in <paramref name="text"/> of a valid IBAN starting at <paramref name="start"/>, or 0.</summary>
    internal static int TryIban(ReadOnlySpan<char> text, int start)
    {
        var expected = Checksums.IbanLength(text[start], text[start + 1]);
        if (expected == 0)
        {
            return 0;
        }

        Span<char> iban = stackalloc char[34];
        var n = 0;
        var i = start;
        while (i < text.Length && n < expected)
        {
            var c = text[i];
            if (c is (>= '0' and <= '9') or (>= 'A' and <= 'Z'))
            {
                iban[n++] = c;
                i++;
            }
            else if (c == ' ' && n > 0 && i + 1 < text.Length && char.IsAsciiLetterOrDigit(text[i + 1]))
            {
                i++;
            }
            else
            {
                return 0;
            }
        }

        // It must end there: the next char may not continue the number.
        if (n != expected || (i < text.Length && char.IsAsciiLetterOrDigit(text[i])))
        {
            return 0;
        }

        return Checksums.IbanMod97(iban[..n]) ? i - start : 0;
    }

    // ---- SSN, IP, email ---------------------------------------------------------------------------------------------

    /// <summary>Area 000, 666 and 900–999, group 00 and serial 0000 are never issued (the regex excludes them); two
    /// numbers famous from advertising are void too.</summary>
    internal static bool IsSsn(ReadOnlySpan<char> candidate) =>
        !candidate.SequenceEqual("078-05-1120") && !candidate.SequenceEqual("219-09-9999") && !candidate.SequenceEqual("123-45-6789");

    /// <summary>"version 1.2.3.4", "build 10.0.0.1": a dotted quad after such a word is a version number.</summary>
    internal static bool FollowsVersionWord(ReadOnlySpan<char> text, int start)
    {
        var before = text[Math.Max(0, start - 12)..start].TrimEnd();
        return before.EndsWith("version", StringComparison.OrdinalIgnoreCase)
            || before.EndsWith("ver.", StringComparison.OrdinalIgnoreCase)
            || before.EndsWith("build", StringComparison.OrdinalIgnoreCase)
            || before.EndsWith("release", StringComparison.OrdinalIgnoreCase)
            || before.EndsWith("v", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether an IPv6 candidate is someone's address: it parses, is not loopback, unspecified or in the RFC 3849
    /// documentation prefix, and has three groups or more. IPv4 is judged in the number scan (<c>IsReportableIpv4</c>).</summary>
    internal static bool IsReportableIpv6(ReadOnlySpan<char> candidate)
    {
        if (!IPAddress.TryParse(candidate, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6
            || IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any))
        {
            return false;
        }

        // Short forms such as "a::b" are C++ scopes more often than addresses: want three groups or more.
        var groups = 0;
        foreach (var part in candidate.Split(':'))
        {
            if (!candidate[part].IsEmpty)
            {
                groups++;
            }
        }

        Span<byte> v6Bytes = stackalloc byte[16];
        address.TryWriteBytes(v6Bytes, out _);
        var documentation = v6Bytes[0] == 0x20 && v6Bytes[1] == 0x01 && v6Bytes[2] == 0x0d && v6Bytes[3] == 0xb8;
        return groups >= 3 && !documentation;
    }

    /// <summary>RFC 2606 names (example.com, *.test, *.invalid, *.localhost, *.example) are placeholders in docs and code.</summary>
    private static bool IsReservedEmailDomain(ReadOnlySpan<char> email)
    {
        var domain = email[(email.LastIndexOf('@') + 1)..];
        return domain.Equals("example.com", StringComparison.OrdinalIgnoreCase)
            || domain.Equals("example.org", StringComparison.OrdinalIgnoreCase)
            || domain.Equals("example.net", StringComparison.OrdinalIgnoreCase)
            || domain.EndsWith(".example", StringComparison.OrdinalIgnoreCase)
            || domain.EndsWith(".test", StringComparison.OrdinalIgnoreCase)
            || domain.EndsWith(".invalid", StringComparison.OrdinalIgnoreCase)
            || domain.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    // ---- secrets ----------------------------------------------------------------------------------------------------

    /// <summary>Keys with a known prefix still need a random-looking body ("sk-learn-is-a-library" is not a key).</summary>
    private static bool LooksGenerated(ReadOnlySpan<char> candidate)
    {
        var digits = 0;
        var letters = 0;
        foreach (var c in candidate)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (char.IsAsciiLetter(c))
            {
                letters++;
            }
        }

        return digits >= 2 && letters >= 4;
    }

    private static bool IsCredentialValue(ReadOnlySpan<char> value)
    {
        if (value.Length < 6 || value.IndexOfAnyExcept(value[0]) < 0)
        {
            return false;
        }

        // Placeholders and references to where the secret really lives.
        foreach (var placeholder in Placeholders)
        {
            if (value.StartsWith(placeholder, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return !DottedIdentifier().IsMatch(value);
    }

    private static readonly string[] Placeholders =
        ["password", "passw0rd", "changeme", "change_me", "xxxx", "****", "your", "my_", "example", "redacted", "placeholder", "secret",
         "null", "none", "true", "false", "undefined", "required", "optional", "string", "env", "os.", "process.", "config", "settings",
         "getenv", "input", "prompt", "$"];

    /// <summary>
    /// A random token: Shannon entropy near what random base62 of that length reaches (the 1st percentile, measured),
    /// letters and at least two digits, and frequent class changes (camelCase identifiers and paths change rarely).
    /// Pure hex (hashes, commit ids, UUID parts) never passes: 4 bits per char at most.
    /// </summary>
    internal static bool IsHighEntropy(ReadOnlySpan<char> token)
    {
        Span<int> counts = stackalloc int[128];
        counts.Clear();
        int upper = 0, lower = 0, digits = 0, transitions = 0, previousClass = -1;
        foreach (var c in token)
        {
            if (c >= 128)
            {
                return false;
            }

            counts[c]++;
            var cls = char.IsAsciiLetterUpper(c) ? 0 : char.IsAsciiLetterLower(c) ? 1 : char.IsAsciiDigit(c) ? 2 : 3;
            upper += cls == 0 ? 1 : 0;
            lower += cls == 1 ? 1 : 0;
            digits += cls == 2 ? 1 : 0;
            transitions += previousClass >= 0 && cls != previousClass ? 1 : 0;
            previousClass = cls;
        }

        if (digits < 2 || upper + lower < 8 || (double)transitions / token.Length < 0.3)
        {
            return false;
        }

        double entropy = 0;
        foreach (var count in counts)
        {
            if (count > 0)
            {
                var p = (double)count / token.Length;
                entropy -= p * Math.Log2(p);
            }
        }

        var threshold = Math.Min(5.0, 4.1 + (0.021 * (token.Length - 32)));
        return entropy >= threshold;
    }

    internal static int CountDigits(ReadOnlySpan<char> text)
    {
        var n = 0;
        foreach (var c in text)
        {
            n += char.IsAsciiDigit(c) ? 1 : 0;
        }

        return n;
    }

    // ---- patterns ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// The second backstop of the patterns that can backtrack (the first is that each is bounded and tested linear on
    /// the adversarial corpus): a match that runs this long fails closed (<see cref="Screener"/>: the request is refused
    /// as over its work budget). Normal matches take microseconds; only a pathological path comes near it.
    /// </summary>
    internal const int MatchTimeoutMilliseconds = 2000;

    /// <summary>Prefixes distinctive enough on their own (AWS, GitHub, Google, Hugging Face).</summary>
    [GeneratedRegex(
        @"(?<![A-Za-z0-9_-])(?:(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,76}|github_pat_[A-Za-z0-9_]{22,100}|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,40})(?![A-Za-z0-9])",
        RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex DistinctiveSecret();

    /// <summary>Prefixes that also start ordinary words (<c>sk-learn</c>): the body must look generated.</summary>
    [GeneratedRegex(
        @"(?<![A-Za-z0-9_-])(?:sk-(?:ant-(?:api|admin)[0-9]{2}-|proj-|live-|test-)?[A-Za-z0-9_-]{20,100}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,99}|" +
        @"mk-[0-9a-f]{8}-[A-Za-z0-9_-]{20,64}|mat-[0-9a-f]{8}-[A-Za-z0-9_-]{20,64}|glpat-[A-Za-z0-9_-]{20,50}|xox[abprs]-[A-Za-z0-9-]{10,100})",
        RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex PrefixedSecret();

    /// <summary>A JSON Web Token: base64url of a JSON header, of a JSON payload, and a signature. Non-backtracking, so a
    /// long run of "eyJ" costs one pass; the start's boundary is checked by hand (the engine has no lookbehind).</summary>
    private static readonly Regex Jwt = new(
        @"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, Regex.InfiniteMatchTimeout);

    private static bool IsJwtChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    [GeneratedRegex(@"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----", RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex PrivateKeyHeader();

    [GeneratedRegex(
        @"(?<![A-Za-z0-9])(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret|private[_-]?key)[""']?[ \t]{0,3}[:=][ \t]{0,3}[""']?[^\s""'<>{}()\[\],;*]{6,64}",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, MatchTimeoutMilliseconds)]
    private static partial Regex CredentialAssignment();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$", RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex DottedIdentifier();
}
