using System.Reflection;
using Meridian.Core.Billing;

namespace Meridian.Core.Tests.Billing;

/// <summary>The publisher share cannot hold prompt or output text: checked on the type itself, field by field.</summary>
public sealed class PublisherShareTypeTests
{
    /// <summary>The only leaf types a share may have. No <see cref="string"/>: free text has no field to go into.</summary>
    private static readonly HashSet<Type> Allowed =
    [
        typeof(ShareId), typeof(ShareId?), typeof(ContactName), typeof(EmailAddress), typeof(BillingPeriod),
        typeof(int), typeof(long), typeof(decimal), typeof(decimal?), typeof(DateTimeOffset),
        typeof(TokenType), typeof(TransactionKind),
    ];

    [Fact]
    public void Every_field_of_the_share_is_an_id_a_number_an_enum_a_time_or_the_billing_contact()
    {
        var offending = new List<string>();
        Walk(typeof(PublisherShare), "share", offending, []);
        Assert.True(offending.Count == 0, "fields that could carry free text: " + string.Join(", ", offending));
    }

    [Theory]
    [InlineData("CANARY please summarise my secret plan")]
    [InlineData("two words")]
    [InlineData("line\nbreak")]
    [InlineData("")]
    [InlineData("-leading-dash")]
    public void A_share_id_refuses_prose(string text)
    {
        Assert.False(ShareId.IsValid(text));
        Assert.Throws<ArgumentException>(() => ShareId.From(text));
    }

    [Theory]
    [InlineData("ten_0194a1b2c3d4e5")]
    [InlineData("claude-sonnet-5")]
    [InlineData("mtx_0194a1b2c3d4e5f6a7b8c9")]
    [InlineData("model.v1:2026")]
    public void A_share_id_holds_ids_and_model_names(string text) => Assert.Equal(text, ShareId.From(text).Value);

    [Fact]
    public void A_share_id_is_at_most_128_characters() => Assert.False(ShareId.IsValid(new string('a', 129)));

    private static void Walk(Type type, string path, List<string> offending, HashSet<Type> seen)
    {
        if (Allowed.Contains(type))
        {
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            Walk(type.GetGenericArguments()[0], path + "[]", offending, seen);
            return;
        }

        if (type == typeof(string) || type.IsPrimitive || type == typeof(object) || !type.Namespace!.StartsWith("Meridian.Core.Billing", StringComparison.Ordinal))
        {
            offending.Add($"{path} ({type.Name})");
            return;
        }

        if (!seen.Add(type))
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.Name == "EqualityContract")
            {
                continue;
            }

            Walk(property.PropertyType, path + "." + property.Name, offending, seen);
        }
    }
}
