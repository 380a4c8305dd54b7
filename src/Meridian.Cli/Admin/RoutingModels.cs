using System.Text.Json.Serialization;

namespace Meridian.Cli.Admin;

// The routing and compliance shapes of docs/admin-api.md as the CLI reads them ("Dry run", "Boundary report").

/// <summary>The answer of <c>POST …/deployments?dry_run=true</c>: the deployment's boundary compiled into its target set.</summary>
internal sealed record DeploymentPlan(
    bool WouldCreate,
    string? RefusedBecause,
    string? ResourceId,
    string? Region,
    string? DataZone,
    string? Geography,
    string? ModelId,
    string? HostingOption,
    string? DeploymentType,
    string? Boundary,
    int EligibleCount,
    int UsableNow,
    IReadOnlyList<PlannedBackend>? Backends,
    IReadOnlyList<LostFeature>? FeaturesLost);

internal sealed record PlannedBackend(
    string Id,
    string? Kind,
    string? Region,
    string? DataZone,
    string? OperatedBy,
    bool Eligible,
    bool UsableNow,
    IReadOnlyList<string>? Reasons,
    string? Why,
    string? Health);

internal sealed record LostFeature(string? Feature, string? ModelId, IReadOnlyList<string>? AvailableIn, string? Description);

internal sealed record BoundaryReport(
    string TenantId,
    string? From,
    string? To,
    long Requests,
    long Violations,
    IReadOnlyList<DeploymentBoundary>? Deployments);

internal sealed record DeploymentBoundary(
    string DeploymentId,
    string? DeploymentName,
    string? Model,
    string? HostingOption,
    string? DeploymentType,
    string? ResourceRegion,
    string? Boundary,
    long Requests,
    long Processed,
    long RefusedBeforeRouting,
    long FailedClosed,
    long BlockedBySafeguard,
    long IngressAllowedOutside,
    IReadOnlyList<ProcessedIn>? ProcessedIn,
    long BadSignatures,
    long Violations,
    IReadOnlyList<string>? ViolationRequestIds,
    long ContentOpened = 0,
    IReadOnlyList<ContentOpener>? ContentOpenedBy = null,
    long BadAccessRecords = 0);

/// <summary>Whose people opened a deployment's requests' content later (Trust &amp; Safety), and how many requests.</summary>
internal sealed record ContentOpener(string Party, long Requests);

internal sealed record ProcessedIn(string Operator, string Region, string? DataZone, long Requests, bool Declared = true);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DeploymentPlan))]
[JsonSerializable(typeof(BoundaryReport))]
internal sealed partial class RoutingJsonContext : JsonSerializerContext;
