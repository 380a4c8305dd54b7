namespace Meridian.Storage.Control;

/// <summary>The control store's billing tables, one migration of <see cref="ControlSchema"/>'s list.</summary>
internal static class BillingSchema
{
    /// <remarks>
    /// <c>offer_prices</c> is each offer's price history (usage is charged at the price in effect when it happened);
    /// offers that exist when this migration runs get their current prices as their first entry. Money is TEXT holding
    /// a decimal, never REAL. <c>usage_limits</c> holds the overrides of quotas and budgets per tenant, deployment or key.
    /// </remarks>
    public const string PricesLimitsTransactions = """
        CREATE TABLE offer_prices (
            offer_id TEXT NOT NULL REFERENCES offers(id),
            effective_from TEXT NOT NULL,
            price_input TEXT NOT NULL,
            price_output TEXT NOT NULL,
            price_cache_write TEXT NOT NULL,
            price_cache_read TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            PRIMARY KEY (offer_id, effective_from)
        );
        INSERT INTO offer_prices
            SELECT id, created_at, price_input, price_output, price_cache_write, price_cache_read, 'system:migration' FROM offers;
        CREATE TABLE offer_fees (
            offer_id TEXT PRIMARY KEY REFERENCES offers(id),
            fee_percent TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE usage_limits (
            scope TEXT NOT NULL CHECK (scope IN ('tenant', 'deployment', 'key')),
            scope_id TEXT NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            rpm INTEGER,
            input_tpm INTEGER,
            output_tpm INTEGER,
            monthly_budget TEXT,
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (scope, scope_id)
        );
        CREATE TABLE marketplace_transactions (
            id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            tenant_id TEXT,
            publisher_id TEXT,
            offer_id TEXT,
            period TEXT,
            amount TEXT,
            reference_id TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE INDEX marketplace_transactions_publisher ON marketplace_transactions (publisher_id, at);
        CREATE INDEX marketplace_transactions_tenant ON marketplace_transactions (tenant_id, at);
        CREATE TABLE invoices (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            period TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            issued_by TEXT NOT NULL,
            total TEXT NOT NULL,
            lines_json TEXT NOT NULL,
            UNIQUE (tenant_id, period)
        );
        """;
}
