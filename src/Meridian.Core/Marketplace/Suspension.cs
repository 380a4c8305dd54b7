using System.Collections.Frozen;
using System.Text.Json.Serialization;

namespace Meridian.Core.Marketplace;

/// <summary>What a Trust &amp; Safety suspension names (docs/safeguards.md, "Suspensions").</summary>
public enum SuspensionScope
{
    /// <summary>An API key, its rotations, and the keys created in its resource while the suspension stands.</summary>
    [JsonStringEnumMemberName("key")]
    Key,

    /// <summary>A deployment's name in its resource: the deployment, and any deployment created later under that name.</summary>
    [JsonStringEnumMemberName("deployment")]
    Deployment,

    /// <summary>A resource: every key and deployment in it, present and future.</summary>
    [JsonStringEnumMemberName("resource")]
    Resource,

    /// <summary>A tenant: every key and deployment of every resource it has or creates.</summary>
    [JsonStringEnumMemberName("tenant")]
    Tenant,
}

/// <summary>
/// A Trust &amp; Safety decision that takes something out of service until another decision lifts it. It attaches to an
/// identity, never to a row: a rotated key, a new key of the same resource or a deployment recreated under the same name
/// is the same identity and stays suspended (<see cref="SuspensionIndex"/>).
/// </summary>
/// <param name="SubjectId">The key, deployment, resource or tenant the decision named.</param>
/// <param name="ResourceId">The resource of a key, deployment or resource suspension; null for a tenant's.</param>
/// <param name="Party">Whose Trust &amp; Safety decided it: the operator's, the case's publisher's or the tenant's own reviewers.</param>
/// <param name="SuspendedBy">The actor who decided it (shown to the operator and reviewers, never to tenants).</param>
public sealed record Suspension(
    string Id,
    SuspensionScope Scope,
    string SubjectId,
    string TenantId,
    string? ResourceId,
    string CaseId,
    ReviewedBy Party,
    string SuspendedBy,
    DateTimeOffset SuspendedAt)
{
    /// <summary>With <see cref="SuspensionScope.Deployment"/>: the name it holds in its resource.</summary>
    public string? DeploymentName { get; init; }

    /// <summary>
    /// With <see cref="SuspensionScope.Key"/>: the key lineages it covers — the suspended key's (every rotation shares it)
    /// and that of every key created in the resource while it stands.
    /// </summary>
    public IReadOnlyList<string> KeyLineages { get; init; } = [];

    /// <summary>The decision that lifted it; null while it stands.</summary>
    public SuspensionLift? Lift { get; init; }

    public bool IsStanding => Lift is null;

    public static string Of(SuspensionScope scope) => scope switch
    {
        SuspensionScope.Key => "key",
        SuspensionScope.Deployment => "deployment",
        SuspensionScope.Resource => "resource",
        _ => "tenant",
    };

    public static bool TryParse(string? value, out SuspensionScope scope)
    {
        foreach (var candidate in Enum.GetValues<SuspensionScope>())
        {
            if (string.Equals(Of(candidate), value, StringComparison.Ordinal))
            {
                scope = candidate;
                return true;
            }
        }

        scope = default;
        return false;
    }
}

/// <summary>Who lifted a suspension, when, and why (the reason is required: it goes into the case's access log).</summary>
public sealed record SuspensionLift(string LiftedBy, DateTimeOffset LiftedAt, string ReasonCode, string Reason);

/// <summary>
/// The standing suspensions, by what they cover: the one place that says whether a key or a deployment is out of
/// service, used by the gateway snapshot (no database round trip on a request) and by every admin view. Immutable.
/// </summary>
public sealed class SuspensionIndex
{
    private readonly FrozenDictionary<string, Suspension[]> _byKeyLineage;
    private readonly FrozenDictionary<(string Resource, string Name), Suspension[]> _byDeploymentName;
    private readonly FrozenDictionary<string, Suspension[]> _byResource;
    private readonly FrozenDictionary<string, Suspension[]> _byTenant;

    /// <param name="suspensions">Any suspensions; lifted ones cover nothing and are left out.</param>
    public SuspensionIndex(IEnumerable<Suspension> suspensions)
    {
        var standing = suspensions.Where(s => s.IsStanding).ToList();
        _byKeyLineage = Group(standing.Where(s => s.Scope == SuspensionScope.Key).SelectMany(s => s.KeyLineages.Select(l => (l, s))), StringComparer.Ordinal);
        _byDeploymentName = Group(
            standing.Where(s => s.Scope == SuspensionScope.Deployment).Select(s => ((s.ResourceId!, s.DeploymentName!), s)), EqualityComparer<(string, string)>.Default);
        _byResource = Group(standing.Where(s => s.Scope == SuspensionScope.Resource).Select(s => (s.ResourceId!, s)), StringComparer.Ordinal);
        _byTenant = Group(standing.Where(s => s.Scope == SuspensionScope.Tenant).Select(s => (s.TenantId, s)), StringComparer.Ordinal);
    }

    public static SuspensionIndex Empty { get; } = new([]);

    /// <summary>The standing suspensions covering a key of <paramref name="lineageId"/>, oldest first; empty when it may be served.</summary>
    public IReadOnlyList<Suspension> OfKey(string tenantId, string resourceId, string lineageId) =>
        OldestFirst(Covering(tenantId, resourceId).Concat(_byKeyLineage.GetValueOrDefault(lineageId) ?? []));

    /// <summary>The standing suspensions covering a deployment named <paramref name="name"/> in its resource, oldest first.</summary>
    public IReadOnlyList<Suspension> OfDeployment(string tenantId, string resourceId, string name) =>
        OldestFirst(Covering(tenantId, resourceId).Concat(_byDeploymentName.GetValueOrDefault((resourceId, name)) ?? []));

    /// <summary>The standing suspensions of a resource itself or of its tenant, oldest first.</summary>
    public IReadOnlyList<Suspension> OfResource(string tenantId, string resourceId) => OldestFirst(Covering(tenantId, resourceId));

    /// <summary>The standing suspensions of a tenant itself, oldest first.</summary>
    public IReadOnlyList<Suspension> OfTenant(string tenantId) => OldestFirst(_byTenant.GetValueOrDefault(tenantId) ?? []);

    private IEnumerable<Suspension> Covering(string tenantId, string resourceId) =>
        (_byTenant.GetValueOrDefault(tenantId) ?? []).Concat(_byResource.GetValueOrDefault(resourceId) ?? []);

    /// <summary>Oldest first, so the suspension a refusal names does not change as later ones come and go.</summary>
    private static Suspension[] OldestFirst(IEnumerable<Suspension> covering) =>
        [.. covering.OrderBy(s => s.SuspendedAt).ThenBy(s => s.Id, StringComparer.Ordinal)];

    private static FrozenDictionary<TKey, Suspension[]> Group<TKey>(IEnumerable<(TKey Key, Suspension Suspension)> pairs, IEqualityComparer<TKey> comparer)
        where TKey : notnull =>
        pairs.GroupBy(p => p.Key, p => p.Suspension, comparer).ToFrozenDictionary(g => g.Key, g => g.ToArray(), comparer);
}
