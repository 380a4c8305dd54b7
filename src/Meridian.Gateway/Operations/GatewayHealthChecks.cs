using Meridian.Gateway.Backends;
using Meridian.Gateway.Cluster;
using Meridian.Gateway.Records;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using Meridian.Storage.Sql;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meridian.Gateway.Operations;

/// <summary>Ready only between the server's start and the start of its stop (<see cref="NodeLifecycle"/>).</summary>
internal sealed class LifecycleHealthCheck(NodeLifecycle lifecycle) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifecycle.Stage switch
        {
            NodeStage.Ready => HealthCheckResult.Healthy("ready"),
            NodeStage.Starting => HealthCheckResult.Unhealthy("starting"),
            _ => HealthCheckResult.Unhealthy("draining"),
        });
}

/// <summary>
/// The control store and every geography's store answer a trivial query. A store that cannot be reached makes the node
/// unready: it would refuse every request (no snapshot refresh, no record commit).
/// </summary>
internal sealed class StoresHealthCheck(ControlStore control, GeographyStores geographies) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = new Dictionary<string, object>(StringComparer.Ordinal);
        // Off the calling thread: a PostgreSQL connect that hangs must not outlive the check's timeout.
        await Ping("control", control.Database, down).WaitAsync(cancellationToken);
        foreach (var store in geographies.All)
        {
            await Ping("geography " + store.Geography, store.Database, down).WaitAsync(cancellationToken);
        }

        return down.Count == 0
            ? HealthCheckResult.Healthy($"{geographies.All.Count + 1} stores answer")
            : HealthCheckResult.Unhealthy($"{down.Count} store(s) do not answer", data: down);
    }

    private static Task Ping(string name, SqlDatabase database, Dictionary<string, object> down) => Task.Run(() =>
    {
        try
        {
            // Retried like any store read: after a server restart the pool's idle connections are dead, and a probe
            // that failed on one of them would report a store that is back as down.
            TransientStoreFailures.Read(() =>
            {
                using var connection = database.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                return command.ExecuteScalar();
            });
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException or IOException)
        {
            lock (down)
            {
                down[name] = ex.GetType().Name;
            }
        }
    });
}

/// <summary>Redis connected and used for shared quotas: healthy; unreachable, quotas counted per node: degraded.</summary>
internal sealed class RedisHealthCheck(RedisConnection redis, RedisQuotaCounter quotas) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(redis.IsConnected && !quotas.Degraded
            ? HealthCheckResult.Healthy("connected; quotas shared")
            : HealthCheckResult.Degraded("in fallback: quotas counted per node (limit / nodes), changes seen by polling"));
}

/// <summary>
/// Every deployment has at least one backend inside its boundary that is neither ejected nor probed down. One that has
/// none is answered 503 (fail closed) until one comes back: the node is degraded, not unready, since its other
/// deployments still work and another node would route that one no differently.
/// </summary>
internal sealed class BackendsHealthCheck(GatewaySnapshotProvider snapshots, TimeProvider time) : IHealthCheck
{
    private const int MaxNamed = 20;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = snapshots.Current;
        var now = time.GetUtcNow();
        var deployments = 0;
        var stranded = new List<string>();
        foreach (var deployment in snapshot.ResourceDeployments.Values.SelectMany(d => d))
        {
            deployments++;
            var usable = false;
            foreach (var backend in snapshot.Backends.Eligible(deployment).Backends)
            {
                if (backend.State.ConditionAt(now, backend.MaxInFlight) is BackendCondition.Healthy or BackendCondition.Overloaded)
                {
                    usable = true;
                    break;
                }
            }

            if (!usable)
            {
                stranded.Add(deployment.DeploymentId);
            }
        }

        if (stranded.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"{deployments} deployments each have a healthy backend inside their boundary"));
        }

        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["deployments_without_healthy_backend"] = stranded.Take(MaxNamed).ToArray() };
        return Task.FromResult(HealthCheckResult.Degraded($"{stranded.Count} of {deployments} deployments have no healthy backend inside their boundary", data: data));
    }
}

/// <summary>The record writers keep up: degraded when a geography's queue is more than half full (its store is slow or down).</summary>
internal sealed class RecordWritersHealthCheck(RecordWriter writer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var backlog = new Dictionary<string, object>(StringComparer.Ordinal);
        var total = 0;
        foreach (var (geography, depth) in writer.QueueDepths())
        {
            total += depth;
            if (depth > RecordWriter.LaneCapacity / 2)
            {
                backlog[geography] = depth;
            }
        }

        return Task.FromResult(backlog.Count == 0
            ? HealthCheckResult.Healthy($"{total} records queued")
            : HealthCheckResult.Degraded($"record queues more than half full (capacity {RecordWriter.LaneCapacity})", data: backlog));
    }
}
