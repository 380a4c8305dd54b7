using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using StackExchange.Redis;

namespace Meridian.Gateway.Cluster;

/// <summary>
/// Tells the other nodes of a cluster that the control store changed, so a revoked key, a new deployment or a changed
/// limit takes effect on every node at once rather than at its next generation poll (which stays as the safety net
/// for lost messages and Redis outages). Every mutation committed through this node publishes this node's id on
/// <c>{prefix}control-changed</c>; every node subscribes and, on a message from another node, refreshes its gateway
/// snapshot (rebuilt only when the generation moved).
/// </summary>
internal sealed partial class ControlChangeRelay(
    RedisConnection redis,
    ControlStore store,
    GatewaySnapshotProvider snapshots,
    ILogger<ControlChangeRelay> logger,
    TimeProvider time) : BackgroundService
{
    /// <summary>How often a node that could not subscribe (Redis down at start) tries again.</summary>
    private static readonly TimeSpan SubscribeRetry = TimeSpan.FromSeconds(1);

    private readonly RedisValue _nodeId = Guid.NewGuid().ToString("N");
    private readonly RedisChannel _channel = RedisChannel.Literal(redis.Prefix + "control-changed");

    private ChannelMessageQueue? _queue;

    /// <summary>Subscribes before the node takes traffic, so a node that is up never misses a change made after it started.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        store.Committed += Publish;
        try
        {
            _queue = await redis.Subscriber.SubscribeAsync(_channel);
        }
        catch (RedisException ex)
        {
            // Redis is down as the node starts: ExecuteAsync keeps trying; the poll applies changes meanwhile.
            Log.SubscribeFailed(logger, ex);
        }

        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        store.Committed -= Publish;
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Once subscribed, the multiplexer re-subscribes by itself after a reconnect; only a first subscription that
        // failed (Redis down at start) is retried here, followed by a reload for what changed in between.
        var queue = _queue;
        while (queue is null)
        {
            await Task.Delay(SubscribeRetry, time, stoppingToken);
            try
            {
                queue = await redis.Subscriber.SubscribeAsync(_channel);
                Reload();
            }
            catch (RedisException)
            {
                // Still down; the warning was logged once at start.
            }
        }

        try
        {
            await foreach (var message in queue.WithCancellation(stoppingToken))
            {
                if (message.Message != _nodeId)
                {
                    Reload();
                }
            }
        }
        finally
        {
            try
            {
                await queue.UnsubscribeAsync();
            }
            catch (RedisException)
            {
                // Stopping while Redis is down: nothing to unsubscribe from.
            }
        }
    }

    private void Reload()
    {
        try
        {
            snapshots.Refresh();
        }
        catch (Exception ex)
        {
            // The poll retries; a failed reload keeps the previous snapshot.
            Log.ReloadFailed(logger, ex);
        }
    }

    /// <summary>Runs on the committing thread: hands the message to the multiplexer and returns without waiting.</summary>
    private void Publish()
    {
        try
        {
            redis.Subscriber.Publish(_channel, _nodeId, CommandFlags.FireAndForget);
        }
        catch (RedisException ex)
        {
            // Redis is down: the other nodes see the change at their next poll.
            Log.PublishFailed(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1810, Level = LogLevel.Debug, Message = "Could not publish a control-store change; the other nodes will see it at their next poll")]
        public static partial void PublishFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1811, Level = LogLevel.Warning, Message = "Could not subscribe to control-store changes; retrying (the generation poll still applies them)")]
        public static partial void SubscribeFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1812, Level = LogLevel.Warning, Message = "Rebuilding the gateway snapshot after a change on another node failed; the poll will retry")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);
    }
}
