using Meridian.Safeguards.Classifiers;

namespace Meridian.Safeguards.Tests.Classifiers;

public sealed class ChecksumsTests
{
    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("378282246310005", true)]
    [InlineData("378282246310006", false)]
    [InlineData("79927398713", true)] // the textbook example
    [InlineData("79927398710", false)]
    public void Luhn_accepts_exactly_the_numbers_whose_check_digit_matches(string digits, bool valid)
    {
        Assert.Equal(valid, Checksums.Luhn(digits));
    }

    [Theory]
    [InlineData("GB82WEST12345698765432", true)]
    [InlineData("GB82WEST12345698765433", false)]
    [InlineData("DE89370400440532013000", true)]
    [InlineData("FR1420041010050500013M02606", true)]
    [InlineData("NO9386011117947", true)]
    [InlineData("NO9386011117948", false)]
    [InlineData("GB28WEST12345698765432", false)] // check digits changed
    public void Iban_mod97_accepts_exactly_the_ibans_whose_check_digits_match(string iban, bool valid)
    {
        Assert.Equal(valid, Checksums.IbanMod97(iban));
    }

    [Theory]
    [InlineData("4111111111111111", true)]   // Visa 16
    [InlineData("5555555555554444", true)]   // Mastercard
    [InlineData("2223003122003222", true)]   // Mastercard 2-series
    [InlineData("378282246310005", true)]    // Amex 15
    [InlineData("37828224631000", false)]    // Amex must be 15
    [InlineData("1234567812345670", false)]  // no scheme starts with 1
    [InlineData("9111111111111111", false)]
    public void Card_prefix_must_belong_to_a_scheme_with_that_length(string digits, bool valid)
    {
        Assert.Equal(valid, Checksums.IsCardPrefix(digits));
    }

    [Theory]
    [InlineData("12345678Z", true)] // the textbook DNI
    [InlineData("12345678A", false)]
    [InlineData("Y3048121Z", true)] // NIE: Y stands for 1
    [InlineData("X3048121Z", false)]
    public void Spanish_ids_need_the_mod_23_control_letter(string id, bool valid)
    {
        Assert.Equal(valid, Checksums.SpanishId(id));
    }

    [Theory]
    [InlineData("185057800608491", true)]
    [InlineData("185057800608492", false)]
    [InlineData("293037512012322", true)]
    public void French_nir_key_is_97_minus_the_number_mod_97(string nir, bool valid)
    {
        Assert.Equal(valid, Checksums.FrenchNir(nir));
    }

    [Theory]
    [InlineData("491837260510", true)]
    [InlineData("491837260511", false)]
    [InlineData("491837260501", false)] // two digits swapped: the transposition Verhoeff exists to catch
    public void Verhoeff_catches_single_digit_errors_and_transpositions(string digits, bool valid)
    {
        Assert.Equal(valid, Checksums.Verhoeff(digits));
    }

    [Theory]
    [InlineData("925076473", 3)]
    [InlineData("740812", 2)]
    [InlineData("L898902C<", 3)] // ICAO 9303's specimen passport number
    public void Mrz_check_digit_weights_7_3_1(string field, int expected)
    {
        Assert.Equal(expected, Checksums.MrzCheckDigit(field));
    }
}
