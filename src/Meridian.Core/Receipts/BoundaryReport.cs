using Meridian.Core.Marketplace;

namespace Meridian.Core.Receipts;

/// <summary>Where one deployment's requests were processed over a period, and whether any left its boundary.</summary>
/// <param name="Processed">Requests a backend processed (answered, or failed after starting).</param>
/// <param name="FailedClosed">Requests no backend inside the boundary could take: refused, never sent elsewhere.</param>
/// <param name="Violations">Receipts showing processing outside the boundary. There should be none.</param>
public sealed record DeploymentBoundaryReport(
    string DeploymentId,
    string? DeploymentName,
    string? Model,
    string? HostingOption,
    string? DeploymentType,
    string? ResourceRegion,
    string Boundary,
    long Requests,
    long Processed,
    long FailedClosed,
    IReadOnlyList<ProcessingLocation> ProcessedIn,
    long Violations,
    IReadOnlyList<string> ViolationRequestIds);

/// <param name="Operator"><c>platform</c> or a publisher id.</param>
/// <param name="Region">A platform region, or a publisher's declared location (<c>undeclared</c> when it declared none).</param>
public sealed record ProcessingLocation(string Operator, string Region, string? DataZone, long Requests);

/// <summary>A tenant's compliance report: per deployment, requests and where they were processed.</summary>
public sealed record BoundaryReportView(
    string TenantId,
    DateTimeOffset From,
    DateTimeOffset To,
    long Requests,
    long Violations,
    IReadOnlyList<DeploymentBoundaryReport> Deployments);

/// <summary>Builds a <see cref="BoundaryReportView"/> from receipts, one at a time, in constant memory per deployment. Not thread-safe.</summary>
public sealed class BoundaryReportBuilder
{
    private const int MaxViolationIds = 20;

    private readonly Dictionary<string, Entry> _deployments = new(StringComparer.Ordinal);

    public void Add(Receipt receipt)
    {
        if (receipt.DeploymentId is not { } deploymentId || receipt.Endpoint == "count_tokens")
        {
            return;
        }

        if (!_deployments.TryGetValue(deploymentId, out var entry))
        {
            entry = new Entry(receipt);
            _deployments.Add(deploymentId, entry);
        }

        entry.Requests++;
        if (receipt.ProcessingOperator is { } processingOperator)
        {
            entry.Processed++;
            var key = (processingOperator, receipt.ProcessingRegion ?? "unknown", receipt.ProcessingDataZone);
            entry.Locations[key] = entry.Locations.GetValueOrDefault(key) + 1;
        }
        else if (receipt.RoutingFailure is not null)
        {
            entry.FailedClosed++;
        }

        if (ReceiptBoundary.IsViolation(receipt))
        {
            entry.Violations++;
            if (entry.ViolationIds.Count < MaxViolationIds)
            {
                entry.ViolationIds.Add(receipt.RequestId);
            }
        }
    }

    public BoundaryReportView Build(string tenantId, DateTimeOffset from, DateTimeOffset to)
    {
        var deployments = _deployments
            .OrderBy(d => d.Value.First.DeploymentName, StringComparer.Ordinal)
            .ThenBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => d.Value.ToReport(d.Key))
            .ToList();
        return new BoundaryReportView(tenantId, from, to, deployments.Sum(d => d.Requests), deployments.Sum(d => d.Violations), deployments);
    }

    private sealed class Entry(Receipt first)
    {
        public Receipt First { get; } = first;

        public long Requests { get; set; }

        public long Processed { get; set; }

        public long FailedClosed { get; set; }

        public long Violations { get; set; }

        public List<string> ViolationIds { get; } = [];

        public Dictionary<(string Operator, string Region, string? Zone), long> Locations { get; } = [];

        public DeploymentBoundaryReport ToReport(string deploymentId)
        {
            var boundary = WireNames.TryParseHosting(First.HostingOption, out var hosting)
                ? BoundaryExplanation.DescribeBoundary(
                    hosting, WireNames.TryParseType(First.DeploymentType, out var type) ? type : null,
                    First.ResourceRegion ?? "?", First.ResourceDataZone, First.PublisherId ?? "?")
                : "unknown";
            return new DeploymentBoundaryReport(
                deploymentId, First.DeploymentName, First.Model, First.HostingOption, First.DeploymentType, First.ResourceRegion, boundary,
                Requests, Processed, FailedClosed,
                [.. Locations.OrderByDescending(l => l.Value).ThenBy(l => l.Key.Region, StringComparer.Ordinal)
                    .Select(l => new ProcessingLocation(l.Key.Operator, l.Key.Region, l.Key.Zone, l.Value))],
                Violations, ViolationIds);
        }
    }
}
