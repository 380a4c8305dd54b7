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
    public Task<Page<Tenant>> TenantsAsync(string? only, PageRequest page, CancellationToken cancellationToken) => store.ReadAsync(async connection =>
        ToPage(await connection.QueryAsync(null, """
            SELECT id, name, billing_contact_name, billing_contact_email, created_at FROM tenants
            WHERE id > @after AND (CAST(@only AS TEXT) IS NULL OR id = @only) ORDER BY id LIMIT @limit
            """, ReadTenant, cancellationToken, ("@after", page.After ?? string.Empty), ("@only", only), ("@limit", page.Limit + 1)), page.Limit, t => t.Id),
        cancellationToken);

    public Task<Tenant?> FindTenantAsync(string id, CancellationToken cancellationToken) => store.ReadAsync(connection =>
        connection.QuerySingleAsync(null, TenantSelect + " WHERE id = @id", ReadTenant, cancellationToken, ("@id", id)), cancellationToken);

    public Task<StoreResult<Tenant>> CreateTenantAsync(string actor, TenantDraft draft, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        TenancyRules.ValidateTenant(draft, errors);
        if (!errors.IsEmpty)
        {
            return Task.FromResult(StoreResult<Tenant>.Invalid(errors));
        }

        return store.TryMutateAsync(async (connection, transaction) =>
        {
            var tenant = new Tenant(StoreIds.New("ten_", now), draft.Name!, new BillingContact(draft.BillingContactName!, draft.BillingContactEmail!), now);
            await connection.ExecuteAsync(transaction, """
                INSERT INTO tenants (id, name, billing_contact_name, billing_contact_email, created_at) VALUES (@id, @name, @contact, @email, @at)
                """, cancellationToken, ("@id", tenant.Id), ("@name", tenant.Name), ("@contact", tenant.BillingContact.Name), ("@email", tenant.BillingContact.Email), ("@at", Time(now)));
            await AuditLog.WriteAsync(connection, transaction, actor, "tenant.create", "tenant", tenant.Id, null, tenant, AuditJson.Default.Tenant, now, cancellationToken);
            return StoreResult<Tenant>.Created(tenant);
        }, cancellationToken);
    }

    private const string TenantSelect = "SELECT id, name, billing_contact_name, billing_contact_email, created_at FROM tenants";

    private static Tenant? FindTenant(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, TenantSelect + " WHERE id = @id", ReadTenant, ("@id", id));

    private static Tenant ReadTenant(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), new BillingContact(r.GetString(2), r.GetString(3)), ParseTime(r.GetString(4)));

    // ---- subscriptions ----

    public Task<Page<Subscription>> SubscriptionsAsync(string tenantId, PageRequest page, CancellationToken cancellationToken) => store.ReadAsync(async connection =>
        ToPage(await connection.QueryAsync(null, $"""
            SELECT {SubscriptionColumns} FROM subscriptions WHERE tenant_id = @tenant AND id > @after ORDER BY id LIMIT @limit
            """, ReadSubscription, cancellationToken, ("@tenant", tenantId), ("@after", page.After ?? string.Empty), ("@limit", page.Limit + 1)), page.Limit, s => s.Id),
        cancellationToken);

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

    public Task<Page<Resource>> ResourcesAsync(string tenantId, PageRequest page, CancellationToken cancellationToken) => store.ReadAsync(async connection =>
        ToPage(await connection.QueryAsync(null, ResourceSelect + " WHERE r.tenant_id = @tenant AND r.id > @after ORDER BY r.id LIMIT @limit",
            ReadResource, cancellationToken, ("@tenant", tenantId), ("@after", page.After ?? string.Empty), ("@limit", page.Limit + 1)), page.Limit, r => r.Id),
        cancellationToken);

    public Task<Resource?> FindResourceAsync(string id, CancellationToken cancellationToken) => store.ReadAsync(connection =>
        connection.QuerySingleAsync(null, ResourceSelect + " WHERE r.id = @id", ReadResource, cancellationToken, ("@id", id)), cancellationToken);

    public Task<StoreResult<Resource>> CreateResourceAsync(string actor, string tenantId, string? name, string? region, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.TryMutateAsync(async (connection, transaction) =>
        {
            var errors = new FieldErrors();
            var validRegion = TenancyRules.ValidateResource(await LoadWorldAsync(connection, transaction, cancellationToken), name, region, errors);
            if (validRegion is null)
            {
                return StoreResult<Resource>.Invalid(errors);
            }

            var resource = new Resource(StoreIds.New("res_", now), tenantId, name!, validRegion, now);
            await connection.ExecuteAsync(transaction, "INSERT INTO resources (id, tenant_id, name, region, created_at) VALUES (@id, @tenant, @name, @region, @at)",
                cancellationToken, ("@id", resource.Id), ("@tenant", tenantId), ("@name", resource.Name), ("@region", validRegion.Name), ("@at", Time(now)));
            await AuditLog.WriteAsync(connection, transaction, actor, "resource.create", "resource", resource.Id, null, resource, AuditJson.Default.Resource, now, cancellationToken);
            return StoreResult<Resource>.Created(resource);
        }, cancellationToken);

    private static Resource? FindResource(DbConnection connection, DbTransaction? transaction, string id) =>
        connection.QuerySingle(transaction, ResourceSelect + " WHERE r.id = @id", ReadResource, ("@id", id));

    private static Resource ReadResource(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), ReadRegion(r, 4), ParseTime(r.GetString(3)));
}
