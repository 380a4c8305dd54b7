using Meridian.Core.Validation;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// The reason a human gives for touching a case (opening it, lifting a suspension): free text for the access log and a
/// code from a fixed list, which is all the tenant is shown.
/// </summary>
internal static class AccessReason
{
    public const int MaxChars = 500;

    /// <summary>Checks both; returns the trimmed reason and the code (the list's first when none was sent), or the field errors.</summary>
    /// <param name="why">What the reason is asked for, e.g. "why you open this case".</param>
    /// <param name="goesInto">Where the reason is written, e.g. "the access log".</param>
    public static (string Reason, string Code, FieldErrors Errors) Read(string? reason, string? code, IReadOnlyList<string> codes, string why, string goesInto)
    {
        var errors = new FieldErrors();
        var trimmed = reason?.Trim();
        if (trimmed is not { Length: > 0 and <= MaxChars })
        {
            errors.Add("reason", $"is required: {why} (1 to {MaxChars} characters); it goes into {goesInto}");
        }

        var chosen = code ?? codes[0];
        if (!codes.Contains(chosen))
        {
            errors.Add("reason_code", $"must be one of {string.Join(", ", codes)}; the tenant is shown it");
        }

        return (trimmed ?? string.Empty, chosen, errors);
    }
}
