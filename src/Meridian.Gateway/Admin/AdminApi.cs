using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Gateway.Auth;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Admin;

/// <summary>The admin API's services: the marketplace and token stores, the authentication filter, JSON metadata.</summary>
internal static class AdminApi
{
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddSingleton(sp => new MarketplaceStore(sp.GetRequiredService<ControlStore>()));
        services.AddSingleton(sp => new AdminTokenStore(sp.GetRequiredService<ControlStore>()));
        services.AddSingleton(sp => new KeyHashRotation(sp.GetRequiredService<ControlStore>()));
        services.AddSingleton<OpenIdSignIn>();

        // Minimal-API JSON is used by the admin API only (the data plane writes its own bytes), so its options
        // are the admin API's: snake_case, source-generated metadata first. OpenAPI schemas follow the same options.
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Add(RoutingAdminJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Add(DashboardJsonContext.Default);
        });
        return services;
    }
}

/// <summary>
/// The routes of <c>/admin/v1</c> (docs/admin-api.md). Every route is behind <see cref="AdminAuthentication"/>, except
/// the two of <see cref="SignInHandlers"/> that lead to a session.
/// </summary>
internal static class AdminEndpoints
{
    public const string Prefix = "/admin/v1";

    public static void Map(IEndpointRouteBuilder app)
    {
        SignInHandlers.Map(app);
        var admin = app.MapGroup(Prefix)
            .AddEndpointFilter<AdminAuthentication>()
            .WithTags("admin")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapGet("/whoami", WorldHandlers.WhoAmI);
        admin.MapPost("/sign-out", SignInHandlers.SignOut);
        admin.MapGet("/world", WorldHandlers.GetWorld);
        admin.MapGet("/world/regions/{name}", WorldHandlers.GetRegion);
        admin.MapPut("/world/regions/{name}", WorldHandlers.PutRegion).WithBody<PutRegionRequest>();

        admin.MapGet("/publishers", OfferHandlers.ListPublishers);
        admin.MapPost("/publishers", OfferHandlers.CreatePublisher).WithBody<CreatePublisherRequest>();
        admin.MapGet("/publishers/{id}", OfferHandlers.GetPublisher);

        admin.MapGet("/offers", OfferHandlers.ListOffers);
        admin.MapPost("/offers", OfferHandlers.CreateOffer).WithBody<CreateOfferRequest>();
        admin.MapGet("/offers/{id}", OfferHandlers.GetOffer);
        admin.MapPatch("/offers/{id}", OfferHandlers.PatchOffer).WithBody<PatchOfferRequest>();
        admin.MapGet("/offers/{id}/terms", OfferHandlers.ListTerms);
        admin.MapPost("/offers/{id}/terms", OfferHandlers.PublishTerms).WithBody<PublishTermsRequest>();
        admin.MapGet("/offers/{id}/acceptances", OfferHandlers.ListAcceptances);

        admin.MapGet("/tenants", TenantHandlers.ListTenants);
        admin.MapPost("/tenants", TenantHandlers.CreateTenant).WithBody<CreateTenantRequest>();
        admin.MapGet("/tenants/{tenant}", TenantHandlers.GetTenant);
        admin.MapGet("/tenants/{tenant}/subscriptions", TenantHandlers.ListSubscriptions);
        admin.MapPost("/tenants/{tenant}/subscriptions", TenantHandlers.Subscribe).WithBody<SubscribeRequest>();
        admin.MapGet("/tenants/{tenant}/acceptances", TenantHandlers.ListAcceptances);
        admin.MapGet("/tenants/{tenant}/resources", TenantHandlers.ListResources);
        admin.MapPost("/tenants/{tenant}/resources", TenantHandlers.CreateResource).WithBody<CreateResourceRequest>();
        admin.MapGet("/resources/{resource}", TenantHandlers.GetResource);

        admin.MapGet("/resources/{resource}/deployments", DeploymentHandlers.List);
        admin.MapPost("/resources/{resource}/deployments", DeploymentHandlers.Create).WithBody<CreateDeploymentRequest>();
        admin.MapGet("/deployments/{id}", DeploymentHandlers.Get);
        admin.MapDelete("/deployments/{id}", DeploymentHandlers.Delete);
        admin.MapPut("/deployments/{id}/ingress", DeploymentHandlers.SetIngressAsync).WithBody<SetAllowedIngressRequest>();
        ReviewSettingsHandlers.Map(admin);
        ModelDefaultHandlers.Map(admin);

        admin.MapGet("/resources/{resource}/keys", KeyHandlers.List);
        admin.MapPost("/resources/{resource}/keys", KeyHandlers.Create).WithBody<CreateKeyRequest>(optional: true);
        admin.MapGet("/keys/{id}", KeyHandlers.Get);
        admin.MapPost("/keys/{id}/rotate", KeyHandlers.Rotate).WithBody<RotateKeyRequest>(optional: true);
        admin.MapPost("/keys/{id}/revoke", KeyHandlers.Revoke);

        admin.MapGet("/tokens", TokenHandlers.List);
        admin.MapPost("/tokens", TokenHandlers.Create).WithBody<CreateTokenRequest>();
        admin.MapGet("/tokens/{id}", TokenHandlers.Get);
        admin.MapPost("/tokens/{id}/revoke", TokenHandlers.Revoke);

        admin.MapGet("/audit", TokenHandlers.Audit);

        admin.MapGet("/tenants/{tenant}/boundary-report", BoundaryReportHandlers.Get);
        admin.MapGet("/tenants/{tenant}/receipts", ReceiptHandlers.List);
        admin.MapGet("/tenants/{tenant}/receipts/{requestId}", ReceiptHandlers.Get);
        admin.MapGet("/tenants/{tenant}/notices", WorldHandlers.TenantNotices);
        admin.MapGet("/backends", BackendHandlers.List);
        admin.MapGet("/metrics", MetricsHandlers.Get);
        admin.MapGet("/dashboard", DashboardHandlers.Get);

        BillingHandlers.Map(admin);

        admin.MapFallback((HttpContext context) =>
            AdminProblems.NotFound($"No admin endpoint {context.Request.Method} {context.Request.Path}; see /openapi/v1.json."));
    }
}
