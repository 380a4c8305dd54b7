using System.Text.RegularExpressions;
using Meridian.Safeguards.Classifiers;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests.Classifiers;

public sealed class PiiClassifierTests
{
    private readonly PiiClassifier _pii = new();

    [Theory]
    [InlineData("My card is 4111 1111 1111 1111, exp 12/27.", PiiKinds.PaymentCard, "4111 1111 1111 1111")]
    [InlineData("card:5555555555554444.", PiiKinds.PaymentCard, "5555555555554444")]
    [InlineData("Amex 3782-822463-10005 ok", PiiKinds.PaymentCard, "3782-822463-10005")]
    [InlineData("Pay to GB82 WEST 1234 5698 7654 32 today", PiiKinds.Iban, "GB82 WEST 1234 5698 7654 32")]
    [InlineData("iban NL91ABNA0417164300.", PiiKinds.Iban, "NL91ABNA0417164300")]
    [InlineData("mail jane.doe@contoso.com now", PiiKinds.Email, "jane.doe@contoso.com")]
    [InlineData("call +44 20 7946 0958 please", PiiKinds.Phone, "+44 20 7946 0958")]
    [InlineData("office (212) 555-0187.", PiiKinds.Phone, "(212) 555-0187")]
    [InlineData("portable 06 12 34 56 78", PiiKinds.Phone, "06 12 34 56 78")]
    [InlineData("SSN 536-22-1234.", PiiKinds.UsSsn, "536-22-1234")]
    [InlineData("from 81.2.69.160 at noon", PiiKinds.IpAddress, "81.2.69.160")]
    [InlineData("client 2a00:1450:4009:81f::200e here", PiiKinds.IpAddress, "2a00:1450:4009:81f::200e")]
    [InlineData("key sk-ant-api03-Xk9fQ2LpR7tZ1mWb3Vn8cYd5Hs4Jq6Ge0 end", PiiKinds.Secret, "sk-ant-api03-Xk9fQ2LpR7tZ1mWb3Vn8cYd5Hs4Jq6Ge0")]
    [InlineData("id AKIAIOSFODNN7EXAMPLE;", PiiKinds.Secret, "AKIAIOSFODNN7EXAMPLE")]
    [InlineData("x-api-key: mk-1a2b3c4d-Qw3rTy7uIo9pAs2dFg4hJk6lZx8cVb0n", PiiKinds.Secret, "mk-1a2b3c4d-Qw3rTy7uIo9pAs2dFg4hJk6lZx8cVb0n")]
    [InlineData("token ghp_1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX", PiiKinds.Secret, "ghp_1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX")]
    [InlineData("password: Tr0ub4dor&3xyz", PiiKinds.Secret, "Tr0ub4dor&3xyz")]
    [InlineData("session=9fQ2xLp7Rk1ZtWb3Vn8cMd5Hs4Jy6Ge0Ua2TiPo", PiiKinds.Secret, "9fQ2xLp7Rk1ZtWb3Vn8cMd5Hs4Jy6Ge0Ua2TiPo")]
    [InlineData("NINO: JT 48 29 17 B thanks", PiiKinds.UkNino, "JT 48 29 17 B")]
    [InlineData("ni number AB123456C.", PiiKinds.UkNino, "AB123456C")]
    [InlineData("Passport No. C03005988 issued", PiiKinds.Passport, "C03005988")]
    [InlineData("passport: 925076473", PiiKinds.Passport, "925076473")]
    [InlineData("P<GBRSMITH<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<\n9250764733GBR7408122F2904124<<<<<<<<<<<<<<00", PiiKinds.Passport, "9250764733GBR7408122F2904124<<<<<<<<<<<<<<00")]
    [InlineData("DNI 12345678Z.", PiiKinds.EsDni, "12345678Z")]
    [InlineData("NIE Y3048121Z", PiiKinds.EsDni, "Y3048121Z")]
    [InlineData("NIR 1 85 05 78 006 084 91 ok", PiiKinds.FrNir, "1 85 05 78 006 084 91")]
    [InlineData("Aadhaar 4918 3726 0510 for KYC", PiiKinds.InAadhaar, "4918 3726 0510")]
    public async Task Each_kind_is_found_with_the_exact_position_of_the_value(string text, string kind, string value)
    {
        var findings = await Classify(_pii, text);

        var finding = Assert.Single(findings, f => f.Kind == kind);
        Assert.Equal(SafetyCategory.Pii, finding.Category);
        Assert.Equal(value, Matched(text, finding));
    }

    [Theory]
    [InlineData("code GB 12 34 56 A")] // a prefix HMRC never issues
    [InlineData("ref QQ123456C")] // Q is never a NINO letter
    [InlineData("ticket number 925076473")] // a passport-shaped number without the word
    [InlineData("P<GBRSMITH<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<\n9250764734GBR7408122F2904124<<<<<<<<<<<<<<00")] // MRZ check digit wrong
    [InlineData("DNI 12345678A.")] // wrong control letter
    [InlineData("NIR 1 85 05 78 006 084 92")] // wrong key
    [InlineData("Order 4918 3726 0511 shipped")] // Verhoeff fails
    [InlineData("order 491837260510 shipped")] // twelve bare digits: too often an order number
    public async Task National_ids_with_a_wrong_check_or_without_their_shape_are_not_reported(string text)
    {
        var findings = await Classify(_pii, text);
        Assert.DoesNotContain(findings, f => f.Kind is PiiKinds.UkNino or PiiKinds.Passport or PiiKinds.EsDni or PiiKinds.FrNir or PiiKinds.InAadhaar);
    }

    [Theory]
    [InlineData("My card is 4111 1111 1111 1112, exp 12/27.")] // Luhn fails
    [InlineData("Tracking 1234 5678 9012 3456.")]              // no scheme
    [InlineData("digits 4111 11 1111 111 1111")]               // groups too short to be a card
    [InlineData("Pay to GB82 WEST 1234 5698 7654 33 today")]   // mod-97 fails
    [InlineData("flight DE1234 at gate B22")]
    [InlineData("SSN 000-12-3456, 666-45-1234, 912-34-5678, 123-00-4567, 234-56-0000")] // never issued
    [InlineData("The Woolworth card showed 078-05-1120.")]
    [InlineData("docs use user@example.com and bob@service.test")]
    [InlineData("git clone git@github.com:org/repo.git")]
    [InlineData("bind 127.0.0.1 or 0.0.0.0; docs use 203.0.113.5 and 2001:db8::1")]
    [InlineData("version 1.2.3.4 and std::vector and 10:45:30")]
    [InlineData("commit 3f786850e387550fdab836ed7e6dc881de23001b and uuid 550e8400-e29b-41d4-a716-446655440000")]
    [InlineData("AbstractSingletonProxyFactoryBeanConfigurationHandler2Impl")]
    [InlineData("We use sk-learn-style estimators everywhere in this codebase")]
    [InlineData("api_key = os.environ['API_KEY'] and password: <your password>")]
    [InlineData("ISBN 978-3-16-148410-0, released 2024-11-05")]
    public async Task Near_misses_and_checksum_invalid_values_are_not_reported(string text)
    {
        Assert.Empty(await Classify(_pii, text));
    }

    [Fact]
    public async Task Severity_follows_the_sensitivity_of_the_kind()
    {
        var text = "card 4111111111111111, iban DE89 3704 0044 0532 0130 00, mail a.b@contoso.com";
        var findings = await Classify(_pii, text);

        Assert.Equal(Severity.High, findings.Single(f => f.Kind == PiiKinds.PaymentCard).Severity);
        Assert.Equal(Severity.Medium, findings.Single(f => f.Kind == PiiKinds.Iban).Severity);
        Assert.Equal(Severity.Low, findings.Single(f => f.Kind == PiiKinds.Email).Severity);
    }

    [Fact]
    public async Task Several_values_in_one_text_each_get_their_own_position()
    {
        var text = "a@contoso.com, b@contoso.com and +1 415 555 0132";
        var findings = await Classify(_pii, text);

        Assert.Equal(["a@contoso.com", "b@contoso.com", "+1 415 555 0132"], findings.OrderBy(f => f.Start).Select(f => Matched(text, f)));
    }

    [Fact]
    public async Task No_finding_is_longer_than_the_stream_window_so_streaming_and_input_agree()
    {
        var longEmail = "someone@" + string.Join('.', Enumerable.Repeat(new string('d', 40), 3)) + ".com"; // 134 chars
        var text = $"write to {longEmail} or a@contoso.com";

        var finding = Assert.Single(await Classify(_pii, text));

        Assert.Equal("a@contoso.com", Matched(text, finding));
    }

    [Fact]
    public async Task Long_random_tokens_are_reported_in_slices_no_longer_than_a_window()
    {
        var token = string.Concat(Enumerable.Repeat("9fQ2xLp7Rk1ZtWb3Vn8cMd5Hs4Jy6Ge0Ua2TiPo", 6)); // 240 chars
        var findings = await Classify(_pii, "blob " + token);

        Assert.NotEmpty(findings);
        Assert.All(findings, f => Assert.True(f.Length <= _pii.MaxMatchChars));
    }

    /// <summary>The e-mail regex the classifier ran over a 270-char slice around every '@' before issue 15, whose grammar
    /// the hand-written scanner keeps.</summary>
    private static readonly Regex EmailBefore = new(
        @"(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}(?![A-Za-z0-9-]|\.[A-Za-z0-9]|:[A-Za-z0-9~/])",
        RegexOptions.CultureInvariant);

    [Fact]
    public async Task The_email_scanner_finds_exactly_what_the_email_regex_found()
    {
        var random = new Random(15);
        const string alphabet = "ab1-._+%@@::/ ~co";
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(3, 40)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            var text = "mail " + new string(chars) + " end";
            var expected = EmailBefore.Matches(text).Select(m => (m.Index, m.Length));
            var actual = (await Classify(_pii, text)).Where(f => f.Kind == PiiKinds.Email).Select(f => (Index: f.Start, f.Length));

            Assert.True(expected.SequenceEqual(actual.OrderBy(f => f.Index)), $"'{text}': expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
        }
    }

    [Theory]
    [InlineData("a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@.com")]
    [InlineData("user@host.internal:8080/path")]
    [InlineData("first.last@mail.example-corp.co.uk.a.b.c")]
    [InlineData("-x@mail.contoso.com")]
    [InlineData("x.@mail.contoso.com")]
    [InlineData("x@-mail.contoso.com")]
    [InlineData("x@mail.contoso.c0m")]
    public async Task Near_misses_of_an_address_are_not_reported(string text)
    {
        Assert.DoesNotContain(await Classify(_pii, text), f => f.Kind == PiiKinds.Email);
    }

    internal const string Jwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    internal const string AnthropicKey =
        "sk-ant-api03-R8x2Kq9Lm4Vt7Nb1Wc5Hd3Jf6Yg0Sa2Zp8QeT4uI7oP1aS5dF9gH3jK6lZ2xC8vB0nM4qW7eR1tY5uI9oP3aS6-Ab3Cd5EfAA"; // 108, as issued

    /// <summary>Issue 15: a file path was cut apart by the token rule (<c>…/tasks/btcy65k[REDACTED:secret].out…</c>).</summary>
    [Theory]
    [InlineData("Output is in /home/dev/.claude/projects/-work-main/e1a6f0c2-7b3d-4c9e-8f21-Zx8Kq2Lm9Rt4Vb7N/tasks/btcy65k4u.output now.")]
    [InlineData("see ~/Library/Caches/Q8mZt3Kx9LpV2wR7nB4cY6dF1gH5jS0aE7uT/info.plist")]
    [InlineData("C:\\Users\\dev\\AppData\\Local\\Temp\\aB3xK9qZ7mN2pL5vR8tW1yC4dF6gH0jS.tmp")]
    [InlineData("src/Meridian/Classifiers/Zx8Kq2Lm9Rt4Vb7Nc1Wd5Hf3Jg6Yp0Sa2Qe.cs")]
    [InlineData("https://github.com/dotnet/runtime/blob/3f2a9c1e4b7d8a6f0e5c2b1a9d8e7f6c5b4a3d2e/src/Regex.cs")]
    [InlineData("https://cdn.example.net/assets/Zx8Kq2Lm9Rt4Vb7Nc1Wd5Hf3Jg6Yp0Sa2QeT4u/bundle?v=Qa7Zb2Xc9Vd4Nf8Mg1Kh5Lj3Pw6Rt0Sy")]
    [InlineData("npm i @scope/Zx8Kq2Lm9Rt4Vb7Nc1Wd5Hf3Jg6Yp0Sa2QeT4u/lib.js")]
    [InlineData("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (abbrev 9fceb02) on main")]
    [InlineData("ids 550e8400-e29b-41d4-a716-446655440000 and 6f1ed002-ab5d-4b3c-9f1e-2a8d7c6b5e4f")]
    [InlineData("integrity=\"sha512-Zx8Kq2Lm9Rt4Vb7Nc1Wd5Hf3Jg6Yp0SaQa7Zb2Xc9Vd4Nf8Mg1Kh5Lj3Pw6Rt0Sy==\"")]
    [InlineData("var ReserveCountTokensAsyncWithRetriesAndBackoffForQuota = 3;")]
    [InlineData("the sk-learn-preprocessing-pipeline and https://example.com/sk-proj-Zx8Kq2Lm9Rt4Vb7Nc1Wd5Hf3/readme.md")]
    public async Task Paths_urls_hashes_uuids_and_identifiers_are_not_secrets(string text)
    {
        Assert.DoesNotContain(await Classify(_pii, text), f => f.Kind == PiiKinds.Secret);
    }

    public static TheoryData<string> Secrets() =>
    [
        Jwt,
        AnthropicKey,
        "AKIA2E0A8F3B244C9986",
        "ghp_R8x2Kq9Lm4Vt7Nb1Wc5Hd3Jf6Yg0Sa2Zp8QeT4",
        "sk_live_51Hx8Kq2Lm9Rt4Vb7Nc1Wd5Hf3Jg6Yp0Sa",
        "xoxb-2Kq9Lm4Vt7-Nb1Wc5Hd3Jf6-Yg0Sa2Zp8QeT4uI7",
        "Zx8Kq2Lm9Rt4Vb7Nc1Wd5Hf3Jg6Yp0Sa2QeT4uI7oP1aS",
    ];

    /// <summary>Each secret is one finding that covers it exactly, so redaction replaces it whole.</summary>
    [Theory]
    [MemberData(nameof(Secrets))]
    public async Task A_secret_is_found_whole_as_one_span(string secret)
    {
        var text = $"token: {secret}\nthanks";

        var finding = Assert.Single(await Classify(_pii, text), f => f.Kind == PiiKinds.Secret);

        Assert.Equal(secret, Matched(text, finding));
    }

    [Fact]
    public async Task A_distinctive_key_is_found_even_inside_a_url()
    {
        const string text = "git clone https://ghp_R8x2Kq9Lm4Vt7Nb1Wc5Hd3Jf6Yg0Sa2Zp8QeT4@github.com/org/repo.git";

        var finding = Assert.Single(await Classify(_pii, text), f => f.Kind == PiiKinds.Secret);

        Assert.Equal("ghp_R8x2Kq9Lm4Vt7Nb1Wc5Hd3Jf6Yg0Sa2Zp8QeT4", Matched(text, finding));
    }
}
