using System.Collections.Concurrent;
using Meridian.Core.Validation;
using Meridian.Core.World;

namespace Meridian.Storage.Geography;

/// <summary>
/// One store per geography (<c>geo-{name}.db</c>), so data at rest never leaves its geography's file. A geography
/// the operator adds while the node runs gets its store on first use. Thread-safe.
/// </summary>
public sealed class GeographyStores
{
    private readonly string _dataDirectory;
    private readonly ConcurrentDictionary<string, ReceiptStore> _stores = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _openLock = new();

    public GeographyStores(string dataDirectory, IEnumerable<string> geographies)
    {
        _dataDirectory = dataDirectory;
        foreach (var geography in geographies)
        {
            For(geography);
        }
    }

    public GeographyStores(string dataDirectory, WorldMap world)
        : this(dataDirectory, world.Geographies)
    {
    }

    public IReadOnlyCollection<ReceiptStore> All => [.. _stores.Values];

    public ReceiptStore For(string geography)
    {
        if (_stores.TryGetValue(geography, out var store))
        {
            return store;
        }

        // Opening migrates the file: once per geography, never twice at the same time.
        lock (_openLock)
        {
            return _stores.GetOrAdd(geography, Open);
        }
    }

    private ReceiptStore Open(string geography) =>
        Names.IsPlaceName(geography.ToLowerInvariant())
            ? new ReceiptStore(geography, Path.Combine(_dataDirectory, $"geo-{geography.ToLowerInvariant()}.db"))
            : throw new InvalidOperationException($"'{geography}' is not a valid geography name; no store is opened for it.");
}
