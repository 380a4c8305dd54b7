using Meridian.Core.Keys;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meridian.Gateway.Tests.Snapshot;

/// <summary>
/// A Trust &amp; Safety decision sticks: over random sequences of what a tenant can do (create keys, rotate and revoke them, delete
/// deployments and recreate them under the same names, in two resources) and of decisions (suspend a key, a deployment,
/// a resource or the tenant; lift a suspension), interleaved with calls by every key to every name, no call is served
/// that a standing suspension covers, and nothing refused for a suspension is served again before a lifting decision.
/// Covered means: the suspended key and every key of its lineage (rotations), keys created in its resource while the
/// suspension stands (and their rotations), every deployment under the suspended name in its resource, and everything
/// in a suspended resource or tenant. The oracle below follows the actions, never the store's lineage ids.
/// </summary>
public sealed class SuspensionPropertyTests : IDisposable
{
    private static readonly string[] Names = ["alpha", "beta", "gamma"];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meridian-suspension-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestStores.DeleteDataDirectory(_directory);

    [Fact]
    public async Task No_sequence_of_actions_returns_a_suspended_identity_to_service_without_a_lifting_decision()
    {
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        using var control = TestStores.Control(_directory);
        DemoSeed.SeedIfEmpty(control, now);
        var store = new MarketplaceStore(control);
        var hasher = new ApiKeyHasher(new byte[32]);
        var snapshots = new GatewaySnapshotProvider(store, new BackendCatalog(new GatewayOptions(), NullLoggerFactory.Instance), new FakeTimeProvider(now),
            NullLogger<GatewaySnapshotProvider>.Instance);
        var second = (await store.CreateResourceAsync("tenant-admin", DemoSeed.TenantId, "second", DemoSeed.ResourceRegion, now, CancellationToken.None)).Value!.Id;
        string[] resources = [DemoSeed.ResourceId, second];

        var random = new Random(20261208);
        var keys = new List<OracleKey>();
        var deployments = new List<(string Id, string Resource, string Name)>();
        var live = new List<(string Id, string Resource, string Name)>();
        var standing = new List<OracleSuspension>();
        var refusedUntilLift = new HashSet<(int Lineage, string Resource, string Name)>();
        var everRefused = new HashSet<(int Lineage, string Resource, string Name)>();
        var nextLineage = 0;
        var cases = 0;
        var (rotatedRefused, createdRefused, recreatedRefused, restored) = (0, 0, 0, 0);
        // What was made while a suspension stood, and which suspensions those were: refusals by them count as inherited.
        var keysBornSuspended = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var successorsBornSuspended = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var deploymentsBornSuspended = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string> KeySuspensionsOf(OracleKey key) =>
            [.. standing.Where(s => s.Scope == SuspensionScope.Key && s.Lineages.Contains(key.Lineage)).Select(s => s.Id)];

        OracleKey CreateKey(string resource)
        {
            var secret = ApiKeyFormat.NewKey();
            var created = store.CreateKey("tenant-admin", resource, null, null, new NewSecret(hasher.Hash(secret), ApiKeyFormat.PrefixOf(secret)!), now);
            var key = new OracleKey(created.Value!.Id, secret, resource, nextLineage++);
            foreach (var suspension in standing.Where(s => s.Scope == SuspensionScope.Key && s.Resource == resource))
            {
                suspension.Lineages.Add(key.Lineage);
            }

            return key;
        }

        bool Covered(OracleKey key, string name) => standing.Any(s => s.Scope switch
        {
            SuspensionScope.Tenant => true,
            SuspensionScope.Resource => s.Resource == key.Resource,
            SuspensionScope.Key => s.Lineages.Contains(key.Lineage),
            _ => s.Resource == key.Resource && s.Name == name,
        });

        keys.Add(CreateKey(DemoSeed.ResourceId));
        for (var step = 0; step < 1200; step++)
        {
            if (keys.Count > 12)
            {
                // Keep the calls few: the oldest key is revoked (a revoked key is never served, suspended or not).
                Assert.True(store.RevokeKey("tenant-admin", keys[0].Id, now).Succeeded);
                keys.RemoveAt(0);
            }

            switch (random.Next(9))
            {
                case 0:
                {
                    var key = CreateKey(resources[random.Next(2)]);
                    keys.Add(key);
                    keysBornSuspended[key.Id] = KeySuspensionsOf(key);
                    break;
                }

                case 1:
                {
                    var old = keys[random.Next(keys.Count)];
                    var secret = ApiKeyFormat.NewKey();
                    var rotated = store.RotateKey("tenant-admin", old.Id, TimeSpan.FromDays(1), new NewSecret(hasher.Hash(secret), ApiKeyFormat.PrefixOf(secret)!), now);
                    Assert.True(rotated.Succeeded, rotated.Message);
                    var successor = old with { Id = rotated.Value!.New.Id, Secret = secret };
                    keys.Add(successor);
                    successorsBornSuspended[successor.Id] = KeySuspensionsOf(successor);
                    break;
                }

                case 2 when live.Count > 0:
                {
                    var victim = live[random.Next(live.Count)];
                    Assert.True(store.DeleteDeployment("tenant-admin", victim.Id, now).Succeeded);
                    live.Remove(victim);
                    break;
                }

                case 3:
                {
                    var resource = resources[random.Next(2)];
                    var name = Names[random.Next(Names.Length)];
                    var created = store.CreateDeployment("tenant-admin", resource, new DeploymentDraft(
                        name, DemoSeed.OfferId, "claude-sonnet-5", "platform", "regional", null, null, null, null), now);
                    if (created.Succeeded)
                    {
                        deployments.Add((created.Value!.Id, resource, name));
                        live.Add((created.Value.Id, resource, name));
                        deploymentsBornSuspended[created.Value.Id] =
                            [.. standing.Where(s => s.Scope == SuspensionScope.Deployment && s.Resource == resource && s.Name == name).Select(s => s.Id)];
                    }

                    break;
                }

                case 4 or 5:
                {
                    // Any key or deployment ever seen may be named by a case, including a deleted deployment or a key
                    // already rotated away: the decision holds for what replaced it.
                    var caseId = $"case_prop_{cases++}";
                    var roll = random.Next(10);
                    OracleSuspension suspension;
                    SuspensionDraft draft;
                    if (roll < 5 || deployments.Count == 0)
                    {
                        var key = keys[random.Next(keys.Count)];
                        draft = new SuspensionDraft(SuspensionScope.Key, key.Id, caseId, ReviewedBy.Publisher);
                        suspension = new OracleSuspension(SuspensionScope.Key, key.Resource, null) { Lineages = { key.Lineage } };
                    }
                    else if (roll < 9)
                    {
                        var deployment = deployments[random.Next(deployments.Count)];
                        draft = new SuspensionDraft(SuspensionScope.Deployment, deployment.Id, caseId, ReviewedBy.Publisher);
                        suspension = new OracleSuspension(SuspensionScope.Deployment, deployment.Resource, deployment.Name);
                    }
                    else if (random.Next(2) == 0)
                    {
                        var resource = resources[random.Next(2)];
                        draft = new SuspensionDraft(SuspensionScope.Resource, resource, caseId, ReviewedBy.Operator);
                        suspension = new OracleSuspension(SuspensionScope.Resource, resource, null);
                    }
                    else
                    {
                        draft = new SuspensionDraft(SuspensionScope.Tenant, DemoSeed.TenantId, caseId, ReviewedBy.Operator);
                        suspension = new OracleSuspension(SuspensionScope.Tenant, null, null);
                    }

                    var suspended = store.Suspend("reviewer", draft, now);
                    Assert.True(suspended.Succeeded, suspended.Message);
                    standing.Add(suspension with { Id = suspended.Value!.Id });
                    break;
                }

                case 6 when standing.Count > 0:
                {
                    var lifted = standing[random.Next(standing.Count)];
                    Assert.True(store.LiftSuspension("reviewer", lifted.Id, "appeal", "property test", now).Succeeded);
                    standing.Remove(lifted);
                    refusedUntilLift.Clear();
                    break;
                }

                default:
                {
                    var snapshot = snapshots.Current;
                    foreach (var key in keys)
                    {
                        var record = snapshot.FindKey(key.Secret, hasher);
                        Assert.NotNull(record);
                        foreach (var name in Names)
                        {
                            var deployment = snapshot.Resolve(record, name).Deployment;
                            var suspended = record.Suspension is not null || deployment?.Suspension is not null;
                            var served = deployment is not null && !suspended;
                            var identity = (key.Lineage, key.Resource, name);
                            Assert.False(served && refusedUntilLift.Contains(identity),
                                $"step {step}: {key.Id} → '{name}' was refused for a suspension and is served again with no lifting decision");
                            var exists = live.Any(d => d.Resource == key.Resource && d.Name == name);
                            Assert.True(served == (exists && !Covered(key, name)),
                                $"step {step}: {key.Id} (resource {key.Resource}) → '{name}': served {served}, deployment exists {exists}, covered {Covered(key, name)}");
                            if (suspended && deployment is not null)
                            {
                                refusedUntilLift.Add(identity);
                                everRefused.Add(identity);
                                var by = record.Suspension?.Id ?? deployment.Suspension!.Id;
                                rotatedRefused += successorsBornSuspended.GetValueOrDefault(key.Id)?.Contains(by) == true ? 1 : 0;
                                createdRefused += keysBornSuspended.GetValueOrDefault(key.Id)?.Contains(by) == true ? 1 : 0;
                                recreatedRefused += deploymentsBornSuspended.GetValueOrDefault(deployment.DeploymentId)?.Contains(by) == true ? 1 : 0;
                            }
                            else if (served && everRefused.Contains(identity))
                            {
                                restored++;
                            }
                        }
                    }

                    break;
                }
            }
        }

        // The sequence exercised what it is about: successors, new keys and recreated deployments born suspended, and
        // service restored by lifting decisions.
        Assert.True(rotatedRefused > 0 && createdRefused > 0 && recreatedRefused > 0 && restored > 0,
            $"rotated {rotatedRefused}, created {createdRefused}, recreated {recreatedRefused}, restored {restored}");
    }

    /// <param name="Lineage">The oracle's own numbering: a rotation's successor shares its predecessor's.</param>
    private sealed record OracleKey(string Id, string Secret, string Resource, int Lineage);

    private sealed record OracleSuspension(SuspensionScope Scope, string? Resource, string? Name)
    {
        public string Id { get; init; } = string.Empty;

        public HashSet<int> Lineages { get; init; } = [];
    }
}
