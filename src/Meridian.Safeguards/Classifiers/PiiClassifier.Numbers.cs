using System.Text.RegularExpressions;
using Meridian.Protocol;

namespace Meridian.Safeguards.Classifiers;

/// <summary>The patterns of <see cref="PiiClassifier"/>, in the order their findings were first collected; of two findings
/// with the same span the earlier pattern's stays (<see cref="PiiClassifier"/>'s <c>RemoveContained</c>).</summary>
internal enum PiiPattern : byte
{
    Card,
    Iban,
    Ssn,
    PhoneInternational,
    PhoneNorthAmerican,
    PhoneEuropean,
    Nino,
    Passport,
    Mrz,
    SpanishId,
    FrenchNir,
    Aadhaar,
    Ipv4,
    Ipv6,
    Email,
    DistinctiveSecret,
    PrefixedSecret,
    Jwt,
    PrivateKey,
    Credential,
    Token,
}

/// <summary>A finding and the pattern that found it.</summary>
internal readonly record struct PiiFound(Finding Finding, PiiPattern Pattern);

public sealed partial class PiiClassifier
{
    private const int ShortRun = 24;

    /// <summary>What one anchored try of a number pattern is charged besides the length it matches: about what a regex
    /// pass costs over that many chars (a try's set-up and its lookbehind).</summary>
    private const int AttemptCharge = 16;

    /// <summary>
    /// The number patterns (cards, IBANs, SSNs, phones, national ids, IPv4) in one pass over the runs of ASCII digits,
    /// instead of one regex pass each: every one of them has a digit at a fixed place near its start, so where a pattern
    /// can start is read off each run (its length, the chars around it) and the pattern is tried there alone, anchored
    /// (<c>\G</c>), in order of position and never before its own previous match's end. That is what a regex pass does at
    /// the places it could match, and it skips only places where it cannot (the conditions below are necessary ones), so
    /// the matches are exactly the same (issue 15: a regex pass pays a try at every digit of a long run, thirteen times).
    /// <c>PiiNumberScanTests</c> holds it equal to the thirteen passes.
    /// </summary>
    /// <remarks>National identifiers are validated where their scheme has a check (a number of the right shape with a
    /// wrong check is not reported): UK NINO (no check digit: the format and HMRC's never-issued prefixes), a passport
    /// number right after the word "passport" (no check outside the machine-readable zone), the ICAO 9303 zone's second
    /// line (three check digits), Spanish DNI/NIE (mod 23), French NIR (mod 97) and Aadhaar (Verhoeff, in groups of four,
    /// the way it is printed: twelve bare digits are too often an order number).</remarks>
    internal static void ScanNumbers(ReadOnlySpan<char> text, ref List<PiiFound>? findings, WorkBudget? work)
    {
        work?.Charge(2L * text.Length); // the digit runs, and the word "passport"
        Span<int> ends = stackalloc int[(int)PiiPattern.Ipv4 + 1]; // per pattern: where its last match ended
        ends.Clear();
        Span<char> compact = stackalloc char[48];
        var attempts = 0L; // the tries' work, charged at the end
        var position = 0;
        while (position < text.Length)
        {
            var r = text[position..].IndexOfAnyInRange('0', '9');
            if (r < 0)
            {
                break;
            }

            r += position;
            var end = r + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]) && end - r < ShortRun)
            {
                end++; // most runs are short: reading them is cheaper than a vectorized search's set-up
            }

            if (end - r == ShortRun)
            {
                var rest = text[end..].IndexOfAnyExceptInRange('0', '9');
                end = rest < 0 ? text.Length : end + rest;
            }

            var length = end - r;
            position = end;
            var prev = r > 0 ? text[r - 1] : '\0';
            var next = end < text.Length ? text[end] : '\0';
            var first = text[r];

            // Card: a digit no letter, digit or '-' precedes, then 12–19 digits with single ' ' or '-' between.
            if (length <= 19 && (length >= 12 || next is ' ' or '-') && !(char.IsAsciiLetter(prev) || prev == '-'))
            {
                if (TryAt(CardAt(), text, r, ref attempts, ref ends[(int)PiiPattern.Card]) is var card and > 0 && IsCard(text.Slice(r, card)))
                {
                    Add(ref findings, PiiPattern.Card, PiiKinds.PaymentCard, Severity.High, r, card);
                }
            }

            // IBAN: two capitals and the check digits.
            if (r >= 2 && length >= 2 && char.IsAsciiLetterUpper(prev) && char.IsAsciiLetterUpper(text[r - 2]))
            {
                if (TryAt(IbanStartAt(), text, r - 2, ref attempts, ref ends[(int)PiiPattern.Iban]) > 0 && TryIban(text, r - 2) is var iban and > 0)
                {
                    Add(ref findings, PiiPattern.Iban, PiiKinds.Iban, Severity.Medium, r - 2, iban);
                }
            }

            // SSN: three digits and its separator.
            if (length == 3 && next is '-' or ' ')
            {
                if (TryAt(SsnAt(), text, r, ref attempts, ref ends[(int)PiiPattern.Ssn]) is var ssn and > 0 && IsSsn(text.Slice(r, ssn)))
                {
                    Add(ref findings, PiiPattern.Ssn, PiiKinds.UsSsn, Severity.High, r, ssn);
                }
            }

            // International phone: '+' and a country code that starts 1–9.
            if (prev == '+' && first != '0')
            {
                if (TryAt(PhoneInternationalAt(), text, r - 1, ref attempts, ref ends[(int)PiiPattern.PhoneInternational]) is var phone and > 0
                    && CountDigits(text.Slice(r - 1, phone)) is >= 8 and <= 15)
                {
                    Add(ref findings, PiiPattern.PhoneInternational, PiiKinds.Phone, Severity.Low, r - 1, phone);
                }
            }

            // North American phone: "1" and a separator, "(" and an area code, or an area code and a separator.
            if (prev == '(' && length == 3 && next == ')' && first >= '2')
            {
                if (TryAt(PhoneNorthAmericanAt(), text, r - 1, ref attempts, ref ends[(int)PiiPattern.PhoneNorthAmerican]) is var phone and > 0)
                {
                    Add(ref findings, PiiPattern.PhoneNorthAmerican, PiiKinds.Phone, Severity.Low, r - 1, phone);
                }
            }

            if (next is '-' or '.' or ' '
                && ((length == 3 && first >= '2') || (length == 1 && first == '1' && end + 1 < text.Length && text[end + 1] is '(' or (>= '2' and <= '9'))))
            {
                if (TryAt(PhoneNorthAmericanAt(), text, r, ref attempts, ref ends[(int)PiiPattern.PhoneNorthAmerican]) is var phone and > 0)
                {
                    Add(ref findings, PiiPattern.PhoneNorthAmerican, PiiKinds.Phone, Severity.Low, r, phone);
                }
            }

            // European phone: a trunk '0' and 2–6 digits before the first ' ' or '.'.
            if (first == '0' && length is >= 2 and <= 6 && next is ' ' or '.')
            {
                if (TryAt(PhoneEuropeanAt(), text, r, ref attempts, ref ends[(int)PiiPattern.PhoneEuropean]) is var phone and > 0
                    && CountDigits(text.Slice(r, phone)) is 10 or 11)
                {
                    Add(ref findings, PiiPattern.PhoneEuropean, PiiKinds.Phone, Severity.Low, r, phone);
                }
            }

            // NINO: two capitals, an optional space, then the digits.
            if (length >= 2)
            {
                if (r >= 3 && prev == ' ' && char.IsAsciiLetterUpper(text[r - 2]) && char.IsAsciiLetterUpper(text[r - 3]))
                {
                    TryNino(text, r - 3, compact, ref attempts, ref ends[(int)PiiPattern.Nino], ref findings);
                }

                if (r >= 2 && char.IsAsciiLetterUpper(prev) && char.IsAsciiLetterUpper(text[r - 2]))
                {
                    TryNino(text, r - 2, compact, ref attempts, ref ends[(int)PiiPattern.Nino], ref findings);
                }
            }

            // DNI: eight digits, or X/Y/Z and seven, then the control letter.
            if (length == 8 || (length == 7 && prev is 'X' or 'Y' or 'Z'))
            {
                var start = length == 8 ? r : r - 1;
                if (TryAt(SpanishIdAt(), text, start, ref attempts, ref ends[(int)PiiPattern.SpanishId]) is var id and > 0
                    && Checksums.SpanishId(Compact(text.Slice(start, id), compact)))
                {
                    Add(ref findings, PiiPattern.SpanishId, PiiKinds.EsDni, Severity.High, start, id);
                }
            }

            // NIR: sex digit 1 or 2, then a space or the year's digits.
            if (first is '1' or '2' && (length >= 3 || (length == 1 && next == ' ')))
            {
                if (TryAt(FrenchNirAt(), text, r, ref attempts, ref ends[(int)PiiPattern.FrenchNir]) is var nir and > 0
                    && Checksums.FrenchNir(Compact(text.Slice(r, nir), compact)))
                {
                    Add(ref findings, PiiPattern.FrenchNir, PiiKinds.FrNir, Severity.High, r, nir);
                }
            }

            // Aadhaar: a first group of four starting 2–9, then its separator.
            if (length == 4 && first >= '2' && next is ' ' or '-')
            {
                if (TryAt(AadhaarAt(), text, r, ref attempts, ref ends[(int)PiiPattern.Aadhaar]) is var aadhaar and > 0
                    && Checksums.Verhoeff(Compact(text.Slice(r, aadhaar), compact)))
                {
                    Add(ref findings, PiiPattern.Aadhaar, PiiKinds.InAadhaar, Severity.High, r, aadhaar);
                }
            }

            // Passport zone, second line: birth date and its check, seven digits between a letter or '<' and the sex.
            if (length == 7 && r >= 13 && prev is '<' or (>= 'A' and <= 'Z') && next is 'M' or 'F' or 'X' or '<')
            {
                TryMrz(text, r - 13, ref attempts, ref ends[(int)PiiPattern.Mrz], ref findings);
            }

            // IPv4: a first octet of 1–3 digits and its dot.
            if (length <= 3 && next == '.')
            {
                if (TryAt(Ipv4At(), text, r, ref attempts, ref ends[(int)PiiPattern.Ipv4]) is var ip and > 0
                    && !FollowsVersionWord(text, r) && IsReportableIpv4(text.Slice(r, ip)))
                {
                    Add(ref findings, PiiPattern.Ipv4, PiiKinds.IpAddress, Severity.Low, r, ip);
                }
            }
        }

        ScanPassportNumbers(text, ref findings, ref attempts, ref ends[(int)PiiPattern.Passport]);
        work?.Charge(attempts);
    }

    /// <summary>
    /// Whether what the IPv4 pattern matched is someone's address, read by hand: the pattern already holds it to four
    /// decimal octets of at most 255 without leading zeros, which is all <see cref="System.Net.IPAddress.TryParse(ReadOnlySpan{char}, out System.Net.IPAddress?)"/>
    /// would check, so only the ranges are left (loopback, unspecified, broadcast, RFC 5737 documentation). Text dense with
    /// addresses (1 MB of "10.1.2.3 ") parsed each one twice over.
    /// </summary>
    private static bool IsReportableIpv4(ReadOnlySpan<char> quad)
    {
        Span<int> octets = stackalloc int[4];
        var n = 0;
        foreach (var c in quad)
        {
            if (c == '.')
            {
                n++;
            }
            else
            {
                octets[n] = (octets[n] * 10) + (c - '0');
            }
        }

        var (a, b, c3, d) = (octets[0], octets[1], octets[2], octets[3]);
        return !(a == 127 || (a | b | c3 | d) == 0 || (a & b & c3 & d) == 255
            || (a == 192 && b == 0 && c3 == 2) || (a == 198 && b == 51 && c3 == 100) || (a == 203 && b == 0 && c3 == 113));
    }

    /// <summary>Matches <paramref name="anchored"/> (a pattern behind <c>\G</c>) at <paramref name="start"/> unless an
    /// earlier match of it reaches past there; returns the length, 0 when there is none. Adds to
    /// <paramref name="work"/> what the try is charged.</summary>
    private static int TryAt(Regex anchored, ReadOnlySpan<char> text, int start, ref long work, ref int lastEnd)
    {
        if (start < lastEnd)
        {
            return 0;
        }

        work += AttemptCharge;
        foreach (var match in anchored.EnumerateMatches(text, start))
        {
            work += match.Length;
            lastEnd = start + match.Length;
            return match.Length;
        }

        return 0;
    }

    private static void TryNino(ReadOnlySpan<char> text, int start, Span<char> compact, ref long work, ref int lastEnd, ref List<PiiFound>? findings)
    {
        if (TryAt(NinoAt(), text, start, ref work, ref lastEnd) is var nino and > 0
            && IsIssuableNinoPrefix(Compact(text.Slice(start, nino), compact)))
        {
            Add(ref findings, PiiPattern.Nino, PiiKinds.UkNino, Severity.High, start, nino);
        }
    }

    /// <summary>The number after "passport" starts 8–25 chars after the word (the lookbehind's longest run of "no.",
    /// blanks and ':' or '#' is 17), and has a digit among its first three chars; each place like that is tried.</summary>
    private static void ScanPassportNumbers(ReadOnlySpan<char> text, ref List<PiiFound>? findings, ref long work, ref int lastEnd)
    {
        const int Word = 8;
        const int MaxBetween = 17;
        var nextStart = 0;
        foreach (var word in PassportWord().EnumerateMatches(text))
        {
            var from = Math.Max(nextStart, word.Index + Word);
            var to = Math.Min(text.Length - 1, word.Index + Word + MaxBetween);
            for (var start = from; start <= to; start++)
            {
                if (!(char.IsAsciiLetterUpper(text[start]) || char.IsAsciiDigit(text[start]))
                    || text.Slice(start, Math.Min(3, text.Length - start)).IndexOfAnyInRange('0', '9') < 0)
                {
                    continue;
                }

                if (TryAt(PassportAfterWordAt(), text, start, ref work, ref lastEnd) is var passport and > 0
                    && CountDigits(text.Slice(start, passport)) >= 6)
                {
                    Add(ref findings, PiiPattern.Passport, PiiKinds.Passport, Severity.High, start, passport);
                }
            }

            nextStart = to + 1;
        }
    }

    private static void TryMrz(ReadOnlySpan<char> text, int start, ref long work, ref int lastEnd, ref List<PiiFound>? findings)
    {
        if (TryAt(MrzSecondLineAt(), text, start, ref work, ref lastEnd) is var length and > 0)
        {
            var line = text.Slice(start, length);
            if (Checksums.MrzCheckDigit(line[..9]) == line[9] - '0'
                && Checksums.MrzCheckDigit(line.Slice(13, 6)) == line[19] - '0'
                && Checksums.MrzCheckDigit(line.Slice(21, 6)) == line[27] - '0')
            {
                Add(ref findings, PiiPattern.Mrz, PiiKinds.Passport, Severity.High, start, length);
            }
        }
    }

    // The number patterns, each behind \G: tried at one place, with its lookbehind still seeing the text before it.
    private const string CardPattern = @"(?<![0-9A-Za-z-])[0-9](?:[ -]?[0-9]){11,18}(?![0-9A-Za-z]|-[0-9])";
    private const string IbanStartPattern = @"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?= ?[A-Z0-9])";
    private const string SsnPattern = @"(?<![\w-])(?!000|666|9[0-9]{2})[0-9]{3}([- ])(?!00)[0-9]{2}\1(?!0000)[0-9]{4}(?![\w]|-[0-9])";
    private const string NinoPattern = @"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Za-z0-9])";
    private const string PassportAfterWordPattern = @"(?<=\b(?i:passport)(?:[ \t]{1,3}(?i:no|nr|num|number|#|n°)\.?)?[ \t]{0,3}[:#]?[ \t]{0,3})[A-Z]{0,2}[0-9]{6,9}(?![A-Za-z0-9])";
    private const string MrzSecondLinePattern = @"(?<![A-Z0-9<])[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9]{6}[0-9][MFX<][0-9]{6}[0-9][A-Z0-9<]{14}[0-9<][0-9](?![A-Z0-9<])";
    private const string SpanishIdPattern = @"(?<![A-Za-z0-9])(?:[0-9]{8}|[XYZ][0-9]{7})-?[A-Z](?![A-Za-z0-9])";
    private const string FrenchNirPattern = @"(?<![0-9])[12] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}(?![0-9])";
    private const string AadhaarPattern = @"(?<![0-9])[2-9][0-9]{3}([ -])[0-9]{4}\1[0-9]{4}(?![0-9]|[ -][0-9])";
    private const string PhoneInternationalPattern = @"(?<![\w+])\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,6}(?![\w])";
    private const string PhoneNorthAmericanPattern = @"(?<![\w+(.-])(?:1[-. ])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[-. ])[2-9][0-9]{2}[-. ][0-9]{4}(?![\w]|[-.][0-9])";
    private const string PhoneEuropeanPattern = @"(?<![\w+.-])(?:0[1-9](?:[ .][0-9]{2}){4}|0[1-9][0-9]{1,4} [0-9]{3,4} ?[0-9]{3,4})(?![\w]|[-.][0-9])";
    private const string Ipv4Pattern = @"(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![\w]|\.[0-9])";

    [GeneratedRegex(@"\G" + CardPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex CardAt();

    [GeneratedRegex(@"\G" + IbanStartPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex IbanStartAt();

    [GeneratedRegex(@"\G" + SsnPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex SsnAt();

    [GeneratedRegex(@"\G" + NinoPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex NinoAt();

    /// <summary>The number after "passport", "passport no.", "passport number:" and the like.</summary>
    [GeneratedRegex(@"\G" + PassportAfterWordPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex PassportAfterWordAt();

    /// <summary>The word <see cref="PassportAfterWordAt"/>'s lookbehind needs, under the same case-insensitivity.</summary>
    [GeneratedRegex("(?i:passport)", RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex PassportWord();

    /// <summary>The second line of a passport's machine-readable zone (TD3): number, check, nationality, birth date, check,
    /// sex, expiry, check, personal number, checks.</summary>
    [GeneratedRegex(@"\G" + MrzSecondLinePattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex MrzSecondLineAt();

    [GeneratedRegex(@"\G" + SpanishIdPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex SpanishIdAt();

    [GeneratedRegex(@"\G" + FrenchNirPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex FrenchNirAt();

    [GeneratedRegex(@"\G" + AadhaarPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex AadhaarAt();

    [GeneratedRegex(@"\G" + PhoneInternationalPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex PhoneInternationalAt();

    [GeneratedRegex(@"\G" + PhoneNorthAmericanPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex PhoneNorthAmericanAt();

    [GeneratedRegex(@"\G" + PhoneEuropeanPattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex PhoneEuropeanAt();

    [GeneratedRegex(@"\G" + Ipv4Pattern, RegexOptions.CultureInvariant, MatchTimeoutMilliseconds)]
    private static partial Regex Ipv4At();
}
