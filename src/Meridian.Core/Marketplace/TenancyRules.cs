using Meridian.Core.Validation;
using Meridian.Core.World;

namespace Meridian.Core.Marketplace;

public sealed record PublisherDraft(string? Name, string? ContactEmail, IReadOnlyList<PublisherEndpointDraft>? Endpoints);

public sealed record PublisherEndpointDraft(string? Url, string? DeclaredLocation);

public sealed record TenantDraft(string? Name, string? BillingContactName, string? BillingContactEmail);

/// <summary>What makes publishers, tenants, subscriptions and resources valid. Pure.</summary>
public static class TenancyRules
{
    public const int MaxEndpoints = 20;

    public static void ValidatePublisher(PublisherDraft draft, FieldErrors errors)
    {
        Names.RequireDisplayName(errors, "name", draft.Name);
        Names.RequireEmail(errors, "contact_email", draft.ContactEmail);
        var endpoints = draft.Endpoints ?? [];
        if (endpoints.Count > MaxEndpoints)
        {
            errors.Add("endpoints", $"must list at most {MaxEndpoints} endpoints");
            return;
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            if (!Names.IsHttpUrl(endpoints[i].Url))
            {
                errors.Add($"endpoints[{i}].url", "must be an absolute http or https URL");
            }

            if (endpoints[i].DeclaredLocation is { } location && !Names.IsDisplayName(location))
            {
                errors.Add($"endpoints[{i}].declared_location", "must be a region or country name (" + Names.DisplayNameRule + "), or null for undeclared");
            }
        }
    }

    public static void ValidateTenant(TenantDraft draft, FieldErrors errors)
    {
        Names.RequireDisplayName(errors, "name", draft.Name);
        Names.RequireDisplayName(errors, "billing_contact.name", draft.BillingContactName);
        Names.RequireEmail(errors, "billing_contact.email", draft.BillingContactEmail);
    }

    /// <summary>A resource's name and region; returns the region when both are valid.</summary>
    public static Region? ValidateResource(WorldMap world, string? name, string? region, FieldErrors errors)
    {
        Names.RequireIdentifier(errors, "name", name);
        if (string.IsNullOrEmpty(region))
        {
            errors.Add("region", "is required");
            return null;
        }

        if (!world.TryGetRegion(region, out var found))
        {
            errors.Add("region", $"unknown region '{region}'; known: {string.Join(", ", world.Regions.Select(r => r.Name).Order(StringComparer.Ordinal))}");
            return null;
        }

        return errors.IsEmpty ? found : null;
    }

    /// <summary>
    /// A tenant accepts an offer's terms by naming the version it read. Only the current version can be accepted,
    /// so an acceptance always refers to text the tenant could have seen.
    /// </summary>
    public static void ValidateAcceptance(Offer? offer, string? offerId, int? acceptTermsVersion, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(offerId))
        {
            errors.Add("offer_id", "is required");
        }
        else if (offer is null)
        {
            errors.Add("offer_id", $"no offer '{offerId}' exists");
        }

        if (acceptTermsVersion is null)
        {
            errors.Add("accept_terms_version", "is required: the terms version you accept (see the offer's terms.version)");
        }
        else if (offer is not null && acceptTermsVersion != offer.Terms.Version)
        {
            errors.Add("accept_terms_version", $"the current terms version of offer '{offer.Id}' is {offer.Terms.Version}; only the current version can be accepted");
        }
    }
}
