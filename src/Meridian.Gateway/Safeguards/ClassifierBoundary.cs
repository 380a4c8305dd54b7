using System.Collections.Frozen;
using Meridian.Core.Marketplace;
using Meridian.Core.Receipts;
using Meridian.Core.World;
using Meridian.Gateway.Configuration;
using Meridian.Safeguards;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Keeps a deployment's content inside its boundary on the way to classifiers. A remote classifier (an HTTP classifier
/// or a guard model) is sent content, so it is held to the rule a backend is held to: it is asked for a deployment only
/// when the region it declared lies inside the deployment's boundary (<see cref="Boundary.Allows"/>, as a platform-run
/// service; for a publisher-hosted deployment, inside the resource's geography, where its records rest). One outside is
/// taken out of the deployment's policy and replaced by a stand-in that reports it unavailable
/// (<c>outside_boundary</c>) without sending anything, so the policy's <c>on_classifier_failure</c> decides: a
/// fail-closed policy refuses, a fail-open one answers on the classifiers inside, annotated. Immutable, thread-safe.
/// </summary>
internal sealed class ClassifierBoundary
{
    /// <summary>The reason an out-of-boundary classifier reports; it names no region or content.</summary>
    public const string OutsideReason = "outside_boundary";

    private readonly Screener _screener;
    private readonly FrozenDictionary<string, string?> _regions;

    public ClassifierBoundary(Screener screener, SafeguardsOptions options)
    {
        _screener = screener;
        var regions = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var http in options.HttpClassifiers)
        {
            regions[http.Name] = http.Region;
        }

        foreach (var guard in options.GuardModels)
        {
            regions[guard.Name] = guard.Region;
        }

        _regions = regions.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public RequestSafeguards.EffectiveSafeguards WithinBoundary(RequestSafeguards.EffectiveSafeguards effective, DeploymentRoute deployment, WorldMap world)
    {
        if (effective.Policy is not { } policy || _regions.Count == 0)
        {
            return effective;
        }

        var inside = new List<DataRecipient>();
        var outside = new List<string>();
        foreach (var classifier in _screener.Classifiers)
        {
            if (!policy.Uses(classifier.Name) || !_regions.TryGetValue(classifier.Name, out var region))
            {
                continue;
            }

            if (region is not null && Inside(deployment, world, region))
            {
                inside.Add(new DataRecipient(classifier.Name, "classifier", [ReceiptBoundary.Content], region));
            }
            else
            {
                outside.Add(classifier.Name);
            }
        }

        if (outside.Count == 0)
        {
            return effective with { ContentRecipients = inside };
        }

        var kept = _screener.Classifiers.Select(c => c.Name).Where(name => policy.Uses(name) && !outside.Contains(name));
        return new RequestSafeguards.EffectiveSafeguards(policy.WithClassifiers(kept), [.. effective.Extra, .. outside.Select(name => new OutsideBoundary(name))])
        {
            ContentRecipients = inside,
        };
    }

    internal static bool Inside(DeploymentRoute deployment, WorldMap world, string region)
    {
        if (!world.TryGetRegion(region, out var where))
        {
            return false; // a region the operator's world does not know is inside no boundary
        }

        return deployment.Hosting == HostingOption.Publisher
            ? string.Equals(where.Geography, deployment.ResourceRegion.Geography, StringComparison.OrdinalIgnoreCase)
            : Boundary.Allows(deployment, new BackendPlacement(region, where.Name, where.DataZone, BackendPlacement.Platform));
    }

    /// <summary>Stands in for a classifier outside the boundary: never sends anything, always unavailable.</summary>
    private sealed class OutsideBoundary(string name) : IClassifier
    {
        public string Name => name;

        public ValueTask<ClassifierResult> ClassifyAsync(ScreeningText text, CancellationToken cancellationToken) =>
            ValueTask.FromResult(ClassifierResult.Unavailable(OutsideReason));
    }
}
