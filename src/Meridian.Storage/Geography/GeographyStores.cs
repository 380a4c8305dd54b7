using Meridian.Core.World;

namespace Meridian.Storage.Geography;

/// <summary>One store per geography (<c>geo-{name}.db</c>), so data at rest never leaves its geography's file.</summary>
public sealed class GeographyStores
{
    private readonly Dictionary<string, ReceiptStore> _stores;

    public GeographyStores(string dataDirectory, IEnumerable<string> geographies)
    {
        _stores = geographies
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(
                g => g,
                g => new ReceiptStore(g, Path.Combine(dataDirectory, $"geo-{g.ToLowerInvariant()}.db")),
                StringComparer.OrdinalIgnoreCase);
    }

    public GeographyStores(string dataDirectory, WorldMap world)
        : this(dataDirectory, world.Geographies)
    {
    }

    public IReadOnlyCollection<ReceiptStore> All => _stores.Values;

    public ReceiptStore For(string geography) =>
        _stores.TryGetValue(geography, out var store)
            ? store
            : throw new InvalidOperationException($"No store is configured for geography '{geography}'.");
}
