using Meridian.Core.Validation;
using Meridian.Core.World;

namespace Meridian.Core.Marketplace;

/// <summary>A deployment as a caller asked for it, before validation. Null where the caller sent nothing.</summary>
public sealed record DeploymentDraft(
    string? Name,
    string? OfferId,
    string? ModelId,
    string? HostingOption,
    string? DeploymentType,
    int? Rpm,
    int? Tpm,
    string? SafeguardPolicy,
    bool? AcknowledgeDataMayLeaveGeography)
{
    /// <summary><c>publisher</c> (default), <c>operator</c> or <c>tenant</c>.</summary>
    public string? ReviewedBy { get; init; }

    /// <summary><c>standard</c> (default) or <c>none</c>.</summary>
    public string? RetentionMode { get; init; }
}

/// <summary>A deployment that may be created: every choice that decides where data goes is explicit.</summary>
public sealed record ValidDeployment(
    string Name,
    string OfferId,
    string ModelId,
    HostingOption Hosting,
    DeploymentType? Type,
    Capacity Capacity,
    string SafeguardPolicy,
    bool DataMayLeaveGeographyAcknowledged)
{
    public ReviewedBy ReviewedBy { get; init; } = ReviewedBy.Publisher;

    public RetentionMode Retention { get; init; } = RetentionMode.Standard;
}

public enum DeploymentVerdict
{
    Valid,

    /// <summary>Field errors (400).</summary>
    Invalid,

    /// <summary>The tenant has not accepted the offer's current terms (409 <c>terms_not_accepted</c>).</summary>
    TermsNotAccepted,
}

public sealed record DeploymentDecision(DeploymentVerdict Verdict, ValidDeployment? Deployment, FieldErrors Errors, string? Message);

/// <summary>
/// The rules a new deployment must satisfy (docs/admin-api.md, "Deployment rules"). Pure: the caller loads the
/// offer, the tenant's subscription and the resource's region, in the same transaction as the insert.
/// </summary>
public static class DeploymentRules
{
    public const string DefaultSafeguardPolicy = "default";
    public const int DefaultRpm = 600;
    public const int DefaultTpm = 1_000_000;
    public const int MaxRpm = 1_000_000;
    public const int MaxTpm = 1_000_000_000;

    /// <summary>The built-in safeguard policies; a gateway adds those of its policy file.</summary>
    public static IReadOnlyList<string> SafeguardPolicies { get; } = [DefaultSafeguardPolicy];

    /// <param name="offer">The offer named by <c>offer_id</c>, or null when there is none.</param>
    /// <param name="subscription">The tenant's subscription to that offer, or null when it has none.</param>
    /// <param name="resourceRegion">The region of the resource the deployment is created in.</param>
    /// <param name="safeguardPolicies">The policy names a deployment may name; <see cref="SafeguardPolicies"/> when null.</param>
    public static DeploymentDecision Validate(
        DeploymentDraft draft, Offer? offer, Subscription? subscription, Region resourceRegion, IReadOnlyCollection<string>? safeguardPolicies = null)
    {
        var knownPolicies = safeguardPolicies ?? SafeguardPolicies;
        var errors = new FieldErrors();
        Names.RequireIdentifier(errors, "name", draft.Name);
        if (string.IsNullOrEmpty(draft.OfferId))
        {
            errors.Add("offer_id", "is required");
        }
        else if (offer is null)
        {
            errors.Add("offer_id", $"no offer '{draft.OfferId}' exists");
        }

        if (string.IsNullOrEmpty(draft.ModelId))
        {
            errors.Add("model_id", "is required");
        }
        else if (offer is not null && offer.FindModel(draft.ModelId) is null)
        {
            errors.Add("model_id", $"is not a model of offer '{offer.Id}'; it offers {string.Join(", ", offer.Models.Select(m => m.ModelId))}");
        }

        var (hosting, type) = ValidatePlacement(draft, offer, resourceRegion, errors);
        var capacity = ValidateCapacity(draft, errors);
        var policy = draft.SafeguardPolicy ?? DefaultSafeguardPolicy;
        if (!knownPolicies.Contains(policy, StringComparer.Ordinal))
        {
            errors.Add("safeguard_policy", $"is not a known policy; known: {string.Join(", ", knownPolicies.Order(StringComparer.Ordinal))}");
        }

        var reviewedBy = ReviewedBy.Publisher;
        if (draft.ReviewedBy is not null && !CaseReview.TryParse(draft.ReviewedBy, out reviewedBy))
        {
            errors.Add("reviewed_by", $"must be one of {string.Join(", ", CaseReview.ReviewerNames)}");
        }

        var retention = RetentionMode.Standard;
        if (draft.RetentionMode is not null && !CaseReview.TryParse(draft.RetentionMode, out retention))
        {
            errors.Add("retention_mode", $"must be one of {string.Join(", ", CaseReview.RetentionNames)}");
        }

        if (!errors.IsEmpty)
        {
            return new DeploymentDecision(DeploymentVerdict.Invalid, null, errors, null);
        }

        // Only a well-formed request gets to the terms question, so a 409 always means "accept and retry".
        if (subscription is null || subscription.TermsVersion != offer!.Terms.Version)
        {
            var message = subscription is null
                ? $"The tenant has no subscription to offer '{offer!.Id}'. Subscribe, accepting terms version {offer.Terms.Version}, first."
                : $"The tenant accepted terms version {subscription.TermsVersion} of offer '{offer!.Id}', but the current version is {offer.Terms.Version}. "
                  + "Accept it (POST the subscription again) before creating new deployments.";
            return new DeploymentDecision(DeploymentVerdict.TermsNotAccepted, null, errors, message);
        }

        return new DeploymentDecision(
            DeploymentVerdict.Valid,
            new ValidDeployment(draft.Name!, offer.Id, draft.ModelId!, hosting!.Value, type, capacity!, policy, hosting == HostingOption.Publisher)
            {
                ReviewedBy = reviewedBy,
                Retention = retention,
            },
            errors,
            null);
    }

    private static (HostingOption? Hosting, DeploymentType? Type) ValidatePlacement(DeploymentDraft draft, Offer? offer, Region region, FieldErrors errors)
    {
        if (draft.HostingOption is null)
        {
            errors.Add("hosting_option", "is required: \"platform\" or \"publisher\"");
            return (null, null);
        }

        if (!WireNames.TryParseHosting(draft.HostingOption, out var hosting))
        {
            errors.Add("hosting_option", "must be \"platform\" or \"publisher\"");
            return (null, null);
        }

        if (offer is not null && !offer.HostingOptions.Contains(hosting))
        {
            errors.Add("hosting_option", $"offer '{offer.Id}' does not support {WireNames.Of(hosting)} hosting; it supports {string.Join(", ", offer.HostingOptions.Select(WireNames.Of))}");
        }

        if (hosting == HostingOption.Publisher)
        {
            if (draft.DeploymentType is not null)
            {
                errors.Add("deployment_type", "must be null for publisher-hosted deployments: the publisher's infrastructure decides where processing runs");
            }

            if (draft.AcknowledgeDataMayLeaveGeography != true)
            {
                errors.Add("acknowledge_data_may_leave_geography",
                    $"must be true: publisher-hosted requests are processed on the publisher's infrastructure and data may leave the resource's region ({region.Name}) and geography ({region.Geography})");
            }

            return (hosting, null);
        }

        if (draft.DeploymentType is null)
        {
            errors.Add("deployment_type", "is required for platform-hosted deployments: \"global\", \"datazone\" or \"regional\"");
            return (hosting, null);
        }

        if (!WireNames.TryParseType(draft.DeploymentType, out var type))
        {
            errors.Add("deployment_type", "must be \"global\", \"datazone\" or \"regional\"");
            return (hosting, null);
        }

        if (offer is not null && !offer.DeploymentTypes.Contains(type))
        {
            errors.Add("deployment_type", $"offer '{offer.Id}' does not support {WireNames.Of(type)} deployments; it supports {(offer.DeploymentTypes.Count == 0 ? "none" : string.Join(", ", offer.DeploymentTypes.Select(WireNames.Of)))}");
        }
        else if (type == DeploymentType.DataZone && region.DataZone is null)
        {
            errors.Add("deployment_type", $"datazone needs a data zone, and the resource's region '{region.Name}' has none; use regional or global");
        }

        return (hosting, type);
    }

    private static Capacity? ValidateCapacity(DeploymentDraft draft, FieldErrors errors)
    {
        var rpm = draft.Rpm ?? DefaultRpm;
        var tpm = draft.Tpm ?? DefaultTpm;
        if (rpm is <= 0 or > MaxRpm)
        {
            errors.Add("capacity.rpm", $"must be a whole number from 1 to {MaxRpm}");
        }

        if (tpm is <= 0 or > MaxTpm)
        {
            errors.Add("capacity.tpm", $"must be a whole number from 1 to {MaxTpm}");
        }

        return errors.Has("capacity.rpm") || errors.Has("capacity.tpm") ? null : new Capacity(rpm, tpm);
    }
}
