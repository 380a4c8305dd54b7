using Meridian.Gateway.Configuration;

namespace Meridian.Gateway.Backends;

/// <summary>The backends of a node and the boundary router over them: health probes, balancing, failover inside the boundary.</summary>
internal static class BackendServices
{
    public static IServiceCollection AddBackends(this IServiceCollection services, GatewayOptions options)
    {
        // A factory, not an instance: the container disposes what it created (in-process models hold native memory),
        // and the backends log through the host's logging.
        services.AddSingleton(new EndpointAddressGuard(options));
        services.AddSingleton(sp => new BackendCatalog(options, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(options.Routing);
        services.AddSingleton(sp => new BackendChooser(options.Routing, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<BoundaryRouter>();
        services.AddSingleton<BackendProbes>();
        services.AddHostedService(sp => sp.GetRequiredService<BackendProbes>());
        return services;
    }
}
