using Meridian.Core.Marketplace;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Snapshot;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Meridian.Gateway.Admin;

/// <summary>
/// <c>GET /admin/v1/backends</c> (operator only): the backends of this node's routing registry with their live health,
/// load and latency and their request and error counters. Everything comes from in-memory state the router keeps
/// anyway; nothing is read from a store. Another node of the same deployment has its own view.
/// </summary>
internal static class BackendHandlers
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

/// <summary>The backend list's counters as the handler answers them.</summary>
internal static class BackendViews
{
    extension(BackendTrafficView)
    {
        public static BackendTrafficView Of(TrafficCounts counts) => new(
            counts.Requests, counts.Errors, counts.RecentRequests, counts.RecentErrors,
            counts.RecentRequests == 0 ? null : Math.Round((double)counts.RecentErrors / counts.RecentRequests, 4));
    }
}
