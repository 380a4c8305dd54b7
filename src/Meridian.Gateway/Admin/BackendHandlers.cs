using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Snapshot;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <param name="RequestsLastMinute">Attempts in the last minute (twelve 5-second buckets, the newest partial).</param>
/// <param name="ErrorRateLastMinute">Errors ÷ requests of the last minute, 0–1; null when there were no requests.</param>
public sealed record BackendTrafficView(long Requests, long Errors, long RequestsLastMinute, long ErrorsLastMinute, double? ErrorRateLastMinute)
{
    public static BackendTrafficView Of(TrafficCounts counts) => new(
        counts.Requests, counts.Errors, counts.RecentRequests, counts.RecentErrors,
        counts.RecentRequests == 0 ? null : Math.Round((double)counts.RecentErrors / counts.RecentRequests, 4));
}

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

/// <summary>
/// <c>GET /admin/v1/backends</c> (operator only): the backends of this node's routing registry with their live health,
/// load and latency and their request and error counters. Everything comes from in-memory state the router keeps
/// anyway; nothing is read from a store. Another node of the same deployment has its own view.
/// </summary>
public static class BackendHandlers
{
    public static Results<Ok<BackendListView>, ProblemHttpResult> List(HttpContext context, GatewaySnapshotProvider snapshots, TimeProvider time)
    {
        if (AccessProblems.Check(AdminAuthentication.CallerOf(context).OperatorOnly(), string.Empty, "Only an operator-admin sees the backends.") is { } denied)
        {
            return denied;
        }

        var now = time.GetUtcNow();
        var backends = snapshots.Current.Backends.All;
        var views = new List<BackendView>(backends.Count);
        long requests = 0, errors = 0, recentRequests = 0, recentErrors = 0;
        foreach (var backend in backends)
        {
            var state = backend.State;
            var traffic = state.Traffic.Read(now);
            requests += traffic.Requests;
            errors += traffic.Errors;
            recentRequests += traffic.RecentRequests;
            recentErrors += traffic.RecentErrors;
            var condition = state.ConditionAt(now, backend.MaxInFlight);
            views.Add(new BackendView(
                backend.Id,
                backend.Kind,
                backend.ProcessingLocation,
                ZoneOf(backend.Placement),
                backend.Placement.OperatedBy,
                backend.Models?.Order(StringComparer.Ordinal).ToList(),
                backend.MaxInFlight,
                WireName(condition),
                BoundaryRouter.Describe(condition),
                backend.Client is IBackendProbe,
                state.EjectedUntil is { } until && until > now ? until : null,
                state.ConsecutiveFailures,
                state.InFlight,
                state.LatencyMs > 0 ? Math.Round(state.LatencyMs, 1) : null,
                BackendTrafficView.Of(traffic)));
        }

        return TypedResults.Ok(new BackendListView(
            now, (int)BackendTraffic.Window.TotalSeconds, BackendTrafficView.Of(new TrafficCounts(requests, errors, recentRequests, recentErrors)), views));
    }

    /// <summary>A platform region's data zone; null for a region without one and for publishers (outside every zone).</summary>
    private static string? ZoneOf(BackendPlacement placement) =>
        placement.OperatedBy == BackendPlacement.Platform && !string.IsNullOrEmpty(placement.DataZone) ? placement.DataZone : null;

    private static string WireName(BackendCondition condition) => condition switch
    {
        BackendCondition.Ejected => "ejected",
        BackendCondition.ProbeDown => "probe_down",
        BackendCondition.Overloaded => "overloaded",
        _ => "healthy",
    };
}
