using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Tests.Evaluation;
using Meridian.Testing;

namespace Meridian.Safeguards.Tests.Classifiers;

/// <summary>
/// Issue 15: the PII classifier's numbers (cards, IBANs, SSNs, phones, national ids, IPv4) are found in one pass over the
/// digit runs, each pattern tried anchored only where it can start. It must find exactly what the thirteen regex passes it
/// replaced found — same kinds, spans and severities, and the same findings left after overlaps are resolved — so those
/// passes are kept here, verbatim, as the reference, and both are run over the adversarial corpus, the evaluation sets,
/// every example of the classifier's own tests and many generated strings: runs of digits, separators and capitals, and
/// near-misses made by editing real identifiers.
/// </summary>
public sealed partial class PiiNumberScanTests
{
    /// <summary>One real-looking value of every number kind, each found by the reference (asserted below).</summary>
    private static readonly string[] Examples =
    [
        "My card is 4111 1111 1111 1111, exp 12/27.", "card:5555555555554444.", "Amex 3782-822463-10005 ok", "visa 4012888888881881",
        "Pay to GB82 WEST 1234 5698 7654 32 today", "iban NL91ABNA0417164300.", "DE89 3704 0044 0532 0130 00",
        "SSN 536-22-1234.", "ssn 536 22 1234 and 078-05-1120", "call +44 20 7946 0958 please", "+1 (415) 555-0132", "+33 6 12 34 56 78",
        "office (212) 555-0187.", "1-800-555-0199", "212.555.0187", "1 (212) 555-0187", "portable 06 12 34 56 78", "tel 030 1234 5678",
        "020 7946 0958", "06.12.34.56.78", "NINO: JT 48 29 17 B thanks", "ni number AB123456C.", "Passport No. C03005988 issued",
        "passport: 925076473", "PASSPORT NUMBER: AB1234567", "passport#12345678", "passport n° 123456789",
        "P<GBRSMITH<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<\n9250764733GBR7408122F2904124<<<<<<<<<<<<<<00", "DNI 12345678Z.", "NIE Y3048121Z",
        "dni 12345678-Z", "NIR 1 85 05 78 006 084 91 ok", "nir 185057800608491", "Aadhaar 4918 3726 0510 for KYC", "aadhaar 4918-3726-0510",
        "from 81.2.69.160 at noon", "hosts 10.1.2.3, 172.16.254.1 and 8.8.8.8.", "version 1.2.3.4 but 1.2.3.4",
        "bind 127.0.0.1, 127.255.0.9, 0.0.0.0 or 255.255.255.255; docs use 192.0.2.1, 198.51.100.7, 203.0.113.5 and not 192.0.3.1, 203.0.112.9",
        "0.0.0.1 255.255.255.254 126.0.0.1 128.0.0.1 198.51.101.1 99.0.0.0",
    ];

    /// <summary>What the generated strings are made of: digits, the separators and marks the patterns read, capitals the
    /// prefixes use, and words that change a pattern's meaning.</summary>
    private static readonly string[] Pieces =
    [
        "0", "1", "2", "4", "5", "7", "9", "12", "2A", "000", "666", "123", "212", "555", "0187", "4111", "1111", "4918", "3726", "0510",
        "12345678", "925076473", " ", " ", "-", ".", "+", "(", ")", ":", "#", "<", "\n", "\t", "/", "_", "A", "B", "D", "E", "G", "J", "T",
        "X", "Y", "Z", "M", "F", "GB", "DE", "NL", "JT", "GBR", "a", "e", "passport", "Passport No. ", "no", "n°", "version ", "v",
        "\u0663", "é", "127.", "0.", "255.", "192.0.2.", "203.0.113.",
    ];

    public static TheoryData<string> CorpusEntries() => [.. AdversarialCorpus.Entries.Select(e => e.Name)];

    [Fact]
    public void The_examples_hold_every_number_pattern_so_dropping_one_is_seen()
    {
        var patterns = Examples.SelectMany(e => ReferenceNumbers(e)).Select(f => f.Pattern).ToHashSet();

        for (var pattern = PiiPattern.Card; pattern <= PiiPattern.Ipv4; pattern++)
        {
            Assert.Contains(pattern, patterns);
        }
    }

    [Fact]
    public void The_examples_give_the_same_findings()
    {
        foreach (var example in Examples)
        {
            AssertSame(example);
        }
    }

    [Theory]
    [MemberData(nameof(CorpusEntries))]
    public void Each_corpus_entry_gives_the_same_findings(string entry)
    {
        var text = AdversarialCorpus.Entries.Single(e => e.Name == entry).Make(40_000);

        AssertSame(text);
    }

    [Fact]
    public void Every_evaluation_text_gives_the_same_findings()
    {
        var cases = EvaluationSet.LoadBoth();
        foreach (var evaluation in cases)
        {
            AssertSame(evaluation.Text);
        }

        // The sets hold numbers of many kinds, so the comparison above means something.
        Assert.True(cases.Sum(c => ReferenceNumbers(c.Text).Count) >= 20);
    }

    [Fact]
    public void Generated_runs_of_digits_separators_and_capitals_give_the_same_findings()
    {
        var random = new Random(15);
        for (var i = 0; i < 20_000; i++)
        {
            var builder = new StringBuilder();
            var pieces = random.Next(1, 40);
            for (var p = 0; p < pieces; p++)
            {
                builder.Append(Pieces[random.Next(Pieces.Length)]);
            }

            AssertSame(builder.ToString());
        }
    }

    [Fact]
    public void Near_misses_of_real_identifiers_give_the_same_findings()
    {
        const string Edits = "0123456789 -.+()<ABXZ";
        var random = new Random(1515);
        for (var i = 0; i < 20_000; i++)
        {
            var text = new StringBuilder(Examples[random.Next(Examples.Length)]);
            if (random.Next(3) == 0)
            {
                text.Append(' ').Append(Examples[random.Next(Examples.Length)]);
            }

            for (var edits = random.Next(1, 4); edits > 0 && text.Length > 0; edits--)
            {
                var at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0:
                        text.Remove(at, 1);
                        break;
                    case 1:
                        text.Insert(at, Edits[random.Next(Edits.Length)]);
                        break;
                    default:
                        text[at] = Edits[random.Next(Edits.Length)];
                        break;
                }
            }

            AssertSame(text.ToString());
        }
    }

    [Fact]
    public void Random_digits_with_sparse_separators_give_the_same_findings()
    {
        const string Separators = " -.+()X<";
        var random = new Random(99);
        for (var i = 0; i < 2_000; i++)
        {
            var chars = new char[random.Next(10, 400)];
            var density = random.Next(2, 30);
            for (var c = 0; c < chars.Length; c++)
            {
                chars[c] = random.Next(density) == 0 ? Separators[random.Next(Separators.Length)] : (char)('0' + random.Next(10));
            }

            AssertSame(new string(chars));
        }
    }

    /// <summary>The scanner's raw findings (every number pattern's, before overlaps are resolved) and the classifier's final
    /// findings both equal the reference's.</summary>
    private static void AssertSame(string text)
    {
        List<PiiFound>? numbers = null;
        PiiClassifier.ScanNumbers(text, ref numbers, work: null);
        var expected = ReferenceNumbers(text);
        Assert.Equal(Describe(expected), Describe(numbers ?? []));
        Assert.Equal(Describe(ReferenceScan(text) ?? []), Describe(PiiClassifier.Scan(text, work: null) ?? []));
    }

    private static string Describe(IEnumerable<PiiFound> findings) =>
        string.Join("\n", findings.OrderBy(f => f.Pattern).ThenBy(f => f.Finding.Start).Select(f => $"{f.Pattern} {Describe(f.Finding)}"));

    private static string Describe(IEnumerable<Finding> findings) => string.Join("\n", findings.Select(Describe));

    private static string Describe(Finding f) => $"{f.Kind} {f.Severity} {f.Start}+{f.Length}";

    // ---- the reference: the classifier as it was before the one-pass scanner ------------------------------------------

    /// <summary>What <see cref="PiiClassifier.Scan"/> returned: the number passes, then the other scans, then overlaps
    /// resolved by order of discovery.</summary>
    private static List<Finding>? ReferenceScan(string text)
    {
        var found = new List<Finding>();
        if (text.AsSpan().IndexOfAnyInRange('0', '9') >= 0)
        {
            found.AddRange(ReferenceNumbers(text).Select(f => f.Finding));
        }

        List<PiiFound>? others = null;
        PiiClassifier.ScanOthers(text, ref others, work: null);
        found.AddRange((others ?? []).Select(f => f.Finding));
        if (found.Count == 0)
        {
            return null;
        }

        ReferenceRemoveContained(found);
        return found;
    }

    /// <summary>The thirteen passes, in the order they ran.</summary>
    private static List<PiiFound> ReferenceNumbers(string text)
    {
        var found = new List<PiiFound>();
        void Add(PiiPattern pattern, string kind, Severity severity, int start, int length) =>
            found.Add(new PiiFound(new Finding(SafetyCategory.Pii, kind, severity, start, length), pattern));

        Span<char> compact = stackalloc char[48];
        foreach (Match m in CardCandidate().Matches(text))
        {
            if (PiiClassifier.IsCard(m.ValueSpan))
            {
                Add(PiiPattern.Card, PiiKinds.PaymentCard, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in IbanStart().Matches(text))
        {
            if (PiiClassifier.TryIban(text, m.Index) is var length and > 0)
            {
                Add(PiiPattern.Iban, PiiKinds.Iban, Severity.Medium, m.Index, length);
            }
        }

        foreach (Match m in Ssn().Matches(text))
        {
            if (PiiClassifier.IsSsn(m.ValueSpan))
            {
                Add(PiiPattern.Ssn, PiiKinds.UsSsn, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in PhoneInternational().Matches(text))
        {
            if (PiiClassifier.CountDigits(m.ValueSpan) is >= 8 and <= 15)
            {
                Add(PiiPattern.PhoneInternational, PiiKinds.Phone, Severity.Low, m.Index, m.Length);
            }
        }

        foreach (Match m in PhoneNorthAmerican().Matches(text))
        {
            Add(PiiPattern.PhoneNorthAmerican, PiiKinds.Phone, Severity.Low, m.Index, m.Length);
        }

        foreach (Match m in PhoneEuropean().Matches(text))
        {
            if (PiiClassifier.CountDigits(m.ValueSpan) is 10 or 11)
            {
                Add(PiiPattern.PhoneEuropean, PiiKinds.Phone, Severity.Low, m.Index, m.Length);
            }
        }

        foreach (Match m in Nino().Matches(text))
        {
            if (PiiClassifier.IsIssuableNinoPrefix(PiiClassifier.Compact(m.ValueSpan, compact)))
            {
                Add(PiiPattern.Nino, PiiKinds.UkNino, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in PassportAfterWord().Matches(text))
        {
            if (PiiClassifier.CountDigits(m.ValueSpan) >= 6)
            {
                Add(PiiPattern.Passport, PiiKinds.Passport, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in MrzSecondLine().Matches(text))
        {
            var line = m.ValueSpan;
            if (Checksums.MrzCheckDigit(line[..9]) == line[9] - '0'
                && Checksums.MrzCheckDigit(line.Slice(13, 6)) == line[19] - '0'
                && Checksums.MrzCheckDigit(line.Slice(21, 6)) == line[27] - '0')
            {
                Add(PiiPattern.Mrz, PiiKinds.Passport, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in SpanishId().Matches(text))
        {
            if (Checksums.SpanishId(PiiClassifier.Compact(m.ValueSpan, compact)))
            {
                Add(PiiPattern.SpanishId, PiiKinds.EsDni, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in FrenchNir().Matches(text))
        {
            if (Checksums.FrenchNir(PiiClassifier.Compact(m.ValueSpan, compact)))
            {
                Add(PiiPattern.FrenchNir, PiiKinds.FrNir, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in Aadhaar().Matches(text))
        {
            if (Checksums.Verhoeff(PiiClassifier.Compact(m.ValueSpan, compact)))
            {
                Add(PiiPattern.Aadhaar, PiiKinds.InAadhaar, Severity.High, m.Index, m.Length);
            }
        }

        foreach (Match m in Ipv4().Matches(text))
        {
            if (!PiiClassifier.FollowsVersionWord(text, m.Index) && ReferenceIsReportableIpv4(m.ValueSpan))
            {
                Add(PiiPattern.Ipv4, PiiKinds.IpAddress, Severity.Low, m.Index, m.Length);
            }
        }

        return found;
    }

    /// <summary>IPv4 judged as before: parsed, then not loopback, unspecified, broadcast or an RFC 5737 documentation range.</summary>
    private static bool ReferenceIsReportableIpv4(ReadOnlySpan<char> candidate)
    {
        if (!IPAddress.TryParse(candidate, out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return !((b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113));
    }

    /// <summary>Overlaps resolved as before: sorted by start, longer first, then order of discovery.</summary>
    private static void ReferenceRemoveContained(List<Finding> findings)
    {
        if (findings.Count < 2)
        {
            return;
        }

        var order = findings.Select((f, i) => (Finding: f, Sequence: i))
            .OrderBy(o => o.Finding.Start).ThenByDescending(o => o.Finding.End).ThenBy(o => o.Sequence).ToList();
        var furthest = new int[(int)Severity.High + 1];
        Array.Fill(furthest, -1);
        findings.Clear();
        foreach (var (finding, _) in order)
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
    }

    [GeneratedRegex(@"(?<![0-9A-Za-z-])[0-9](?:[ -]?[0-9]){11,18}(?![0-9A-Za-z]|-[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex CardCandidate();

    [GeneratedRegex(@"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?= ?[A-Z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex IbanStart();

    [GeneratedRegex(@"(?<![\w-])(?!000|666|9[0-9]{2})[0-9]{3}([- ])(?!00)[0-9]{2}\1(?!0000)[0-9]{4}(?![\w]|-[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Ssn();

    [GeneratedRegex(@"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Nino();

    [GeneratedRegex(@"(?<=\b(?i:passport)(?:[ \t]{1,3}(?i:no|nr|num|number|#|n°)\.?)?[ \t]{0,3}[:#]?[ \t]{0,3})[A-Z]{0,2}[0-9]{6,9}(?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex PassportAfterWord();

    [GeneratedRegex(@"(?<![A-Z0-9<])[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9]{6}[0-9][MFX<][0-9]{6}[0-9][A-Z0-9<]{14}[0-9<][0-9](?![A-Z0-9<])", RegexOptions.CultureInvariant)]
    private static partial Regex MrzSecondLine();

    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:[0-9]{8}|[XYZ][0-9]{7})-?[A-Z](?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex SpanishId();

    [GeneratedRegex(@"(?<![0-9])[12] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}(?![0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex FrenchNir();

    [GeneratedRegex(@"(?<![0-9])[2-9][0-9]{3}([ -])[0-9]{4}\1[0-9]{4}(?![0-9]|[ -][0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Aadhaar();

    [GeneratedRegex(@"(?<![\w+])\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,6}(?![\w])", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneInternational();

    [GeneratedRegex(@"(?<![\w+(.-])(?:1[-. ])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[-. ])[2-9][0-9]{2}[-. ][0-9]{4}(?![\w]|[-.][0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneNorthAmerican();

    [GeneratedRegex(@"(?<![\w+.-])(?:0[1-9](?:[ .][0-9]{2}){4}|0[1-9][0-9]{1,4} [0-9]{3,4} ?[0-9]{3,4})(?![\w]|[-.][0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneEuropean();

    [GeneratedRegex(@"(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![\w]|\.[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv4();
}
