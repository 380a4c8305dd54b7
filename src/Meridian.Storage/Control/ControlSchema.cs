namespace Meridian.Storage.Control;

/// <summary>The control store's migrations, in order. Never edit a shipped migration; append a new one.</summary>
/// <remarks>
/// <c>version</c> columns count the edits of objects that can change (regions, offers, subscriptions) and are
/// what ETags carry. Secrets (API keys, admin tokens) are stored only as keyed hashes.
/// </remarks>
internal static class ControlSchema
{
    /// <summary>
    /// The schema version a binary must know to use a control store migrated by this one (see
    /// <see cref="Sql.SchemaVersion"/>). Every migration up to the cluster secrets counts as breaking; the audit
    /// object-type one after it is data only, so the floor is pinned before it. Raise it with a migration older binaries
    /// cannot live with (the contract step); keep it for an additive one (the expand step).
    /// </summary>
    public static int OldestCompatible => Array.IndexOf(Migrations, AuditObjectTypeMigration);

    /// <summary>Data only (older binaries keep working beside it, writing the old type), so the floor is pinned before it.</summary>
    private const string AuditObjectTypeMigration = "UPDATE audit SET object_type = 'api_key' WHERE object_type = 'key';";

    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE regions (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            data_zone TEXT,
            geography TEXT NOT NULL,
            display_name TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE publishers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            contact_email TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE publisher_endpoints (
            publisher_id TEXT NOT NULL REFERENCES publishers(id),
            position INTEGER NOT NULL,
            url TEXT NOT NULL,
            declared_location TEXT,
            PRIMARY KEY (publisher_id, position)
        );
        CREATE TABLE offers (
            id TEXT PRIMARY KEY,
            publisher_id TEXT NOT NULL REFERENCES publishers(id),
            name TEXT NOT NULL UNIQUE,
            hosting_options TEXT NOT NULL,
            deployment_types TEXT NOT NULL,
            price_input TEXT NOT NULL,
            price_output TEXT NOT NULL,
            price_cache_write TEXT NOT NULL,
            price_cache_read TEXT NOT NULL,
            created_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE offer_models (
            offer_id TEXT NOT NULL REFERENCES offers(id),
            model_id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            context_window INTEGER NOT NULL,
            max_output_tokens INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (offer_id, model_id)
        );
        CREATE TABLE terms (
            offer_id TEXT NOT NULL REFERENCES offers(id),
            version INTEGER NOT NULL,
            text TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            effective_at TEXT NOT NULL,
            PRIMARY KEY (offer_id, version)
        );
        CREATE TABLE tenants (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            billing_contact_name TEXT NOT NULL,
            billing_contact_email TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE subscriptions (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            offer_id TEXT NOT NULL REFERENCES offers(id),
            terms_version INTEGER NOT NULL,
            accepted_by TEXT NOT NULL,
            accepted_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            UNIQUE (tenant_id, offer_id)
        );
        CREATE TABLE resources (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            name TEXT NOT NULL,
            region TEXT NOT NULL REFERENCES regions(name),
            created_at TEXT NOT NULL,
            UNIQUE (tenant_id, name)
        );
        CREATE TABLE deployments (
            id TEXT PRIMARY KEY,
            resource_id TEXT NOT NULL REFERENCES resources(id),
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            name TEXT NOT NULL,
            offer_id TEXT NOT NULL REFERENCES offers(id),
            model_id TEXT NOT NULL,
            hosting_option TEXT NOT NULL,
            deployment_type TEXT,
            capacity_rpm INTEGER NOT NULL,
            capacity_tpm INTEGER NOT NULL,
            safeguard_policy TEXT NOT NULL,
            data_may_leave_acknowledged_by TEXT,
            data_may_leave_acknowledged_at TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            deleted_at TEXT
        );
        -- A deleted deployment frees its name: changing hosting option or type is delete + create.
        CREATE UNIQUE INDEX deployments_live_name ON deployments (resource_id, name) WHERE deleted_at IS NULL;
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            resource_id TEXT NOT NULL REFERENCES resources(id),
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            prefix TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT,
            name TEXT
        );
        CREATE INDEX api_keys_resource ON api_keys (resource_id);
        CREATE TABLE admin_tokens (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            role TEXT NOT NULL,
            tenant_id TEXT REFERENCES tenants(id),
            publisher_id TEXT REFERENCES publishers(id),
            geographies TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            before_json TEXT,
            after_json TEXT
        );
        CREATE INDEX audit_object ON audit (object_type, object_id);
        CREATE TABLE generation (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            value INTEGER NOT NULL
        );
        INSERT INTO generation VALUES (1, 0);
        """,
        BillingSchema.PricesLimitsTransactions,
        // Trust & Safety review decisions suspend a key or a deployment (docs/safeguards.md, "Decisions").
        """
        ALTER TABLE api_keys ADD COLUMN suspended_at TEXT;
        ALTER TABLE deployments ADD COLUMN suspended_at TEXT;
        """,
        // Who reviews a deployment's flagged requests, what content is retained, and the operator's exemption from an
        // offer's retention requirement (docs/safeguards.md, "Who reviews" and "Retention modes").
        """
        ALTER TABLE deployments ADD COLUMN reviewed_by TEXT NOT NULL DEFAULT 'publisher';
        ALTER TABLE deployments ADD COLUMN retention_mode TEXT NOT NULL DEFAULT 'standard';
        ALTER TABLE deployments ADD COLUMN retention_exempted_by TEXT;
        ALTER TABLE deployments ADD COLUMN retention_exempted_at TEXT;
        ALTER TABLE offers ADD COLUMN requires_retention INTEGER NOT NULL DEFAULT 0;
        """,
        // The deployment a resource's callers reach by a model id (docs/architecture.md, "Names and boundaries"): set
        // when the first deployment of a model is created, changed only on purpose. At upgrade each model keeps going to
        // the deployment it went to before (the newest), so no traffic moves.
        """
        CREATE TABLE resource_model_defaults (
            resource_id TEXT NOT NULL,
            model_id TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL,
            PRIMARY KEY (resource_id, model_id)
        );
        INSERT INTO resource_model_defaults (resource_id, model_id, deployment_id, set_by, set_at)
        SELECT d.resource_id, d.model_id, d.id, 'system:upgrade', d.created_at FROM deployments d
        WHERE d.deleted_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM deployments n
            WHERE n.resource_id = d.resource_id AND n.model_id = d.model_id AND n.deleted_at IS NULL
              AND (n.created_at > d.created_at OR (n.created_at = d.created_at AND n.id > d.id)));
        """,
        // Regions outside a deployment's boundary from which the operator allows its requests to come in (docs/receipts.md, "Ingress").
        "ALTER TABLE deployments ADD COLUMN allowed_ingress TEXT;",
        // Suspensions as records of their own, attached to identities rather than rows, and lifted only by a decision
        // (docs/safeguards.md, "Suspensions"). A key's lineage is the id of the first key of its line: rotations keep it.
        // Each earlier suspension becomes a standing one with the case, actor and time its audit record holds (the party
        // from the deciding token's role), and keeps holding for what would replace the suspended key or deployment.
        """
        CREATE TABLE suspensions (
            id TEXT PRIMARY KEY,
            scope TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            resource_id TEXT,
            deployment_name TEXT,
            case_id TEXT NOT NULL,
            party TEXT NOT NULL,
            suspended_by TEXT NOT NULL,
            suspended_at TEXT NOT NULL,
            lifted_by TEXT,
            lifted_at TEXT,
            lift_reason_code TEXT,
            lift_reason TEXT
        );
        CREATE TABLE suspension_key_lineages (
            suspension_id TEXT NOT NULL REFERENCES suspensions(id),
            lineage_id TEXT NOT NULL,
            PRIMARY KEY (suspension_id, lineage_id)
        );
        ALTER TABLE api_keys ADD COLUMN lineage_id TEXT;
        UPDATE api_keys SET lineage_id = id;
        INSERT INTO suspensions (id, scope, subject_id, tenant_id, resource_id, deployment_name, case_id, party, suspended_by, suspended_at)
        SELECT 'sus_' || a.object_id,
               CASE a.object_type WHEN 'api_key' THEN 'key' ELSE 'deployment' END,
               a.object_id, COALESCE(k.tenant_id, d.tenant_id), COALESCE(k.resource_id, d.resource_id), d.name,
               json_extract(a.after_json, '$.case_id'),
               CASE WHEN t.role = 'reviewer' AND t.publisher_id IS NOT NULL THEN 'publisher'
                    WHEN t.role = 'reviewer' AND t.tenant_id IS NOT NULL THEN 'tenant'
                    ELSE 'operator' END,
               a.actor, COALESCE(k.suspended_at, d.suspended_at)
        FROM audit a
        LEFT JOIN api_keys k ON a.object_type = 'api_key' AND k.id = a.object_id
        LEFT JOIN deployments d ON a.object_type = 'deployment' AND d.id = a.object_id
        LEFT JOIN admin_tokens t ON 'token:' || t.id = a.actor
        WHERE a.action IN ('key.suspend', 'deployment.suspend') AND COALESCE(k.suspended_at, d.suspended_at) IS NOT NULL;
        INSERT INTO suspension_key_lineages (suspension_id, lineage_id) SELECT id, subject_id FROM suspensions WHERE scope = 'key';
        ALTER TABLE api_keys DROP COLUMN suspended_at;
        ALTER TABLE deployments DROP COLUMN suspended_at;
        """,
        // Terms as a contract (docs/admin-api.md, "Terms"): a price or retention change binds existing subscribers only when
        // the operator's notice ends (binding_from) or they accept sooner; every acceptance is kept with the hash of the text
        // accepted. Changes made before this migration bound at once, and each subscription's last acceptance is all that is known.
        """
        ALTER TABLE offer_prices ADD COLUMN binding_from TEXT;
        UPDATE offer_prices SET binding_from = effective_from;
        CREATE TABLE offer_retention (
            offer_id TEXT NOT NULL REFERENCES offers(id),
            effective_from TEXT NOT NULL,
            binding_from TEXT NOT NULL,
            requires_retention INTEGER NOT NULL,
            recorded_by TEXT NOT NULL,
            PRIMARY KEY (offer_id, effective_from)
        );
        INSERT INTO offer_retention SELECT id, created_at, created_at, requires_retention, 'system:migration' FROM offers;
        CREATE TABLE terms_acceptances (
            id TEXT PRIMARY KEY,
            subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            offer_id TEXT NOT NULL REFERENCES offers(id),
            terms_version INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            accepted_by TEXT NOT NULL,
            accepted_at TEXT NOT NULL
        );
        CREATE INDEX terms_acceptances_tenant ON terms_acceptances (tenant_id, accepted_at);
        CREATE INDEX terms_acceptances_offer ON terms_acceptances (offer_id, accepted_at);
        INSERT INTO terms_acceptances
            SELECT 'acc_' || s.id, s.id, s.tenant_id, s.offer_id, s.terms_version, t.sha256, s.accepted_by, s.accepted_at
            FROM subscriptions s JOIN terms t ON t.offer_id = s.offer_id AND t.version = s.terms_version;
        """,
        ClusterSecrets.Schema,
        // One object type per object: a key's limits were audited as "key", everything else about it as "api_key".
        AuditObjectTypeMigration,
        // A deployment's own safeguard settings (JSON, validated by the admin API): additive, so the floor stays; a node
        // from before screens without them until it is upgraded (docs/safeguards.md, "Settings per deployment").
        "ALTER TABLE deployments ADD COLUMN safeguard_settings TEXT;",
        // People who sign in with OpenID Connect: one admin-token row per person (its subject), without a secret of its
        // own, and one expiring session per sign-in. Additive: an older node ignores both and keeps working.
        """
        ALTER TABLE admin_tokens ADD COLUMN subject TEXT;
        CREATE UNIQUE INDEX admin_tokens_subject ON admin_tokens (subject);
        CREATE TABLE admin_sessions (
            hash TEXT PRIMARY KEY,
            token_id TEXT NOT NULL REFERENCES admin_tokens(id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX admin_sessions_token ON admin_sessions (token_id);
        """,
    ];
}
