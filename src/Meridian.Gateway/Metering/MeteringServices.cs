using Meridian.Gateway.Admin;
using Meridian.Gateway.Billing;

namespace Meridian.Gateway.Metering;

internal static class MeteringServices
{
    /// <summary>Quotas, budgets and billing (docs/metering.md).</summary>
    public static IServiceCollection AddMetering(this IServiceCollection services)
    {
        services.AddSingleton<IQuotaCounter, InMemoryQuotaCounter>();
        services.AddSingleton<BudgetTracker>();
        services.AddSingleton<AdmissionControl>();
        services.AddSingleton(new BillingOptions());
        services.AddSingleton<BillingService>();
        services.AddSingleton<HourlyUsageFolder>();
        services.AddHostedService(sp => sp.GetRequiredService<HourlyUsageFolder>());
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(BillingJsonContext.Default));
        return services;
    }
}
