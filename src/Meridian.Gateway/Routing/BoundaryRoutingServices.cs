using Meridian.Gateway.Admin;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Receipts;

namespace Meridian.Gateway.Routing;

/// <summary>
/// Wires the boundary router (health, balancing, failover), the receipt signer and the routing and compliance
/// endpoints into a gateway node: <c>GET /v1/receipts</c>, <c>/.well-known/meridian-receipt-key</c>,
/// <c>GET /admin/v1/tenants/{tenant}/boundary-report</c> and <c>GET /admin/v1/backends</c>.
/// </summary>
public static class BoundaryRoutingServices
{
    public const string ReceiptKeyPath = "/.well-known/meridian-receipt-key";

    public static IServiceCollection AddBoundaryRouting(this IServiceCollection services, GatewayOptions options, string dataDirectory)
    {
        services.AddSingleton(options.Routing);
        services.AddSingleton(sp => new BackendChooser(options.Routing, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<BoundaryRouter>();
        services.AddSingleton<BackendProbes>();
        services.AddHostedService(sp => sp.GetRequiredService<BackendProbes>());
        services.AddSingleton(_ => ReceiptSigner.LoadOrCreate(dataDirectory, options.ReceiptSigningKey));
        services.AddSingleton<ReceiptListEndpoint>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(RoutingAdminJsonContext.Default));
        return services;
    }

    public static void MapBoundaryRouting(this IEndpointRouteBuilder app)
    {
        app.MapGet(ReceiptKeyPath, (HttpContext c, ReceiptListEndpoint e) => e.PublicKeyAsync(c));
        foreach (var prefix in new[] { "/v1", "/anthropic/v1" })
        {
            app.MapGet(prefix + "/receipts", (HttpContext c, ReceiptListEndpoint e) => e.ListAsync(c));
        }

        var admin = app.MapGroup(AdminEndpoints.Prefix)
            .AddEndpointFilter<AdminAuthentication>()
            .WithTags("admin")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/tenants/{tenant}/boundary-report", BoundaryReportHandlers.Get);
        admin.MapGet("/backends", BackendHandlers.List);
    }
}
