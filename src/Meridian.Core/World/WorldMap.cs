namespace Meridian.Core.World;

/// <summary>
/// A place where processing can run. A region sits in one geography and, usually, in one data zone of that
/// geography; a region without a zone (<see cref="DataZone"/> null) cannot host DataZone deployments.
/// </summary>
public sealed record Region(string Name, string? DataZone, string Geography, string DisplayName);

/// <summary>
/// The operator's world: geographies, data zones and regions. Immutable; a change publishes a new instance.
/// </summary>
public sealed class WorldMap
{
    private readonly Dictionary<string, Region> _regions;

    public WorldMap(IEnumerable<Region> regions, long version = 0)
    {
        _regions = regions.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
        Version = version;
    }

    /// <summary>
    /// Which version of the world this is: the sum of its regions' versions, which every region created or changed
    /// raises (regions are never deleted); 0 for a world read only to validate a change. Receipts name it, so a boundary
    /// can be traced to the world it was computed from.
    /// </summary>
    public long Version { get; }

    public IReadOnlyCollection<Region> Regions => _regions.Values;

    public IEnumerable<string> Geographies => _regions.Values.Select(r => r.Geography).Distinct(StringComparer.OrdinalIgnoreCase);

    public bool TryGetRegion(string name, out Region region) => _regions.TryGetValue(name, out region!);

    /// <summary>The geography a data zone belongs to, or null when no region uses the zone yet.</summary>
    public string? GeographyOfZone(string dataZone) =>
        _regions.Values.FirstOrDefault(r => string.Equals(r.DataZone, dataZone, StringComparison.OrdinalIgnoreCase))?.Geography;

    /// <summary>The world a fresh install starts with: two geographies, each its own data zone, two regions each.</summary>
    public static WorldMap Default { get; } = new(
    [
        new Region("eastus", "us", "us", "East US"),
        new Region("westus", "us", "us", "West US"),
        new Region("swedencentral", "eu", "eu", "Sweden Central"),
        new Region("francecentral", "eu", "eu", "France Central"),
    ]);
}
