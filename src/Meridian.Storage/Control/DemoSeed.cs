using System.Security.Cryptography;
using System.Text;
using Meridian.Core.Keys;
using Meridian.Core.World;
using Microsoft.Data.Sqlite;

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
    public const string DeploymentName = "claude-sonnet-4-5";
    public const string ResourceRegion = "eastus";
    private const string Actor = "system:demo-seed";

    private const string TermsText = "Demo terms of use for the Claude offer on this Meridian marketplace. Version 1.";

    /// <summary>Seeds an empty store. Returns false (and changes nothing) when it already holds a world.</summary>
    public static bool SeedIfEmpty(ControlStore store, DateTimeOffset now)
    {
        return store.Mutate((connection, transaction) =>
        {
            if (Scalar(connection, transaction, "SELECT COUNT(*) FROM regions") > 0)
            {
                return false;
            }

            var at = ControlStore.FormatTime(now);
            foreach (var region in WorldMap.Default.Regions)
            {
                Execute(connection, transaction, "INSERT INTO regions VALUES ($n, $z, $g, $d)",
                    ("$n", region.Name), ("$z", region.DataZone), ("$g", region.Geography), ("$d", region.DisplayName));
            }

            Execute(connection, transaction, "INSERT INTO publishers VALUES ($id, 'Anthropic', 'marketplace@anthropic.example', $at)",
                ("$id", PublisherId), ("$at", at));
            Execute(connection, transaction, """
                INSERT INTO offers VALUES ($id, $pub, 'claude', 'platform,publisher', 'global,datazone,regional',
                                           '3.00', '15.00', '3.75', '0.30', $at)
                """, ("$id", OfferId), ("$pub", PublisherId), ("$at", at));
            foreach (var (model, display) in new[] { ("claude-sonnet-4-5", "Claude Sonnet 4.5"), ("claude-haiku-4-5", "Claude Haiku 4.5") })
            {
                Execute(connection, transaction, "INSERT INTO offer_models VALUES ($offer, $model, $display, 200000, 64000, $at)",
                    ("$offer", OfferId), ("$model", model), ("$display", display), ("$at", at));
            }

            Execute(connection, transaction, "INSERT INTO terms VALUES ($offer, 1, $text, $hash, $at)",
                ("$offer", OfferId), ("$text", TermsText), ("$hash", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(TermsText)))), ("$at", at));
            Execute(connection, transaction, "INSERT INTO tenants VALUES ($id, 'Demo Tenant', 'Dana Demo', 'billing@demo-tenant.example', $at)",
                ("$id", TenantId), ("$at", at));
            Execute(connection, transaction, "INSERT INTO subscriptions VALUES ('sub_demo', $tenant, $offer, 1, $actor, $at)",
                ("$tenant", TenantId), ("$offer", OfferId), ("$actor", Actor), ("$at", at));
            Execute(connection, transaction, "INSERT INTO resources VALUES ($id, $tenant, 'demo', $region, $at)",
                ("$id", ResourceId), ("$tenant", TenantId), ("$region", ResourceRegion), ("$at", at));
            Execute(connection, transaction, """
                INSERT INTO deployments (id, resource_id, tenant_id, name, offer_id, model_id, hosting_option, deployment_type,
                                         capacity_rpm, capacity_tpm, safeguard_policy, created_by, created_at)
                VALUES ($id, $resource, $tenant, $name, $offer, 'claude-sonnet-4-5', 'platform', 'datazone', 600, 1000000, 'default', $actor, $at)
                """, ("$id", DeploymentId), ("$resource", ResourceId), ("$tenant", TenantId), ("$name", DeploymentName),
                ("$offer", OfferId), ("$actor", Actor), ("$at", at));
            Execute(connection, transaction, "INSERT INTO audit (at, actor, action, object_type, object_id) VALUES ($at, $actor, 'seed', 'world', 'demo')",
                ("$at", at), ("$actor", Actor));
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
        return store.Mutate((connection, transaction) =>
        {
            if (Scalar(connection, transaction, "SELECT COUNT(*) FROM api_keys WHERE hash = $h", ("$h", hash)) > 0)
            {
                return false;
            }

            Execute(connection, transaction, "INSERT INTO api_keys (id, resource_id, tenant_id, prefix, hash, created_by, created_at) VALUES ($id, $res, $ten, $prefix, $hash, $actor, $at)",
                ("$id", "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))), ("$res", ResourceId), ("$ten", TenantId),
                ("$prefix", prefix), ("$hash", hash), ("$actor", Actor), ("$at", ControlStore.FormatTime(now)));
            return true;
        });
    }

    private static long Scalar(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
