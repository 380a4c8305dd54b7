using System.Collections.Concurrent;
using Meridian.Core.World;

namespace Meridian.Storage.Geography;

/// <summary>
/// One store per geography (a <c>geo-{name}.db</c> file, or a PostgreSQL schema possibly on its own server), so data at
/// rest never leaves its geography's store. A geography the operator adds while the node runs gets its store on first
/// use. Thread-safe; disposing it closes the connection pools.
/// </summary>
public sealed class GeographyStores : IDisposable
{
    private readonly StorageSettings _settings;
    private readonly ConcurrentDictionary<string, ReceiptStore> _stores = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _openLock = new();

    public GeographyStores(StorageSettings settings, IEnumerable<string> geographies)
    {
        _settings = settings;
        foreach (var geography in geographies)
        {
            For(geography);
        }
    }

    /// <summary>The embedded stores in <paramref name="dataDirectory"/>.</summary>
    public GeographyStores(string dataDirectory, IEnumerable<string> geographies)
        : this(StorageSettings.Embedded(dataDirectory), geographies)
    {
    }

    public GeographyStores(StorageSettings settings, WorldMap world)
        : this(settings, world.Geographies)
    {
    }

    public IReadOnlyCollection<ReceiptStore> All => [.. _stores.Values];

    public ReceiptStore For(string geography)
    {
        if (_stores.TryGetValue(geography, out var store))
        {
            return store;
        }

        // Opening migrates the store: once per geography, never twice at the same time.
        lock (_openLock)
        {
            return _stores.GetOrAdd(geography, g => new ReceiptStore(g, _settings.OpenGeography(g), _settings.LedgerWriterId));
        }
    }

    public void Dispose()
    {
        foreach (var store in _stores.Values)
        {
            (store.Database as IDisposable)?.Dispose();
        }
    }
}
