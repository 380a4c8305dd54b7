using Meridian.Gateway.Admin;
using Meridian.Gateway.Billing;

namespace Meridian.Gateway.Metering;

public static class MeteringServices
{
    /// <summary>Quotas, budgets, the metering snapshot and billing (docs/metering.md).</summary>
    public static IServiceCollection AddMetering(this IServiceCollection services)
    {
        services.AddSingleton<MeteringSnapshotProvider>();
        services.AddSingleton<IQuotaCounter, InMemoryQuotaCounter>();
        services.AddSingleton<BudgetTracker>();
        services.AddSingleton<AdmissionControl>();
        services.AddSingleton<MeteringService>();
        services.AddSingleton(new BillingOptions());
        services.AddSingleton<BillingService>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(BillingJsonContext.Default));
        return services;
    }
}
