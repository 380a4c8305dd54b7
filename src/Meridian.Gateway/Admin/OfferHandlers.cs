using Meridian.Core.Access;
using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Meridian.Gateway.Admin;

/// <summary>Publishers and their offers: the catalogue every caller may read, and what publishers and the operator may change.</summary>
internal static class OfferHandlers
{
    public static Results<Ok<ListResponse<PublisherView>>, ProblemHttpResult> ListPublishers(HttpContext context, MarketplaceStore store)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.ListPublishers(out var only), string.Empty, "Tenant roles do not see publisher records.") is { } denied)
        {
            return denied;
        }

        return AdminRequest.TryReadPage(context, out var page, out var problem)
            ? TypedResults.Ok(AdminRequest.List(store.Publishers(only, page), AdminViews.Publisher))
            : problem!;
    }

    public static Results<Ok<PublisherView>, ProblemHttpResult> GetPublisher(HttpContext context, string id, MarketplaceStore store)
    {
        var caller = AdminAuthentication.CallerOf(context);
        var missing = $"No publisher '{id}'.";
        if (AccessProblems.Check(caller.ReadPublisher(id), missing, "Tenant roles do not see publisher records.") is { } denied)
        {
            return denied;
        }

        return store.FindPublisher(id) is { } publisher ? TypedResults.Ok(AdminViews.Publisher(publisher)) : AdminProblems.NotFound(missing);
    }

    public static async Task<Results<Created<PublisherView>, ProblemHttpResult>> CreatePublisher(
        HttpContext context, MarketplaceStore store, EndpointAddressGuard guard, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (AccessProblems.Check(caller.OperatorOnly(), string.Empty, "Only an operator-admin may register publishers.") is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.CreatePublisherRequest);
        if (problem is not null)
        {
            return problem;
        }

        var unsafeEndpoints = new FieldErrors();
        for (var i = 0; i < (body!.Endpoints?.Count ?? 0); i++)
        {
            if (body.Endpoints![i].Url is { } url && await guard.RefusalAsync(url, context.RequestAborted) is { } refusal)
            {
                unsafeEndpoints.Add($"endpoints[{i}].url", refusal);
            }
        }

        if (!unsafeEndpoints.IsEmpty)
        {
            return AdminProblems.Validation(unsafeEndpoints);
        }

        var draft = new PublisherDraft(body.Name, body.ContactEmail,
            body.Endpoints?.Select(e => new PublisherEndpointDraft(e.Url, e.DeclaredLocation is PublisherEndpoint.Undeclared ? null : e.DeclaredLocation)).ToList());
        var result = store.CreatePublisher(caller.Actor, draft, time.GetUtcNow());
        return result.Succeeded
            ? TypedResults.Created($"/admin/v1/publishers/{result.Value!.Id}", AdminViews.Publisher(result.Value))
            : AdminProblems.From(result);
    }

    public static Results<Ok<ListResponse<OfferView>>, ProblemHttpResult> ListOffers(
        HttpContext context, MarketplaceStore store, TimeProvider time, [FromQuery(Name = "publisher_id")] string? publisherId = null) =>
        AdminRequest.TryReadPage(context, out var page, out var problem)
            ? TypedResults.Ok(AdminRequest.List(store.Offers(publisherId, page, time.GetUtcNow()), AdminViews.Offer))
            : problem!;

    public static Results<Ok<OfferView>, ProblemHttpResult> GetOffer(HttpContext context, string id, MarketplaceStore store, TimeProvider time)
    {
        if (store.FindOffer(id, time.GetUtcNow()) is not { } offer)
        {
            return AdminProblems.NotFound($"No offer '{id}'.");
        }

        AdminRequest.SetETag(context, offer.Version);
        return TypedResults.Ok(AdminViews.Offer(offer));
    }

    public static Results<Ok<ListResponse<TermsDocumentView>>, ProblemHttpResult> ListTerms(string id, MarketplaceStore store)
    {
        var terms = store.Terms(id);
        return terms.Count == 0
            ? AdminProblems.NotFound($"No offer '{id}'.")
            : TypedResults.Ok(new ListResponse<TermsDocumentView>([.. terms.Select(AdminViews.Terms)], null));
    }

    /// <summary>
    /// Every acceptance of the offer's terms (tenant, version, text hash, who, when): for the operator-admin and the offer's
    /// publisher-admin, whose subscribers they are.
    /// </summary>
    public static async Task<Results<Ok<ListResponse<AcceptanceView>>, ProblemHttpResult>> ListAcceptances(
        HttpContext context, string id, MarketplaceStore store, AdminTokenStore tokens, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (store.FindOffer(id, time.GetUtcNow()) is not { } offer)
        {
            return AdminProblems.NotFound($"No offer '{id}'.");
        }

        if (AccessProblems.Check(caller.ManageOffersOf(offer.PublisherId), string.Empty, "Only an operator-admin or the offer's publisher-admin may read who accepted its terms.") is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadPage(context, out var page, out var problem))
        {
            return problem!;
        }

        var acceptances = await store.AcceptancesAsync(null, id, page, context.RequestAborted);
        var names = ActorNames.For(tokens, acceptances.Items.Select(a => a.AcceptedBy));
        return TypedResults.Ok(AdminRequest.List(acceptances, a => AdminViews.Acceptance(a, names)));
    }

    public static async Task<Results<Created<OfferView>, ProblemHttpResult>> CreateOffer(HttpContext context, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (caller.Role is not (AdminRole.OperatorAdmin or AdminRole.PublisherAdmin))
        {
            return AdminProblems.Forbidden("Only an operator-admin or a publisher-admin may create offers.");
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.CreateOfferRequest);
        if (problem is not null)
        {
            return problem;
        }

        // A publisher-admin lists for its own publisher; it need not repeat the id.
        var publisherId = body!.PublisherId ?? (caller.Role == AdminRole.PublisherAdmin ? caller.PublisherId : null);
        if (publisherId is not null
            && AccessProblems.Check(caller.ManageOffersOf(publisherId), string.Empty, "A publisher-admin may create offers for its own publisher only.") is { } denied)
        {
            return denied;
        }

        var draft = new OfferDraft(
            publisherId, body.Name, body.HostingOptions, body.DeploymentTypes,
            body.Prices is { } p ? new PriceDraft(p.Input, p.Output, p.CacheWrite, p.CacheRead) : null,
            body.Models?.Select(m => new OfferModelDraft(m.ModelId, m.DisplayName, m.ContextWindow, m.MaxOutputTokens)).ToList(),
            body.TermsText)
        {
            RequiresRetention = body.RequiresRetention,
        };
        var result = store.CreateOffer(caller.Actor, draft, time.GetUtcNow());
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        AdminRequest.SetETag(context, result.Value!.Version);
        return TypedResults.Created($"/admin/v1/offers/{result.Value.Id}", AdminViews.Offer(result.Value));
    }

    /// <summary>
    /// Changes prices; honours If-Match so two editors never silently overwrite each other. New subscribers pay them at once,
    /// existing ones after the operator's notice period (<see cref="GatewayOptions.TermsNotice"/>) or when they accept.
    /// </summary>
    public static async Task<Results<Ok<OfferView>, ProblemHttpResult>> PatchOffer(
        HttpContext context, string id, MarketplaceStore store, TimeProvider time, GatewayOptions options)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (Authorize(caller, id, store, time.GetUtcNow()) is { } denied)
        {
            return denied;
        }

        if (!AdminRequest.TryReadIfMatch(context, out var ifMatch, out var badIfMatch))
        {
            return badIfMatch!;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.PatchOfferRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Prices is not { } prices)
        {
            return AdminProblems.Validation("prices", "is required: the prices to change");
        }

        var result = store.UpdatePrices(caller.Actor, id, new PriceDraft(prices.Input, prices.Output, prices.CacheWrite, prices.CacheRead), ifMatch.Version, time.GetUtcNow(), options.TermsNotice);
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        AdminRequest.SetETag(context, result.Value!.Version);
        return TypedResults.Ok(AdminViews.Offer(result.Value));
    }

    /// <summary>
    /// Publishes a new terms version, in effect from its <c>effective_at</c> (now or later, never before the previous
    /// version's): from then on new deployments need the tenant to accept it.
    /// </summary>
    public static async Task<Results<Created<OfferView>, ProblemHttpResult>> PublishTerms(HttpContext context, string id, MarketplaceStore store, TimeProvider time)
    {
        var caller = AdminAuthentication.CallerOf(context);
        if (Authorize(caller, id, store, time.GetUtcNow()) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await AdminRequest.ReadJsonAsync(context, AdminJsonContext.Default.PublishTermsRequest);
        if (problem is not null)
        {
            return problem;
        }

        var result = store.PublishTerms(caller.Actor, id, body!.Text, body.EffectiveAt, time.GetUtcNow());
        if (!result.Succeeded)
        {
            return AdminProblems.From(result);
        }

        AdminRequest.SetETag(context, result.Value!.Version);
        return TypedResults.Created($"/admin/v1/offers/{id}/terms", AdminViews.Offer(result.Value));
    }

    internal static ProblemHttpResult? Authorize(AdminCaller caller, string offerId, MarketplaceStore store, DateTimeOffset now)
    {
        if (caller.Role is not (AdminRole.OperatorAdmin or AdminRole.PublisherAdmin))
        {
            return AdminProblems.Forbidden("Only an operator-admin or the offer's publisher-admin may change an offer.");
        }

        if (store.FindOffer(offerId, now) is not { } offer)
        {
            return AdminProblems.NotFound($"No offer '{offerId}'.");
        }

        // The catalogue is public, so another publisher's offer is forbidden rather than hidden.
        return AccessProblems.Check(caller.ManageOffersOf(offer.PublisherId), string.Empty, "A publisher-admin may change its own publisher's offers only.");
    }
}
