using Meridian.Core.Marketplace;

namespace Meridian.Core.Receipts;

/// <summary>
/// Where one deployment's requests were processed over a period, and whether any left its boundary. Every request is in
/// exactly one of <paramref name="Processed"/>, <paramref name="RefusedBeforeRouting"/>, <paramref name="FailedClosed"/> and
/// <paramref name="BlockedBySafeguard"/>, so they add up to <paramref name="Requests"/>.
/// </summary>
/// <param name="Processed">Requests a backend processed (answered, or failed after starting).</param>
/// <param name="RefusedBeforeRouting">Requests refused before any backend was chosen (quota, validation, suspension, ingress).</param>
/// <param name="FailedClosed">Requests no backend inside the boundary could take: refused, never sent elsewhere.</param>
/// <param name="BlockedBySafeguard">Requests whose input a safeguard blocked: no backend saw them.</param>
/// <param name="IngressAllowedOutside">Requests that came in outside the boundary where the operator allowed it.</param>
/// <param name="BadSignatures">Stored receipts whose signature does not verify: counted as violations too.</param>
/// <param name="Violations">Receipts showing processing or ingress outside the boundary, or not verifying, and access records not verifying. There should be none.</param>
/// <param name="ContentOpened">Requests whose content a person opened later (a Trust &amp; Safety case opened), by their access records.</param>
/// <param name="ContentOpenedBy">Who opened content: each organisation and how many of these requests it opened.</param>
/// <param name="BadAccessRecords">Stored access records not provably the operator's (not matching their leaf in a signed log): counted as violations too.</param>
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
    long RefusedBeforeRouting,
    long FailedClosed,
    long BlockedBySafeguard,
    long IngressAllowedOutside,
    IReadOnlyList<ProcessingLocation> ProcessedIn,
    long BadSignatures,
    long Violations,
    IReadOnlyList<string> ViolationRequestIds,
    long ContentOpened,
    IReadOnlyList<ContentOpener> ContentOpenedBy,
    long BadAccessRecords);

/// <param name="Party"><c>operator</c>, a publisher id or a tenant id.</param>
public sealed record ContentOpener(string Party, long Requests);

/// <param name="Operator"><c>platform</c> or a publisher id.</param>
/// <param name="Region">A platform region, or a publisher's declared location (<c>undeclared</c> when it declared none).</param>
/// <param name="Declared">False for a publisher that declared no location: where its infrastructure is, is not known.</param>
public sealed record ProcessingLocation(string Operator, string Region, string? DataZone, long Requests, bool Declared);

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
    /// <summary>What a receipt records as the processing region of a publisher that declared no location.</summary>
    public const string UndeclaredLocation = "undeclared";

    private const int MaxViolationIds = 20;

    private readonly Dictionary<string, Entry> _deployments = new(StringComparer.Ordinal);

    /// <param name="verified">Whether the receipt's signature verifies; a receipt that does not is a violation.</param>
    public void Add(Receipt receipt, bool verified = true)
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
        else if (receipt.SafeguardVerdict.StartsWith("block", StringComparison.Ordinal))
        {
            entry.BlockedBySafeguard++;
        }
        else
        {
            entry.RefusedBeforeRouting++;
        }

        if (receipt.IngressOutsideBoundary == true)
        {
            entry.IngressAllowedOutside++;
        }

        if (!verified)
        {
            entry.BadSignatures++;
        }

        if (!verified || ReceiptBoundary.IsViolation(receipt))
        {
            entry.Violations++;
            if (entry.ViolationIds.Count < MaxViolationIds)
            {
                entry.ViolationIds.Add(receipt.RequestId);
            }
        }
    }

    /// <summary>
    /// Counts a person's opening of a request's content (an access record of event <c>open</c>) against the request's
    /// deployment; <paramref name="verified"/> false for a record not provably the operator's, a violation.
    /// </summary>
    public void AddContentAccess(string deploymentId, string requestId, string party, bool verified = true)
    {
        if (!_deployments.TryGetValue(deploymentId, out var entry))
        {
            return;
        }

        entry.Openers.TryAdd(party, new HashSet<string>(StringComparer.Ordinal));
        entry.Openers[party].Add(requestId);
        entry.Opened.Add(requestId);
        if (!verified)
        {
            entry.BadAccessRecords++;
            entry.Violations++;
            if (entry.ViolationIds.Count < MaxViolationIds && !entry.ViolationIds.Contains(requestId))
            {
                entry.ViolationIds.Add(requestId);
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

        public long RefusedBeforeRouting { get; set; }

        public long BlockedBySafeguard { get; set; }

        public long IngressAllowedOutside { get; set; }

        public long BadSignatures { get; set; }

        public long Violations { get; set; }

        public List<string> ViolationIds { get; } = [];

        public HashSet<string> Opened { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, HashSet<string>> Openers { get; } = new(StringComparer.Ordinal);

        public long BadAccessRecords { get; set; }

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
                Requests, Processed, RefusedBeforeRouting, FailedClosed, BlockedBySafeguard, IngressAllowedOutside,
                [.. Locations.OrderByDescending(l => l.Value).ThenBy(l => l.Key.Region, StringComparer.Ordinal)
                    .Select(l => new ProcessingLocation(l.Key.Operator, l.Key.Region, l.Key.Zone, l.Value, Declared: l.Key.Region != UndeclaredLocation))],
                BadSignatures, Violations, ViolationIds,
                Opened.Count, [.. Openers.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => new ContentOpener(o.Key, o.Value.Count))], BadAccessRecords);
        }
    }
}
