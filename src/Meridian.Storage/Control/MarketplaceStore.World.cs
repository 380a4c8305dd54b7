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
    /// refused: it would silently move where their data may be processed or rests.
    /// </summary>
    /// <param name="ifMatch">The version the caller last saw (If-Match), or null to write unconditionally.</param>
    public StoreResult<RegionRecord> PutRegion(string actor, string name, RegionDraft draft, long? ifMatch, DateTimeOffset now) =>
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

            if (existing is null)
            {
                connection.Execute(transaction, "INSERT INTO regions (name, data_zone, geography, display_name, version) VALUES (@n, @z, @g, @d, 1)",
                    ("@n", region.Name), ("@z", region.DataZone), ("@g", region.Geography), ("@d", region.DisplayName));
                var created = new RegionRecord(region, 1);
                AuditLog.Write(connection, transaction, actor, "region.create", "region", region.Name, null, region, AuditJson.Default.Region, now);
                return StoreResult<RegionRecord>.Created(created);
            }

            if (WorldRules.MovesData(existing.Region, region)
                && connection.Scalar(transaction, "SELECT COUNT(*) FROM resources WHERE region = @n", ("@n", region.Name)) > 0)
            {
                return StoreResult<RegionRecord>.Conflict(
                    $"Resources use region '{region.Name}'; changing its data zone or geography would move where their data may go. Only display_name can change.",
                    FieldErrors.Of(
                        string.Equals(existing.Region.Geography, region.Geography, StringComparison.OrdinalIgnoreCase) ? "data_zone" : "geography",
                        "cannot change while resources use the region"));
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

    private static RegionRecord? FindRegion(DbConnection connection, DbTransaction? transaction, string name) =>
        connection.QuerySingle(transaction, "SELECT name, data_zone, geography, display_name, version FROM regions WHERE name = @n",
            r => new RegionRecord(ReadRegion(r, 0), r.GetInt64(4)), ("@n", name));
}
