using System.Collections.Frozen;
using Meridian.Core.Billing;
using Meridian.Core.Marketplace;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Metering;

/// <summary>
/// What admission and budgets read on every request: deployment capacities, limit overrides and offer prices.
/// Immutable; rebuilt as a whole when the control store changes and published by one reference swap, like the
/// routing snapshot, so admission takes no lock for it and makes no database round trip.
/// </summary>
public sealed class MeteringSnapshot
{
    private readonly FrozenDictionary<string, Capacity> _capacities;
    private readonly FrozenDictionary<(LimitScope, string), UsageLimits> _limits;
    private readonly FrozenDictionary<string, PriceSchedule> _prices;

    public MeteringSnapshot(MeteringData data, long generation)
    {
        Generation = generation;
        _capacities = data.Capacities.ToFrozenDictionary(StringComparer.Ordinal);
        _limits = data.Limits.ToFrozenDictionary(l => (l.Scope, l.ScopeId));
        _prices = data.Prices.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public long Generation { get; }

    public IEnumerable<UsageLimits> AllLimits => _limits.Values;

    public Capacity? CapacityOf(string deploymentId) => _capacities.GetValueOrDefault(deploymentId);

    public UsageLimits? LimitsOf(LimitScope scope, string id) => _limits.GetValueOrDefault((scope, id));

    public PriceSchedule? PricesOf(string offerId) => _prices.GetValueOrDefault(offerId);
}

/// <summary>Publishes the current <see cref="MeteringSnapshot"/>, rebuilt when the control store's generation moves.</summary>
public sealed class MeteringSnapshotProvider(MarketplaceStore store)
{
    private readonly Lock _reloadLock = new();
    private volatile MeteringSnapshot? _current;

    public MeteringSnapshot Current => _current ?? Reload();

    /// <summary>Rebuilds the snapshot if the store changed since the last one. Safe to call from any thread.</summary>
    public MeteringSnapshot Reload()
    {
        lock (_reloadLock)
        {
            var generation = store.Control.Generation();
            if (_current is { } current && current.Generation == generation)
            {
                return current;
            }

            var snapshot = new MeteringSnapshot(store.LoadMetering(), generation);
            _current = snapshot;
            return snapshot;
        }
    }
}
