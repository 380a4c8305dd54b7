using System.Text.RegularExpressions;

namespace Meridian.Core.Validation;

/// <summary>The shapes of names and contact details the control plane accepts.</summary>
public static partial class Names
{
    public const int MaxDisplayNameLength = 200;

    /// <summary>
    /// Resource and deployment names, and model ids: what callers put in <c>model</c>, so no spaces and nothing
    /// a URL or a shell would mangle.
    /// </summary>
    public static bool IsIdentifier(string? value) => value is not null && IdentifierPattern().IsMatch(value);

    /// <summary>Region, data zone and geography names: lower case, because they also name files (<c>geo-eu.db</c>).</summary>
    public static bool IsPlaceName(string? value) => value is not null && PlacePattern().IsMatch(value);

    public static bool IsDisplayName(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= MaxDisplayNameLength && value == value.Trim() && !value.Any(char.IsControl) && IsWellFormed(value);

    /// <summary>False when the text holds a lone UTF-16 surrogate, which no UTF-8 store or client can represent.</summary>
    public static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A plausible e-mail address: one <c>@</c>, something on each side, a dot in the domain, no spaces.</summary>
    public static bool IsEmail(string? value) => value is { Length: <= 254 } && EmailPattern().IsMatch(value) && IsWellFormed(value);

    public static bool IsHttpUrl(string? value) =>
        value is { Length: <= 2048 } && Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    public const string IdentifierRule = "must be 1–64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

    public const string PlaceRule = "must be 1–32 characters: lower-case letters, digits or '-', starting with a letter or digit";

    public const string DisplayNameRule = "must be 1–200 characters without leading or trailing spaces or control characters";

    /// <summary>Validates a required display name into <paramref name="errors"/>.</summary>
    public static void RequireDisplayName(FieldErrors errors, string field, string? value)
    {
        if (value is null)
        {
            errors.Add(field, "is required");
        }
        else if (!IsDisplayName(value))
        {
            errors.Add(field, DisplayNameRule);
        }
    }

    /// <summary>Validates a required identifier into <paramref name="errors"/>.</summary>
    public static void RequireIdentifier(FieldErrors errors, string field, string? value)
    {
        if (value is null)
        {
            errors.Add(field, "is required");
        }
        else if (!IsIdentifier(value))
        {
            errors.Add(field, IdentifierRule);
        }
    }

    public static void RequireEmail(FieldErrors errors, string field, string? value)
    {
        if (value is null)
        {
            errors.Add(field, "is required");
        }
        else if (!IsEmail(value))
        {
            errors.Add(field, "must be an e-mail address");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlacePattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}
