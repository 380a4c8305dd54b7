using Meridian.Core.Keys;
using Meridian.Core.Validation;

namespace Meridian.Core.Tests.Keys;

public sealed class ApiKeyFormatTests
{
    [Fact]
    public void Keys_and_admin_tokens_share_one_format_with_their_own_scheme()
    {
        var key = ApiKeyFormat.NewKey();
        var token = ApiKeyFormat.New(ApiKeyFormat.AdminTokenScheme);
        Assert.StartsWith("mk-", key, StringComparison.Ordinal);
        Assert.StartsWith("mat-", token, StringComparison.Ordinal);
        Assert.Equal(key[..11], ApiKeyFormat.PrefixOf(key));
        Assert.Equal(token[..12], ApiKeyFormat.PrefixOf(token, ApiKeyFormat.AdminTokenScheme));
        Assert.Null(ApiKeyFormat.PrefixOf(token));
        Assert.Null(ApiKeyFormat.PrefixOf(key, ApiKeyFormat.AdminTokenScheme));
    }

    [Fact]
    public void The_hash_is_keyed()
    {
        var a = new ApiKeyHasher(new byte[32]);
        var b = new ApiKeyHasher(Enumerable.Repeat((byte)1, 32).ToArray());
        Assert.Equal(a.Hash("mat-12345678-x"), a.Hash("mat-12345678-x"));
        Assert.NotEqual(a.Hash("mat-12345678-x"), b.Hash("mat-12345678-x"));
    }

    [Fact]
    public void Rotation_overlap_defaults_to_a_day_and_is_bounded()
    {
        var errors = new FieldErrors();
        Assert.Equal(TimeSpan.FromDays(1), ApiKeyRules.ValidateOverlap(null, errors));
        Assert.Equal(TimeSpan.Zero, ApiKeyRules.ValidateOverlap(0, errors));
        Assert.Null(ApiKeyRules.ValidateOverlap(-1, errors));
        Assert.True(errors.Has("overlap_seconds"));
    }

    [Fact]
    public void A_new_key_cannot_expire_in_the_past()
    {
        var errors = new FieldErrors();
        ApiKeyRules.ValidateNew(null, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow, errors);
        Assert.True(errors.Has("expires_at"));
    }
}
