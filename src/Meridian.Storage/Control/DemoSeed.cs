using System.Security.Cryptography;
using Meridian.Core.Keys;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Storage.Sql;

namespace Meridian.Storage.Control;

/// <summary>
/// The demo marketplace a fresh install starts with, so <c>meridian serve</c> answers at once: the default world,
/// one publisher with one offer, one tenant subscribed to it, one resource in eastus with one deployment, one key.
/// </summary>
public static class DemoSeed
{
    public const string PublisherId = "pub_anthropic";
    public const string OfferId = "off_claude";
    public const string TenantId = "ten_demo";
    public const string ResourceId = "res_demo";
    public const string DeploymentId = "dep_demo";
    public const string DeploymentName = "claude-sonnet-5";
    public const string ResourceRegion = "eastus";
    private const string Actor = "system:demo-seed";

    private const string TermsText = "Demo terms of use for the Claude offer on this Meridian marketplace. Version 1.";

    /// <summary>Seeds an empty store. Returns false (and changes nothing) when it already holds a world.</summary>
    public static bool SeedIfEmpty(ControlStore store, DateTimeOffset now)
    {
        return store.Mutate((connection, transaction) =>
        {
            if (connection.Scalar(transaction, "SELECT COUNT(*) FROM regions") > 0)
            {
                return false;
            }

            var at = ControlStore.FormatTime(now);
            foreach (var region in WorldMap.Default.Regions)
            {
                connection.Execute(transaction, "INSERT INTO regions (name, data_zone, geography, display_name) VALUES (@n, @z, @g, @d)",
                    ("@n", region.Name), ("@z", region.DataZone), ("@g", region.Geography), ("@d", region.DisplayName));
            }

            connection.Execute(transaction, "INSERT INTO publishers VALUES (@id, 'Anthropic', 'marketplace@anthropic.example', @at)",
                ("@id", PublisherId), ("@at", at));
            connection.Execute(transaction, """
                INSERT INTO offers (id, publisher_id, name, hosting_options, deployment_types,
                                    price_input, price_output, price_cache_write, price_cache_read, created_at)
                VALUES (@id, @pub, 'claude', 'platform,publisher', 'global,datazone,regional', '3.00', '15.00', '3.75', '0.30', @at)
                """, ("@id", OfferId), ("@pub", PublisherId), ("@at", at));
            foreach (var (model, display) in new[] { ("claude-sonnet-5", "Claude Sonnet 5"), ("claude-haiku-4-5", "Claude Haiku 4.5") })
            {
                connection.Execute(transaction, "INSERT INTO offer_models VALUES (@offer, @model, @display, 200000, 64000, @at)",
                    ("@offer", OfferId), ("@model", model), ("@display", display), ("@at", at));
            }

            connection.Execute(transaction, "INSERT INTO terms (offer_id, version, text, sha256, effective_at) VALUES (@offer, 1, @text, @hash, @at)",
                ("@offer", OfferId), ("@text", TermsText), ("@hash", OfferRules.TermsSha256(TermsText)), ("@at", at));
            connection.Execute(transaction, "INSERT INTO tenants VALUES (@id, 'Demo Tenant', 'Dana Demo', 'billing@demo-tenant.example', @at)",
                ("@id", TenantId), ("@at", at));
            connection.Execute(transaction, "INSERT INTO subscriptions (id, tenant_id, offer_id, terms_version, accepted_by, accepted_at) VALUES ('sub_demo', @tenant, @offer, 1, @actor, @at)",
                ("@tenant", TenantId), ("@offer", OfferId), ("@actor", Actor), ("@at", at));
            connection.Execute(transaction, "INSERT INTO terms_acceptances VALUES ('acc_sub_demo', 'sub_demo', @tenant, @offer, 1, @hash, @actor, @at)",
                ("@tenant", TenantId), ("@offer", OfferId), ("@hash", OfferRules.TermsSha256(TermsText)), ("@actor", Actor), ("@at", at));
            connection.Execute(transaction, "INSERT INTO resources VALUES (@id, @tenant, 'demo', @region, @at)",
                ("@id", ResourceId), ("@tenant", TenantId), ("@region", ResourceRegion), ("@at", at));
            connection.Execute(transaction, """
                INSERT INTO deployments (id, resource_id, tenant_id, name, offer_id, model_id, hosting_option, deployment_type,
                                         capacity_rpm, capacity_tpm, safeguard_policy, created_by, created_at)
                VALUES (@id, @resource, @tenant, @name, @offer, 'claude-sonnet-5', 'platform', 'datazone', 600, 1000000, 'default', @actor, @at)
                """, ("@id", DeploymentId), ("@resource", ResourceId), ("@tenant", TenantId), ("@name", DeploymentName),
                ("@offer", OfferId), ("@actor", Actor), ("@at", at));
            connection.Execute(transaction, "INSERT INTO resource_model_defaults VALUES (@resource, 'claude-sonnet-5', @id, @actor, @at)",
                ("@resource", ResourceId), ("@id", DeploymentId), ("@actor", Actor), ("@at", at));
            connection.Execute(transaction, "INSERT INTO audit (at, actor, action, object_type, object_id) VALUES (@at, @actor, 'seed', 'world', 'demo')",
                ("@at", at), ("@actor", Actor));
            return true;
        });
    }

    /// <summary>
    /// Makes sure <paramref name="key"/> is a live key of the demo resource (idempotent). Returns true when it was added.
    /// </summary>
    public static bool EnsureDemoKey(ControlStore store, ApiKeyHasher hasher, string key, DateTimeOffset now)
    {
        var hash = hasher.Hash(key);
        var prefix = ApiKeyFormat.PrefixOf(key) ?? (key.Length > 6 ? key[..6] : "key");
        var previous = hasher.PreviousHash(key);
        return store.Mutate((connection, transaction) =>
        {
            // During a rotation of the key-hash secret the key may be stored under the previous secret (moved to the
            // current one here) or, by a node already promoted, under the next one: it exists either way.
            if (previous is not null)
            {
                connection.Execute(transaction, "UPDATE api_keys SET hash = @h WHERE hash = @previous", ("@h", hash), ("@previous", previous));
            }

            if (new[] { hash }.Concat(hasher.OverlapHashes(key)).Any(h => connection.Scalar(transaction, "SELECT COUNT(*) FROM api_keys WHERE hash = @h", ("@h", h)) > 0))
            {
                return false;
            }

            connection.Execute(transaction, """
                INSERT INTO api_keys (id, resource_id, tenant_id, prefix, hash, created_by, created_at, lineage_id) VALUES (@id, @res, @ten, @prefix, @hash, @actor, @at, @id)
                """,
                ("@id", "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))), ("@res", ResourceId), ("@ten", TenantId),
                ("@prefix", prefix), ("@hash", hash), ("@actor", Actor), ("@at", ControlStore.FormatTime(now)));
            return true;
        });
    }
}
