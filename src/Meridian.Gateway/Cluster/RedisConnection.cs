using Meridian.Gateway.Configuration;
using StackExchange.Redis;

namespace Meridian.Gateway.Cluster;

/// <summary>
/// This node's one connection to the cluster's Redis (<c>--redis</c>), shared by the quota counter and the change
/// relay. It never blocks the node on Redis: the start does not wait for it (a node whose Redis is down starts in the
/// fallback mode), commands fail at once while it is disconnected instead of queueing, and it reconnects in the
/// background. Thread-safe.
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;

    public RedisConnection(GatewayOptions options)
    {
        Prefix = options.RedisPrefix;
        _multiplexer = ConnectionMultiplexer.Connect(Configure(options.Redis!));
    }

    /// <summary>Prefix of every key and channel (<c>--redis-prefix</c>).</summary>
    public string Prefix { get; }

    /// <summary>False while Redis is unreachable; the multiplexer keeps trying to reconnect.</summary>
    public bool IsConnected => _multiplexer.IsConnected;

    public IDatabase Database => _multiplexer.GetDatabase();

    public ISubscriber Subscriber => _multiplexer.GetSubscriber();

    /// <summary>Parses <c>--redis</c> and sets the timeouts a gateway wants; throws <see cref="InvalidOperationException"/> naming the setting.</summary>
    public static ConfigurationOptions Configure(string value)
    {
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(value);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"--redis / MERIDIAN_REDIS: '{value}' is not HOST:PORT or a Redis configuration string ({ex.Message}).", ex);
        }

        if (configuration.EndPoints.Count == 0)
        {
            throw new InvalidOperationException($"--redis / MERIDIAN_REDIS: '{value}' names no endpoint; expected HOST:PORT.");
        }

        configuration.AbortOnConnectFail = false;
        // A request must not wait for a Redis that is gone: fail at once and count in the node's fallback instead.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = 2_000;
        configuration.AsyncTimeout = 1_000;
        configuration.SyncTimeout = 1_000;
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        configuration.ClientName ??= "meridian-gateway";
        return configuration;
    }

    public void Dispose() => _multiplexer.Dispose();
}
