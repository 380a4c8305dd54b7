using Meridian.Core.Validation;
using Meridian.Core.World;
using Meridian.Storage.Sql;
using System.Data.Common;

namespace Meridian.Storage.Control;

public sealed partial class MarketplaceStore
{
    public IReadOnlyList<RegionRecord> Regions() => store.Read(connection =>
        connection.Query(null, "SELECT name, data_zone, geography, display_name, version FROM regions ORDER BY geography, data_zone, name",
            r => new RegionRecord(ReadRegion(r, 0), r.GetInt64(4))));

    public RegionRecord? FindRegion(string name) => store.Read(connection => FindRegion(connection, null, name));

    /// <summary>
    /// Creates or replaces a region. Changing the data zone or geography of a region that resources use is
    /// refused: it would silently move where their data may be processed or rests. A region put into a data zone
    /// widens the boundary of every live platform-hosted DataZone deployment of that zone (one more place to process
    /// and take in its requests): that is refused unless <paramref name="confirmWidening"/>, and when confirmed each
    /// affected tenant gets a <c>boundary.widened</c> record naming its deployments.
    /// </summary>
    /// <param name="ifMatch">The version the caller last saw (If-Match), or null to write unconditionally.</param>
    public StoreResult<RegionRecord> PutRegion(string actor, string name, RegionDraft draft, long? ifMatch, bool confirmWidening, DateTimeOffset now) =>
        store.TryMutate((connection, transaction) =>
        {
            var existing = FindRegion(connection, transaction, name);
            if (ifMatch is { } expected && expected != (existing?.Version ?? 0))
            {
                return StoreResult<RegionRecord>.PreconditionFailed(existing?.Version ?? 0);
            }

            var errors = new FieldErrors();
            var region = WorldRules.ValidateRegion(LoadWorld(connection, transaction), existing?.Region.Name ?? name, draft, errors);
            if (region is null)
            {
                return StoreResult<RegionRecord>.Invalid(errors);
            }

            if (existing is not null && WorldRules.MovesData(existing.Region, region)
                && connection.Scalar(transaction, "SELECT COUNT(*) FROM resources WHERE region = @n", ("@n", region.Name)) > 0)
            {
                return StoreResult<RegionRecord>.Conflict(
                    $"Resources use region '{region.Name}'; changing its data zone or geography would move where their data may go. Only display_name can change.",
                    FieldErrors.Of(
                        string.Equals(existing.Region.Geography, region.Geography, StringComparison.OrdinalIgnoreCase) ? "data_zone" : "geography",
                        "cannot change while resources use the region"));
            }

            var widened = region.DataZone is { } zone && !string.Equals(existing?.Region.DataZone, zone, StringComparison.OrdinalIgnoreCase)
                ? DeploymentsOfZone(connection, transaction, zone)
                : [];
            if (widened.Count > 0 && !confirmWidening)
            {
                return StoreResult<RegionRecord>.Conflict(
                    $"Putting region '{region.Name}' in data zone '{region.DataZone}' widens the boundary of {widened.Count} DataZone deployment(s) "
                    + $"({string.Join(", ", widened.Take(10).Select(d => d.DeploymentId))}{(widened.Count > 10 ? ", …" : string.Empty)}): their requests could "
                    + "then be processed and taken in there. Send \"confirm_widening\": true to do it; each affected tenant is told.",
                    FieldErrors.Of("confirm_widening", "must be true to widen existing deployments' boundaries"));
            }

            foreach (var tenant in widened.GroupBy(d => d.TenantId, StringComparer.Ordinal))
            {
                AuditLog.Write(connection, transaction, actor, "boundary.widened", "tenant_notice", tenant.Key, null,
                    new BoundaryWidening(region.Name, region.DataZone!, [.. tenant.Select(d => d.DeploymentId)]), AuditJson.Default.BoundaryWidening, now);
            }

            if (existing is null)
            {
                connection.Execute(transaction, "INSERT INTO regions (name, data_zone, geography, display_name, version) VALUES (@n, @z, @g, @d, 1)",
                    ("@n", region.Name), ("@z", region.DataZone), ("@g", region.Geography), ("@d", region.DisplayName));
                var created = new RegionRecord(region, 1);
                AuditLog.Write(connection, transaction, actor, "region.create", "region", region.Name, null, region, AuditJson.Default.Region, now);
                return StoreResult<RegionRecord>.Created(created);
            }

            if (existing.Region == region)
            {
                return StoreResult<RegionRecord>.Ok(existing);
            }

            connection.Execute(transaction, "UPDATE regions SET data_zone = @z, geography = @g, display_name = @d, version = version + 1 WHERE name = @n",
                ("@n", region.Name), ("@z", region.DataZone), ("@g", region.Geography), ("@d", region.DisplayName));
            AuditLog.Write(connection, transaction, actor, "region.update", "region", region.Name, existing.Region, region, AuditJson.Default.Region, now);
            return StoreResult<RegionRecord>.Ok(new RegionRecord(region, existing.Version + 1));
        });

    /// <summary>Live platform-hosted DataZone deployments whose resource is in <paramref name="zone"/>.</summary>
    private static List<(string DeploymentId, string TenantId)> DeploymentsOfZone(DbConnection connection, DbTransaction transaction, string zone) =>
        connection.Query(transaction, """
            SELECT d.id, d.tenant_id FROM deployments d
            JOIN resources r ON r.id = d.resource_id
            JOIN regions g ON g.name = r.region
            WHERE d.deleted_at IS NULL AND d.hosting_option = 'platform' AND d.deployment_type = 'datazone' AND LOWER(g.data_zone) = LOWER(@z)
            ORDER BY d.tenant_id, d.id
            """, r => (r.GetString(0), r.GetString(1)), ("@z", zone));

    private static RegionRecord? FindRegion(DbConnection connection, DbTransaction? transaction, string name) =>
        connection.QuerySingle(transaction, "SELECT name, data_zone, geography, display_name, version FROM regions WHERE name = @n",
            r => new RegionRecord(ReadRegion(r, 0), r.GetInt64(4)), ("@n", name));
}
