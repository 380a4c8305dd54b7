using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

public sealed partial class MarketplaceStore
{
    private const string OfferColumns = """
        id, publisher_id, name, hosting_options, deployment_types, price_input, price_output, price_cache_write, price_cache_read, created_at, version,
        requires_retention
        """;

    // ---- publishers ----

    /// <param name="only">Restricts the list to this publisher (a publisher's own people), or null for all.</param>
    public Page<Publisher> Publishers(string? only, PageRequest page) => store.Read(connection =>
    {
        var ids = connection.Query(null, """
            SELECT id FROM publishers WHERE id > @after AND (CAST(@only AS TEXT) IS NULL OR id = @only) ORDER BY id LIMIT @limit
            """, r => r.GetString(0), ("@after", page.After ?? string.Empty), ("@only", only), ("@limit", page.Limit + 1));
        return ToPage(ids.Select(id => FindPublisher(connection, null, id)!).ToList(), page.Limit, p => p.Id);
    });

    public Publisher? FindPublisher(string id) => store.Read(connection => FindPublisher(connection, null, id));

    public StoreResult<Publisher> CreatePublisher(string actor, PublisherDraft draft, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        TenancyRules.ValidatePublisher(draft, errors);
        if (!errors.IsEmpty)
        {
            return StoreResult<Publisher>.Invalid(errors);
        }

        return store.TryMutate((connection, transaction) =>
        {
            var publisher = new Publisher(StoreIds.New("pub_", now), draft.Name!, draft.ContactEmail!,
                [.. (draft.Endpoints ?? []).Select(e => new PublisherEndpoint(e.Url!, e.DeclaredLocation))], now);
            connection.Execute(transaction, "INSERT INTO publishers (id, name, contact_email, created_at) VALUES (@id, @name, @email, @at)",
                ("@id", publisher.Id), ("@name", publisher.Name), ("@email", publisher.ContactEmail), ("@at", Time(now)));
            for (var i = 0; i < publisher.Endpoints.Count; i++)
            {
                connection.Execute(transaction, "INSERT INTO publisher_endpoints VALUES (@pub, @pos, @url, @loc)",
                    ("@pub", publisher.Id), ("@pos", i), ("@url", publisher.Endpoints[i].Url), ("@loc", publisher.Endpoints[i].DeclaredLocation));
            }

            AuditLog.Write(connection, transaction, actor, "publisher.create", "publisher", publisher.Id, null, publisher, AuditJson.Default.Publisher, now);
            return StoreResult<Publisher>.Created(publisher);
        });
    }

    private static Publisher? FindPublisher(DbConnection connection, DbTransaction? transaction, string id)
    {
        var endpoints = connection.Query(transaction, "SELECT url, declared_location FROM publisher_endpoints WHERE publisher_id = @id ORDER BY position",
            r => new PublisherEndpoint(r.GetString(0), r.GetStringOrNull(1)), ("@id", id));
        return connection.QuerySingle(transaction, "SELECT id, name, contact_email, created_at FROM publishers WHERE id = @id",
            r => new Publisher(r.GetString(0), r.GetString(1), r.GetString(2), endpoints, ParseTime(r.GetString(3))), ("@id", id));
    }

    // ---- offers ----

    /// <param name="publisherId">Only this publisher's offers, or null for the whole catalogue.</param>
    /// <param name="now">Which terms version is in effect (<see cref="Offer.Terms"/>) depends on the time.</param>
    public Page<Offer> Offers(string? publisherId, PageRequest page, DateTimeOffset now) => store.Read(connection =>
    {
        var ids = connection.Query(null, """
            SELECT id FROM offers WHERE id > @after AND (CAST(@pub AS TEXT) IS NULL OR publisher_id = @pub) ORDER BY id LIMIT @limit
            """, r => r.GetString(0), ("@after", page.After ?? string.Empty), ("@pub", publisherId), ("@limit", page.Limit + 1));
        return ToPage(ids.Select(id => FindOffer(connection, null, id, now)!).ToList(), page.Limit, o => o.Id);
    });

    /// <param name="now">Which terms version is in effect (<see cref="Offer.Terms"/>) depends on the time.</param>
    public Offer? FindOffer(string id, DateTimeOffset now) => store.Read(connection => FindOffer(connection, null, id, now));

    /// <summary>Every terms version of an offer, newest first, with its text.</summary>
    public IReadOnlyList<TermsDocument> Terms(string offerId) => store.Read(connection =>
        connection.Query(null, "SELECT version, sha256, effective_at, text FROM terms WHERE offer_id = @id ORDER BY version DESC",
            r => new TermsDocument(r.GetInt32(0), r.GetString(1), ParseTime(r.GetString(2)), r.GetString(3)), ("@id", offerId)));

    public StoreResult<Offer> CreateOffer(string actor, OfferDraft draft, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        var valid = OfferRules.Validate(draft, errors);
        if (valid is null)
        {
            return StoreResult<Offer>.Invalid(errors);
        }

        return store.TryMutate((connection, transaction) =>
        {
            if (FindPublisher(connection, transaction, valid.PublisherId) is null)
            {
                return StoreResult<Offer>.Invalid(FieldErrors.Of("publisher_id", $"no publisher '{valid.PublisherId}' exists"));
            }

            var id = StoreIds.New("off_", now);
            var at = Time(now);
            connection.Execute(transaction, $"""
                INSERT INTO offers ({OfferColumns}) VALUES (@id, @pub, @name, @hosting, @types, @in, @out, @cw, @cr, @at, 1, @requiresRetention)
                """,
                ("@id", id), ("@pub", valid.PublisherId), ("@name", valid.Name),
                ("@hosting", string.Join(',', valid.HostingOptions.Select(WireNames.Of))), ("@types", string.Join(',', valid.DeploymentTypes.Select(WireNames.Of))),
                ("@in", OfferRules.Format(valid.Prices.Input)), ("@out", OfferRules.Format(valid.Prices.Output)),
                ("@cw", OfferRules.Format(valid.Prices.CacheWrite)), ("@cr", OfferRules.Format(valid.Prices.CacheRead)), ("@at", at),
                ("@requiresRetention", draft.RequiresRetention == true ? 1 : 0));
            foreach (var model in valid.Models)
            {
                connection.Execute(transaction, "INSERT INTO offer_models VALUES (@offer, @model, @display, @window, @max, @at)",
                    ("@offer", id), ("@model", model.ModelId), ("@display", model.DisplayName), ("@window", model.ContextWindow), ("@max", model.MaxOutputTokens), ("@at", at));
            }

            InsertTerms(connection, transaction, id, 1, valid.TermsText, now);
            RecordInitialPrices(connection, transaction, id, valid.Prices, actor, now);
            InsertRetentionChange(connection, transaction, id, new TermsChange<bool>(now, now, draft.RequiresRetention == true), actor);
            var offer = FindOffer(connection, transaction, id, now)!;
            AuditLog.Write(connection, transaction, actor, "offer.create", "offer", id, null, offer, AuditJson.Default.Offer, now);
            return StoreResult<Offer>.Created(offer);
        });
    }

    /// <summary>
    /// Changes some or all prices. New subscribers pay them at once; a tenant subscribed before pays them from the end of
    /// <paramref name="notice"/>, or from when it accepts the offer's terms again if sooner. Never rewrites past usage.
    /// </summary>
    public StoreResult<Offer> UpdatePrices(string actor, string offerId, PriceDraft draft, long? ifMatch, DateTimeOffset now, TimeSpan notice) =>
        store.TryMutate((connection, transaction) =>
        {
            if (FindOffer(connection, transaction, offerId, now) is not { } before)
            {
                return StoreResult<Offer>.NotFound($"No offer '{offerId}'.");
            }

            if (ifMatch is { } expected && expected != before.Version)
            {
                return StoreResult<Offer>.PreconditionFailed(before.Version);
            }

            var errors = new FieldErrors();
            if (OfferRules.ValidatePrices(draft, before.Prices, errors) is not { } prices)
            {
                return StoreResult<Offer>.Invalid(errors);
            }

            connection.Execute(transaction, """
                UPDATE offers SET price_input = @in, price_output = @out, price_cache_write = @cw, price_cache_read = @cr, version = version + 1
                WHERE id = @id
                """,
                ("@id", offerId), ("@in", OfferRules.Format(prices.Input)), ("@out", OfferRules.Format(prices.Output)),
                ("@cw", OfferRules.Format(prices.CacheWrite)), ("@cr", OfferRules.Format(prices.CacheRead)));
            var after = FindOffer(connection, transaction, offerId, now)!;
            RecordPriceChange(connection, transaction, actor, before, after, now, now + notice);
            AuditLog.Write(connection, transaction, actor, "offer.update_prices", "offer", offerId, before, after, AuditJson.Default.Offer, now);
            return StoreResult<Offer>.Ok(after);
        });

    /// <summary>
    /// Publishes a new terms version, in effect from <paramref name="effectiveAt"/> (default: now). It can be neither
    /// backdated (before now) nor put before the previous version's effective time, so the versions take effect in order
    /// and no acceptance ever refers to text that was not yet in effect. Until it takes effect the previous version stays
    /// current; from then on new deployments need the tenant to accept it, and existing deployments keep running.
    /// </summary>
    public StoreResult<Offer> PublishTerms(string actor, string offerId, string? text, DateTimeOffset? effectiveAt, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        OfferRules.ValidateTermsText(text, "text", errors);
        var effective = effectiveAt ?? now;
        if (effective < now)
        {
            errors.Add("effective_at", "must not be in the past: a terms version takes effect when it is published or later");
        }

        if (!errors.IsEmpty)
        {
            return StoreResult<Offer>.Invalid(errors);
        }

        return store.TryMutate((connection, transaction) =>
        {
            if (FindOffer(connection, transaction, offerId, now) is not { } before)
            {
                return StoreResult<Offer>.NotFound($"No offer '{offerId}'.");
            }

            var latest = before.ScheduledTerms.Count > 0 ? before.ScheduledTerms[^1] : before.Terms;
            if (effective < latest.EffectiveAt)
            {
                return StoreResult<Offer>.Invalid(FieldErrors.Of("effective_at",
                    $"must not be before version {latest.Version}'s effective_at ({ControlStore.FormatTime(latest.EffectiveAt)}): versions take effect in order"));
            }

            InsertTerms(connection, transaction, offerId, latest.Version + 1, text!, effective);
            connection.Execute(transaction, "UPDATE offers SET version = version + 1 WHERE id = @id", ("@id", offerId));
            var after = FindOffer(connection, transaction, offerId, now)!;
            AuditLog.Write(connection, transaction, actor, "offer.publish_terms", "offer", offerId, before, after, AuditJson.Default.Offer, now);
            return StoreResult<Offer>.Created(after);
        });
    }

    private static void InsertTerms(DbConnection connection, DbTransaction transaction, string offerId, int version, string text, DateTimeOffset effectiveAt) =>
        connection.Execute(transaction, "INSERT INTO terms (offer_id, version, text, sha256, effective_at) VALUES (@offer, @version, @text, @sha, @at)",
            ("@offer", offerId), ("@version", version), ("@text", text), ("@sha", OfferRules.TermsSha256(text)), ("@at", Time(effectiveAt)));

    /// <summary>The offer with the terms version in effect at <paramref name="now"/> and those scheduled after it.</summary>
    private static Offer? FindOffer(DbConnection connection, DbTransaction? transaction, string id, DateTimeOffset now)
    {
        var models = connection.Query(transaction, "SELECT model_id, display_name, context_window, max_output_tokens FROM offer_models WHERE offer_id = @id ORDER BY created_at, model_id",
            r => new OfferModel(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3)), ("@id", id));
        var versions = connection.Query(transaction, "SELECT version, sha256, effective_at FROM terms WHERE offer_id = @id ORDER BY version",
            r => new TermsVersion(r.GetInt32(0), r.GetString(1), ParseTime(r.GetString(2))), ("@id", id));
        // Version 1 takes effect when the offer is created, so one is always in effect.
        var terms = versions.LastOrDefault(v => v.EffectiveAt <= now) ?? versions.FirstOrDefault();
        return connection.QuerySingle(transaction, $"SELECT {OfferColumns} FROM offers WHERE id = @id", r => new Offer(
            r.GetString(0), r.GetString(1), r.GetString(2),
            [.. Split(r.GetString(3)).Select(h => WireNames.TryParseHosting(h, out var hosting) ? hosting : throw Corrupt("hosting option", h))],
            [.. Split(r.GetString(4)).Select(t => WireNames.TryParseType(t, out var type) ? type : throw Corrupt("deployment type", t))],
            new Prices(Price(r.GetString(5)), Price(r.GetString(6)), Price(r.GetString(7)), Price(r.GetString(8))),
            models,
            terms ?? throw Corrupt("terms", id),
            r.GetInt64(10),
            ParseTime(r.GetString(9)))
        {
            RequiresRetention = r.GetInt64(11) != 0,
            ScheduledTerms = [.. versions.Where(v => v.Version > terms!.Version)],
        }, ("@id", id));
    }

    private static string[] Split(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static decimal Price(string text) => OfferRules.TryParsePrice(text, out var price) ? price : throw Corrupt("price", text);

    private static InvalidOperationException Corrupt(string what, string value) => new($"The control store holds an invalid {what}: '{value}'.");
}
