namespace Meridian.Safeguards.Classifiers;

/// <summary>The check-digit algorithms that separate a real identifier from a number of the same shape.</summary>
internal static class Checksums
{
    /// <summary>Luhn (mod 10) over the digits of <paramref name="digits"/>, which holds only '0'–'9'.</summary>
    public static bool Luhn(ReadOnlySpan<char> digits)
    {
        if (digits.Length < 2)
        {
            return false;
        }

        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }

    /// <summary>
    /// ISO 13616 IBAN check: move the first four chars to the end, letters to 10–35, and the number mod 97 must be 1.
    /// <paramref name="iban"/> holds upper-case letters and digits only.
    /// </summary>
    public static bool IbanMod97(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 5)
        {
            return false;
        }

        var remainder = 0;
        for (var n = 0; n < iban.Length; n++)
        {
            var c = iban[(n + 4) % iban.Length];
            if (c is >= '0' and <= '9')
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else if (c is >= 'A' and <= 'Z')
            {
                remainder = ((remainder * 100) + (c - 'A' + 10)) % 97;
            }
            else
            {
                return false;
            }
        }

        return remainder == 1;
    }

    /// <summary>The IBAN length of a country (ISO 13616 registry), or 0 when the code is not an IBAN country.</summary>
    public static int IbanLength(char a, char b) => (a, b) switch
    {
        ('A', 'D') => 24, ('A', 'E') => 23, ('A', 'L') => 28, ('A', 'T') => 20, ('A', 'Z') => 28,
        ('B', 'A') => 20, ('B', 'E') => 16, ('B', 'G') => 22, ('B', 'H') => 22, ('B', 'R') => 29, ('B', 'Y') => 28,
        ('C', 'H') => 21, ('C', 'R') => 22, ('C', 'Y') => 28, ('C', 'Z') => 24,
        ('D', 'E') => 22, ('D', 'K') => 18, ('D', 'O') => 28,
        ('E', 'E') => 20, ('E', 'G') => 29, ('E', 'S') => 24,
        ('F', 'I') => 18, ('F', 'O') => 18, ('F', 'R') => 27,
        ('G', 'B') => 22, ('G', 'E') => 22, ('G', 'I') => 23, ('G', 'L') => 18, ('G', 'R') => 27, ('G', 'T') => 28,
        ('H', 'R') => 21, ('H', 'U') => 28,
        ('I', 'E') => 22, ('I', 'L') => 23, ('I', 'Q') => 23, ('I', 'S') => 26, ('I', 'T') => 27,
        ('J', 'O') => 30,
        ('K', 'W') => 30, ('K', 'Z') => 20,
        ('L', 'B') => 28, ('L', 'C') => 32, ('L', 'I') => 21, ('L', 'T') => 20, ('L', 'U') => 20, ('L', 'V') => 21,
        ('M', 'C') => 27, ('M', 'D') => 24, ('M', 'E') => 22, ('M', 'K') => 19, ('M', 'R') => 27, ('M', 'T') => 31, ('M', 'U') => 30,
        ('N', 'L') => 18, ('N', 'O') => 15,
        ('P', 'K') => 24, ('P', 'L') => 28, ('P', 'S') => 29, ('P', 'T') => 25,
        ('Q', 'A') => 29,
        ('R', 'O') => 24, ('R', 'S') => 22,
        ('S', 'A') => 24, ('S', 'C') => 31, ('S', 'E') => 24, ('S', 'I') => 19, ('S', 'K') => 24, ('S', 'M') => 27, ('S', 'V') => 28,
        ('T', 'L') => 23, ('T', 'N') => 24, ('T', 'R') => 26,
        ('U', 'A') => 29,
        ('V', 'A') => 22, ('V', 'G') => 24,
        ('X', 'K') => 20,
        _ => 0,
    };

    /// <summary>
    /// Whether a 13–19 digit number starts like a card of a real scheme (Visa, Mastercard, Amex, Discover, JCB, Diners,
    /// UnionPay, Maestro) with that scheme's length. One random number in ten passes Luhn; this cuts most of the rest.
    /// </summary>
    public static bool IsCardPrefix(ReadOnlySpan<char> digits)
    {
        var n = digits.Length;
        var two = ((digits[0] - '0') * 10) + (digits[1] - '0');
        var four = (two * 100) + ((digits[2] - '0') * 10) + (digits[3] - '0');
        var three = four / 10;
        return digits[0] switch
        {
            '4' => n is 13 or 16 or 19,                                                       // Visa
            '2' => four is >= 2221 and <= 2720 && n == 16,                                    // Mastercard 2-series
            '5' => (two is >= 51 and <= 55 && n == 16) || (two is 50 or >= 56 and <= 58 && n >= 12), // Mastercard, Maestro
            '3' => (two is 34 or 37 && n == 15)                                               // Amex
                || (four is >= 3528 and <= 3589 && n >= 16)                                   // JCB
                || ((three is >= 300 and <= 305 || two is 36 or 38 or 39) && n >= 14),         // Diners
            '6' => (four == 6011 || three is >= 644 and <= 649 || two == 65 || two == 62) && n >= 16 // Discover, UnionPay
                || (two is 63 or 67 && n >= 12),                                              // Maestro
            _ => false,
        };
    }

    private const string DniLetters = "TRWAGMYFPDXBNJZSQVHLCKE";

    /// <summary>Spanish DNI (8 digits and a letter) or NIE (X, Y or Z, 7 digits and a letter): the letter is the number
    /// mod 23 looked up in a fixed table, the NIE's first letter standing for 0, 1 or 2. Upper case, no separators.</summary>
    public static bool SpanishId(ReadOnlySpan<char> id)
    {
        if (id.Length != 9)
        {
            return false;
        }

        var number = id[0] switch { 'X' => 0, 'Y' => 1, 'Z' => 2, >= '0' and <= '9' => id[0] - '0', _ => -1 };
        if (number < 0)
        {
            return false;
        }

        for (var i = 1; i < 8; i++)
        {
            if (!char.IsAsciiDigit(id[i]))
            {
                return false;
            }

            number = (number * 10) + (id[i] - '0');
        }

        return DniLetters[number % 23] == id[8];
    }

    /// <summary>French NIR: 13 chars (digits, or 2A/2B for Corsica, counted as 19/18 without the letter) and a 2-digit
    /// key equal to 97 minus the number mod 97. <paramref name="nir"/> holds the 15 chars without separators.</summary>
    public static bool FrenchNir(ReadOnlySpan<char> nir)
    {
        if (nir.Length != 15 || !char.IsAsciiDigit(nir[13]) || !char.IsAsciiDigit(nir[14]))
        {
            return false;
        }

        long number = 0;
        for (var i = 0; i < 13; i++)
        {
            var c = nir[i];
            if (i == 6 && c is 'A' or 'B' && nir[5] == '2')
            {
                number = (number / 10 * 10) + 1; // 2A → 19, 2B → 18 (the department's first digit is already in)
                number = (number * 10) + (c == 'A' ? 9 : 8);
                continue;
            }

            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            number = (number * 10) + (c - '0');
        }

        var key = ((nir[13] - '0') * 10) + (nir[14] - '0');
        return key == 97 - (int)(number % 97);
    }

    private static readonly byte[,] VerhoeffD =
    {
        { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 }, { 2, 3, 4, 0, 1, 7, 8, 9, 5, 6 }, { 3, 4, 0, 1, 2, 8, 9, 5, 6, 7 },
        { 4, 0, 1, 2, 3, 9, 5, 6, 7, 8 }, { 5, 9, 8, 7, 6, 0, 4, 3, 2, 1 }, { 6, 5, 9, 8, 7, 1, 0, 4, 3, 2 }, { 7, 6, 5, 9, 8, 2, 1, 0, 4, 3 },
        { 8, 7, 6, 5, 9, 3, 2, 1, 0, 4 }, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
    };

    private static readonly byte[,] VerhoeffP =
    {
        { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 5, 7, 6, 2, 8, 3, 0, 9, 4 }, { 5, 8, 0, 3, 7, 9, 6, 1, 4, 2 }, { 8, 9, 1, 6, 0, 4, 3, 5, 2, 7 },
        { 9, 4, 5, 3, 1, 2, 7, 6, 8, 0 }, { 4, 2, 8, 6, 5, 7, 3, 9, 0, 1 }, { 2, 7, 9, 3, 8, 0, 6, 4, 1, 5 }, { 7, 0, 4, 6, 9, 1, 3, 2, 5, 8 },
    };

    /// <summary>Verhoeff's dihedral check (Aadhaar's last digit) over <paramref name="digits"/>, which holds only '0'–'9'.</summary>
    public static bool Verhoeff(ReadOnlySpan<char> digits)
    {
        var c = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            c = VerhoeffD[c, VerhoeffP[i % 8, digits[digits.Length - 1 - i] - '0']];
        }

        return digits.Length > 1 && c == 0;
    }

    /// <summary>ICAO 9303 check digit: weights 7, 3, 1 over digits, letters A=10…Z=35 and the filler '&lt;'=0, mod 10.</summary>
    public static int MrzCheckDigit(ReadOnlySpan<char> field)
    {
        var sum = 0;
        for (var i = 0; i < field.Length; i++)
        {
            var c = field[i];
            var value = c switch { >= '0' and <= '9' => c - '0', >= 'A' and <= 'Z' => c - 'A' + 10, _ => 0 };
            sum += value * (i % 3) switch { 0 => 7, 1 => 3, _ => 1 };
        }

        return sum % 10;
    }
}
