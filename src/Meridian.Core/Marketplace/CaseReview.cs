using System.Text.Json.Serialization;

namespace Meridian.Core.Marketplace;

/// <summary>
/// Whose Trust &amp; Safety people review a deployment's flagged requests (docs/safeguards.md, "Who reviews"). Recorded on
/// each case when it is opened, so a later switch changes who sees new cases only.
/// </summary>
public enum ReviewedBy
{
    /// <summary>The offer's publisher: its reviewer tokens (<c>publisher_id</c> set).</summary>
    [JsonStringEnumMemberName("publisher")]
    Publisher,

    /// <summary>The operator's own T&amp;S: reviewer tokens with neither publisher nor tenant.</summary>
    [JsonStringEnumMemberName("operator")]
    Operator,

    /// <summary>The tenant's own reviewers: reviewer tokens with the deployment's <c>tenant_id</c>.</summary>
    [JsonStringEnumMemberName("tenant")]
    Tenant,
}

/// <summary>What is kept of a flagged request's content.</summary>
public enum RetentionMode
{
    /// <summary>The encrypted snapshot is kept for the retention period, then purged.</summary>
    [JsonStringEnumMemberName("standard")]
    Standard,

    /// <summary>Flagged requests are screened and their case metadata recorded; no content is ever kept.</summary>
    [JsonStringEnumMemberName("none")]
    None,
}

/// <summary>The operator's exemption from an offer's retention requirement: who granted it and when.</summary>
public sealed record RetentionExemption(string GrantedBy, DateTimeOffset GrantedAt);

/// <summary>Wire names of the review settings, and the one rule that combines them. Pure.</summary>
public static class CaseReview
{
    public static IReadOnlyList<string> ReviewerNames { get; } = ["publisher", "operator", "tenant"];

    public static IReadOnlyList<string> RetentionNames { get; } = ["standard", "none"];

    public static string Of(ReviewedBy reviewedBy) => reviewedBy switch
    {
        ReviewedBy.Publisher => "publisher",
        ReviewedBy.Operator => "operator",
        _ => "tenant",
    };

    public static string Of(RetentionMode mode) => mode == RetentionMode.Standard ? "standard" : "none";

    public static bool TryParse(string? value, out ReviewedBy reviewedBy)
    {
        switch (value)
        {
            case "publisher": reviewedBy = ReviewedBy.Publisher; return true;
            case "operator": reviewedBy = ReviewedBy.Operator; return true;
            case "tenant": reviewedBy = ReviewedBy.Tenant; return true;
            default: reviewedBy = default; return false;
        }
    }

    public static bool TryParse(string? value, out RetentionMode mode)
    {
        switch (value)
        {
            case "standard": mode = RetentionMode.Standard; return true;
            case "none": mode = RetentionMode.None; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>
    /// Whether a deployment must refuse every request: its offer requires content retention for review, the deployment
    /// keeps none, and the operator has not exempted it. Serving would either store content the deployment promised not to
    /// keep, or give the publisher a review without the content its terms require — so neither happens.
    /// </summary>
    public static bool RefusesRequests(bool offerRequiresRetention, RetentionMode mode, bool exempt) =>
        offerRequiresRetention && mode == RetentionMode.None && !exempt;
}
