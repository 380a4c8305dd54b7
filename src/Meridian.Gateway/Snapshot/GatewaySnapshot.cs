using System.Collections.Concurrent;
using System.Collections.Frozen;
using Meridian.Core.Billing;
using Meridian.Core.Keys;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Gateway.Backends;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Snapshot;

/// <summary>
/// Everything the data plane reads on a request, as of one generation of the control store: keys by hash, deployments
/// by the names callers use, their capacities, limits and prices, and the backends. Built from one consistent read and
/// published by one reference swap (<see cref="GatewaySnapshotProvider"/>), so a request sees one state of the world —
/// routing and metering can never disagree — and takes no lock and makes no database round trip. Immutable.
/// </summary>
public sealed class GatewaySnapshot
{
    private readonly FrozenDictionary<string, KeyRecord> _keysByHash;
    private readonly FrozenDictionary<string, FrozenDictionary<string, DeploymentRoute>> _deploymentsByResource;
    private readonly FrozenDictionary<(string Resource, string Model), DeploymentRoute> _modelDefaults;
    private readonly FrozenDictionary<string, IReadOnlyList<DeploymentRoute>> _deploymentsByTenant;
    private readonly FrozenDictionary<string, Capacity> _capacities;
    private readonly FrozenDictionary<(LimitScope, string), UsageLimits> _limits;
    private readonly FrozenDictionary<(string TenantId, string OfferId), PriceSchedule> _prices;
    private readonly FrozenDictionary<string, PriceSchedule> _offerPrices;

    // Presented key → its record, filled on first use, so the keyed hash (HMAC-SHA256, ≈ 2 µs and 152 bytes;
    // ProtocolBenchmarks) runs once per key and snapshot instead of once per request. Only keys that matched are kept,
    // so it holds at most as many entries as there are keys; it is dropped with this snapshot, so a revoked key leaves
    // with the rebuild. The raw key is only ever a lookup key here: never logged, listed or serialized.
    private readonly ConcurrentDictionary<string, KeyRecord> _keysByPresented = new(StringComparer.Ordinal);

    public GatewaySnapshot(GatewayData data, BackendRegistry backends)
    {
        var routing = data.Routing;
        var metering = data.Metering;
        Generation = data.Generation;
        World = routing.World;
        Backends = backends;
        _keysByHash = routing.Keys.ToFrozenDictionary(k => k.Hash, StringComparer.Ordinal);
        _deploymentsByResource = routing.Deployments
            .GroupBy(d => d.ResourceId, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal), StringComparer.Ordinal);
        var byId = routing.Deployments.ToDictionary(d => d.DeploymentId, StringComparer.Ordinal);
        _modelDefaults = routing.ModelDefaults
            .Where(d => byId.ContainsKey(d.DeploymentId))
            .ToFrozenDictionary(d => (d.ResourceId, d.ModelId), d => byId[d.DeploymentId]);
        _deploymentsByTenant = routing.Deployments
            .GroupBy(d => d.TenantId, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => (IReadOnlyList<DeploymentRoute>)[.. g], StringComparer.Ordinal);
        ResourceDeployments = routing.Deployments
            .GroupBy(d => d.ResourceId, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => (IReadOnlyList<DeploymentRoute>)[.. g.OrderByDescending(d => d.CreatedAt).ThenBy(d => d.Name, StringComparer.Ordinal)], StringComparer.Ordinal);
        _capacities = metering.Capacities.ToFrozenDictionary(StringComparer.Ordinal);
        _limits = metering.Limits.ToFrozenDictionary(l => (l.Scope, l.ScopeId));
        _prices = metering.Prices.ToFrozenDictionary();
        _offerPrices = metering.OfferPrices.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The control store's generation this snapshot was read at.</summary>
    public long Generation { get; }

    public WorldMap World { get; }

    /// <summary>The backends for this state of the world, rebuilt with the snapshot.</summary>
    public BackendRegistry Backends { get; }

    /// <summary>Deployments of each resource, newest first.</summary>
    public FrozenDictionary<string, IReadOnlyList<DeploymentRoute>> ResourceDeployments { get; }

    public IEnumerable<UsageLimits> AllLimits => _limits.Values;

    /// <summary>The record of the key a caller presented, or null when no key of this snapshot matches it.</summary>
    public KeyRecord? FindKey(string presented, ApiKeyHasher hasher)
    {
        if (_keysByPresented.TryGetValue(presented, out var key))
        {
            return key;
        }

        key = _keysByHash.GetValueOrDefault(hasher.Hash(presented));
        if (key is null && hasher.InOverlap)
        {
            // A rotation of the key-hash secret: keys created before it (or, staged, on a node already promoted) are
            // stored under another secret of the overlap.
            foreach (var hash in hasher.OverlapHashes(presented))
            {
                if (_keysByHash.TryGetValue(hash, out key))
                {
                    break;
                }
            }
        }

        if (key is not null && _keysByPresented.Count < _keysByHash.Count)
        {
            _keysByPresented.TryAdd(presented, key);
        }

        return key;
    }

    /// <summary>
    /// Resolves the <c>model</c> a caller sent to a deployment of the key's resource: a deployment name reaches that
    /// deployment; a model id reaches only the resource's default deployment for that model, never whichever deployment
    /// happens to serve it, so no deployment added, changed or deleted moves such a caller to another boundary. A model
    /// id that deployments of the resource serve without a default is refused, naming them.
    /// </summary>
    public ModelResolution Resolve(KeyRecord key, string model)
    {
        if (_deploymentsByResource.TryGetValue(key.ResourceId, out var byName) && byName.TryGetValue(model, out var named))
        {
            return new ModelResolution(named, ModelResolutionStatus.Found);
        }

        if (_modelDefaults.TryGetValue((key.ResourceId, model), out var byDefault))
        {
            return new ModelResolution(byDefault, ModelResolutionStatus.Found);
        }

        if (ResourceDeployments.TryGetValue(key.ResourceId, out var resourceDeployments)
            && resourceDeployments.Where(d => d.ModelId == model).ToList() is { Count: > 0 } serving)
        {
            return new ModelResolution(null, ModelResolutionStatus.NoDefault) { Candidates = serving };
        }

        // Same tenant, other resource: the model exists but this key may not use it.
        if (_deploymentsByTenant.TryGetValue(key.TenantId, out var tenantDeployments)
            && tenantDeployments.Any(d => d.Name == model || d.ModelId == model))
        {
            return new ModelResolution(null, ModelResolutionStatus.NotPermitted);
        }

        return new ModelResolution(null, ModelResolutionStatus.NotFound);
    }

    /// <summary>The deployment's capacity; every live deployment has one.</summary>
    public Capacity? CapacityOf(string deploymentId) => _capacities.GetValueOrDefault(deploymentId);

    public UsageLimits? LimitsOf(LimitScope scope, string id) => _limits.GetValueOrDefault((scope, id));

    /// <summary>
    /// What the tenant pays for the offer over time: the prices it accepted until a change's notice ends or it accepts the
    /// change (docs/metering.md, "Which price applies"). Time-dependent, so a notice ending needs no new snapshot.
    /// </summary>
    public PriceSchedule? PricesOf(string tenantId, string offerId) =>
        _prices.GetValueOrDefault((tenantId, offerId)) ?? _offerPrices.GetValueOrDefault(offerId);
}

public enum ModelResolutionStatus
{
    Found,
    NotFound,
    NotPermitted,

    /// <summary>Deployments of the key's resource serve the model id, but none is its default: the caller must choose.</summary>
    NoDefault,
}

public readonly record struct ModelResolution(DeploymentRoute? Deployment, ModelResolutionStatus Status)
{
    /// <summary>With <see cref="ModelResolutionStatus.NoDefault"/>: the deployments to choose from.</summary>
    public IReadOnlyList<DeploymentRoute> Candidates { get; init; } = [];
}
