using Meridian.Core.Access;
using Meridian.Core.Validation;

namespace Meridian.Core.Tests.Access;

public sealed class TokenRulesTests
{
    private static readonly string[] Geographies = ["us", "eu"];

    private static FieldErrors Errors(TokenDraft draft)
    {
        var errors = new FieldErrors();
        TokenRules.Validate(draft, Geographies, errors);
        return errors;
    }

    [Theory]
    [InlineData("tenant-admin", null, null, "tenant_id")]
    [InlineData("tenant-developer", null, null, "tenant_id")]
    [InlineData("publisher-admin", null, null, "publisher_id")]
    [InlineData("operator-admin", "ten_a", null, "tenant_id")]
    [InlineData("operator-admin", null, "pub_a", "publisher_id")]
    [InlineData("superuser", null, null, "role")]
    public void Each_role_has_its_scope(string role, string? tenant, string? publisher, string field) =>
        Assert.True(Errors(new TokenDraft(role, "n", tenant, publisher, null)).Has(field));

    [Fact]
    public void A_reviewer_needs_known_geographies()
    {
        Assert.True(Errors(new TokenDraft("reviewer", "n", null, "pub_a", [])).Has("geographies"));
        Assert.True(Errors(new TokenDraft("reviewer", "n", null, "pub_a", ["eu", "mars"])).Has("geographies[1]"));
        Assert.True(Errors(new TokenDraft("reviewer", "n", null, "pub_a", ["eu"])).IsEmpty);
        Assert.True(Errors(new TokenDraft("tenant-admin", "n", "ten_a", null, ["eu"])).Has("geographies"));
    }

    [Fact]
    public void A_reviewer_reviews_for_a_publisher_a_tenant_or_the_operator_but_not_two()
    {
        Assert.True(Errors(new TokenDraft("reviewer", "n", "ten_a", null, ["eu"])).IsEmpty);
        Assert.True(Errors(new TokenDraft("reviewer", "n", null, null, ["eu"])).IsEmpty);
        Assert.True(Errors(new TokenDraft("reviewer", "n", "ten_a", "pub_a", ["eu"])).Has("tenant_id"));
        Assert.True(Errors(new TokenDraft("reviewer", "n", null, null, [])).Has("geographies"));
        Assert.True(Errors(new TokenDraft("publisher-admin", "n", "ten_a", "pub_a", null)).Has("tenant_id"));
    }
}
