namespace Meridian.Admin.Contract;

// Wire shapes of the operator's routing views (docs/admin-api.md: "Dry run", "Backends", "Dashboard") and model defaults.

// ---- routing: the dry run ----

/// <summary>The answer of <c>POST /admin/v1/resources/{resource}/deployments?dry_run=true</c>.</summary>
public sealed record DeploymentPlanView(
    bool DryRun,
    bool WouldCreate,
    string? RefusedBecause,
    string ResourceId,
    string Region,
    string? DataZone,
    string Geography,
    string ModelId,
    string HostingOption,
    string? DeploymentType,
    string Boundary,
    int EligibleCount,
    int UsableNow,
    IReadOnlyList<PlannedBackendView> Backends,
    IReadOnlyList<LostFeatureView> FeaturesLost);

public sealed record PlannedBackendView(
    string Id,
    string Kind,
    string Region,
    string? DataZone,
    string OperatedBy,
    bool Eligible,
    bool UsableNow,
    IReadOnlyList<string> Reasons,
    string Why,
    string Health);

public sealed record LostFeatureView(string Feature, string ModelId, IReadOnlyList<string> AvailableIn, string Description);

// ---- model defaults ----

public sealed record SetModelDefaultRequest(string? DeploymentId);

public sealed record ModelDefaultView(string ModelId, string DeploymentId, string SetBy, DateTimeOffset SetAt);

// ---- the operator dashboard ----

/// <summary>One hour or one group of the operator dashboard: counts from the receipts, cost from the usage ledger.</summary>
/// <param name="Key">The hour (RFC 3339), tenant id, deployment id or backend name; empty for requests that never reached one.</param>
/// <param name="Name">The tenant's or deployment's name (the key again for an hour or a backend).</param>
/// <param name="Cost">Priced like the invoice (the offer's price in effect in that hour); null by backend, which the ledger does not record.</param>
public sealed record TrafficView(
    string Key, string Name, long Requests, long InputTokens, long OutputTokens, long Tokens, string? Cost, long Errors, long RateLimited, long Blocked, long FailClosed);

/// <param name="Hours">Every hour of the range, oldest first, zeros included, for the filters given.</param>
/// <param name="Filters">The tenant, deployment and backend filters applied (null: all).</param>
/// <param name="CostFiltered">False when a backend filter is applied: the cost then covers the tenant and deployment filters only.</param>
public sealed record DashboardView(
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset GeneratedAt,
    string Currency,
    DashboardFilters Filters,
    bool CostFiltered,
    TrafficView Totals,
    IReadOnlyList<TrafficView> Hours,
    IReadOnlyList<TrafficView> ByTenant,
    IReadOnlyList<TrafficView> ByDeployment,
    IReadOnlyList<TrafficView> ByBackend);

public sealed record DashboardFilters(string? Tenant, string? Deployment, string? Backend);

// ---- backends ----

/// <param name="RequestsLastMinute">Attempts in the last minute (twelve 5-second buckets, the newest partial).</param>
/// <param name="ErrorRateLastMinute">Errors ÷ requests of the last minute, 0–1; null when there were no requests.</param>
public sealed record BackendTrafficView(long Requests, long Errors, long RequestsLastMinute, long ErrorsLastMinute, double? ErrorRateLastMinute);

/// <summary>
/// One backend as this node sees it now. Like the dry run, it names the backend by id, kind, location and operator:
/// never its URL or credential.
/// </summary>
/// <param name="Region">Where it processes: a platform region, or a publisher's declared location (or "undeclared").</param>
/// <param name="Models">The models it serves; null for every model.</param>
/// <param name="Condition"><c>healthy</c>, <c>ejected</c> (after failed attempts), <c>probe_down</c> (its health probe fails), <c>overloaded</c> (at <c>max_in_flight</c>).</param>
/// <param name="Probed">Whether an active health probe asks it (HTTP backends); in-process backends are judged by their attempts only.</param>
/// <param name="LatencyMs">Moving average of the time to the first event; null until measured.</param>
public sealed record BackendView(
    string Id,
    string Kind,
    string Region,
    string? DataZone,
    string OperatedBy,
    IReadOnlyList<string>? Models,
    int? MaxInFlight,
    string Condition,
    string Health,
    bool Probed,
    DateTimeOffset? EjectedUntil,
    int ConsecutiveFailures,
    long InFlight,
    double? LatencyMs,
    BackendTrafficView Traffic);

/// <param name="Total">The traffic of every backend together.</param>
public sealed record BackendListView(DateTimeOffset At, int WindowSeconds, BackendTrafficView Total, IReadOnlyList<BackendView> Data);
