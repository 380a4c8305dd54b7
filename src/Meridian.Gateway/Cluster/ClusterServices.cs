using Meridian.Gateway.Configuration;
using Meridian.Gateway.Metering;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meridian.Gateway.Cluster;

internal static class ClusterServices
{
    /// <summary>
    /// With <c>--redis</c>: quota buckets shared through Redis and change notifications between nodes
    /// (docs/scale-out.md). Without it nothing changes: quotas in memory, changes seen by the generation poll.
    /// Call after <c>AddMetering</c>.
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services, GatewayOptions options)
    {
        if (options.Redis is null)
        {
            return services;
        }

        if (options.ExpectedNodes < 1)
        {
            throw new InvalidOperationException($"--nodes / MERIDIAN_NODES must be at least 1, not {options.ExpectedNodes}.");
        }

        if (string.IsNullOrWhiteSpace(options.RedisPrefix))
        {
            throw new InvalidOperationException("--redis-prefix / MERIDIAN_REDIS_PREFIX must not be empty.");
        }

        RedisConnection.Configure(options.Redis); // a bad --redis stops the start here, with a message naming it
        services.AddSingleton<RedisConnection>();
        services.AddSingleton<RedisQuotaCounter>();
        services.Replace(ServiceDescriptor.Singleton<IQuotaCounter>(sp => sp.GetRequiredService<RedisQuotaCounter>()));
        services.AddHostedService<ControlChangeRelay>();
        return services;
    }
}
