using Meridian.Core.Marketplace;
using Meridian.Core.Validation;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

public sealed partial class MarketplaceStore
{
    private const string ResourceSelect = """
        SELECT r.id, r.tenant_id, r.name, r.created_at, g.name, g.data_zone, g.geography, g.display_name
        FROM resources r JOIN regions g ON g.name = r.region
        """;

    private const string SubscriptionColumns = "id, tenant_id, offer_id, terms_version, accepted_by, accepted_at, version";

    // ---- tenants ----

    /// <param name="only">Restricts the list to this tenant (a tenant's own people), or null for all.</param>
    public Page<Tenant> Tenants(string? only, PageRequest page) => store.Read(connection =>
        ToPage(connection.Query(null, """
            SELECT id, name, billing_contact_name, billing_contact_email, created_at FROM tenants
            WHERE id > @after AND (CAST(@only AS TEXT) IS NULL OR id = @only) ORDER BY id LIMIT @limit
            """, ReadTenant, ("@after", page.After ?? string.Empty), ("@only", only), ("@limit", page.Limit + 1)), page.Limit, t => t.Id));

    public Tenant? FindTenant(string id) => store.Read(connection => FindTenant(connection, null, id));

    public StoreResult<Tenant> CreateTenant(string actor, TenantDraft draft, DateTimeOffset now)
    {
        var errors = new FieldErrors();
        TenancyRules.ValidateTenant(draft, errors);
        if (!errors.IsEmpty)
        {
            return StoreResult<Tenant>.Invalid(errors);
        }

        return store.TryMutate((connection, transaction) =>
        {
            var tenant = new Tenant(StoreIds.New("ten_", now), draft.Name!, new BillingContact(draft.BillingContactName!, draft.BillingContactEmail!), now);
            connection.Execute(transaction, """
                INSERT INTO tenants (id, name, billing_contact_name, billing_contact_email, created_at) VALUES (@id, @name, @contact, @email, @at)
                """, ("@id", tenant.Id), ("@name", tenant.Name), ("@contact", tenant.BillingContact.Name), ("@email", tenant.BillingContact.Email), ("@at", Time(now)));
            AuditLog.Write(connection, transaction, actor, "tenant.create", "tenant", tenant.Id, null, tenant, AuditJson.Default.Tenant, now);
            return StoreResult<Tenant>.Created(tenant);
        });
    }

    private static Tenant? FindTenant(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, "SELECT id, name, billing_contact_name, billing_contact_email, created_at FROM tenants WHERE id = @id", ReadTenant, ("@id", id));

    private static Tenant ReadTenant(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), new BillingContact(r.GetString(2), r.GetString(3)), ParseTime(r.GetString(4)));

    // ---- subscriptions ----

    public Page<Subscription> Subscriptions(string tenantId, PageRequest page) => store.Read(connection =>
        ToPage(connection.Query(null, $"""
            SELECT {SubscriptionColumns} FROM subscriptions WHERE tenant_id = @tenant AND id > @after ORDER BY id LIMIT @limit
            """, ReadSubscription, ("@tenant", tenantId), ("@after", page.After ?? string.Empty), ("@limit", page.Limit + 1)), page.Limit, s => s.Id));

    /// <summary>
    /// Subscribes a tenant to an offer, accepting its current terms version, or records the acceptance of a newer
    /// version on the existing subscription. Each acceptance is recorded with the hash of the text accepted, and binds the
    /// tenant to the offer's prices and retention requirement as they are now, announced changes included. Accepting the
    /// version already accepted, with no change pending, changes nothing.
    /// </summary>
    public StoreResult<Subscription> Subscribe(string actor, string tenantId, string? offerId, int? acceptTermsVersion, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            var offer = string.IsNullOrEmpty(offerId) ? null : FindOffer(connection, transaction, offerId, now);
            var errors = new FieldErrors();
            TenancyRules.ValidateAcceptance(offer, offerId, acceptTermsVersion, errors);
            if (!errors.IsEmpty)
            {
                return StoreResult<Subscription>.Invalid(errors);
            }

            var before = FindSubscription(connection, transaction, tenantId, offer!.Id);
            if (before is not null && before.TermsVersion == offer.Terms.Version
                && TermsOf(connection, transaction, tenantId, offer.Id, now) is not { HasPendingChanges: true })
            {
                return StoreResult<Subscription>.Ok(before);
            }

            if (before is null)
            {
                var created = new Subscription(StoreIds.New("sub_", now), tenantId, offer.Id, offer.Terms.Version, actor, now, 1);
                connection.Execute(transaction, $"INSERT INTO subscriptions ({SubscriptionColumns}) VALUES (@id, @tenant, @offer, @terms, @by, @at, 1)",
                    ("@id", created.Id), ("@tenant", tenantId), ("@offer", offer.Id), ("@terms", created.TermsVersion), ("@by", actor), ("@at", Time(now)));
                RecordAcceptance(connection, transaction, created, offer, now);
                AuditLog.Write(connection, transaction, actor, "subscription.create", "subscription", created.Id, null, created, AuditJson.Default.Subscription, now);
                RecordSubscription(connection, transaction, created, offer, created: true, now);
                return StoreResult<Subscription>.Created(created);
            }

            var after = before with { TermsVersion = offer.Terms.Version, AcceptedBy = actor, AcceptedAt = now, Version = before.Version + 1 };
            connection.Execute(transaction, "UPDATE subscriptions SET terms_version = @terms, accepted_by = @by, accepted_at = @at, version = version + 1 WHERE id = @id",
                ("@id", before.Id), ("@terms", after.TermsVersion), ("@by", actor), ("@at", Time(now)));
            RecordAcceptance(connection, transaction, after, offer, now);
            AuditLog.Write(connection, transaction, actor, "subscription.accept_terms", "subscription", before.Id, before, after, AuditJson.Default.Subscription, now);
            RecordSubscription(connection, transaction, after, offer, created: false, now);
            return StoreResult<Subscription>.Ok(after);
        });

    private static Subscription? FindSubscription(DbConnection connection, DbTransaction? transaction, string tenantId, string offerId) =>
        connection.QuerySingle(transaction, $"SELECT {SubscriptionColumns} FROM subscriptions WHERE tenant_id = @tenant AND offer_id = @offer",
            ReadSubscription, ("@tenant", tenantId), ("@offer", offerId));

    private static Subscription ReadSubscription(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetString(4), ParseTime(r.GetString(5)), r.GetInt64(6));

    // ---- resources ----

    public Page<Resource> Resources(string tenantId, PageRequest page) => store.Read(connection =>
        ToPage(connection.Query(null, ResourceSelect + " WHERE r.tenant_id = @tenant AND r.id > @after ORDER BY r.id LIMIT @limit",
            ReadResource, ("@tenant", tenantId), ("@after", page.After ?? string.Empty), ("@limit", page.Limit + 1)), page.Limit, r => r.Id));

    public Resource? FindResource(string id) => store.Read(connection => FindResource(connection, null, id));

    public StoreResult<Resource> CreateResource(string actor, string tenantId, string? name, string? region, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            var errors = new FieldErrors();
            var validRegion = TenancyRules.ValidateResource(LoadWorld(connection, transaction), name, region, errors);
            if (validRegion is null)
            {
                return StoreResult<Resource>.Invalid(errors);
            }

            var resource = new Resource(StoreIds.New("res_", now), tenantId, name!, validRegion, now);
            connection.Execute(transaction, "INSERT INTO resources (id, tenant_id, name, region, created_at) VALUES (@id, @tenant, @name, @region, @at)",
                ("@id", resource.Id), ("@tenant", tenantId), ("@name", resource.Name), ("@region", validRegion.Name), ("@at", Time(now)));
            AuditLog.Write(connection, transaction, actor, "resource.create", "resource", resource.Id, null, resource, AuditJson.Default.Resource, now);
            return StoreResult<Resource>.Created(resource);
        });

    private static Resource? FindResource(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, ResourceSelect + " WHERE r.id = @id", ReadResource, ("@id", id));

    private static Resource ReadResource(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), ReadRegion(r, 4), ParseTime(r.GetString(3)));
}
