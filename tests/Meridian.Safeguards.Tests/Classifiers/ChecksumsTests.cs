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
}
