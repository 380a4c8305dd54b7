using Meridian.Gateway.Admin;
using Meridian.Gateway.Configuration;
using Meridian.Safeguards;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;

namespace Meridian.Gateway.Safeguards;

/// <summary>
/// Wires safeguards into a gateway node: the screener and policies the data plane uses, case sealing, the retention purge, the review API (<c>/admin/v1/cases</c>) and suspensions (<c>/admin/v1/suspensions</c>).
/// </summary>
internal static class SafeguardServices
{
    public static IServiceCollection AddSafeguards(this IServiceCollection services, GatewayOptions options, string dataDirectory)
    {
        services.AddSingleton(options.Safeguards);
        services.AddSingleton(sp => new Screener(
            [
                .. Screener.BuiltInClassifiers(),
                .. options.Safeguards.HttpClassifiers.Select(c => new HttpClassifier(ClassifierClient.Value, c)),
                .. options.Safeguards.GuardModels.Select(g => new GuardModelClassifier(ClassifierClient.Value, g)),
            ],
            sp.GetRequiredService<ILogger<Screener>>(),
            new ScreenerOptions { StreamMinReleaseChars = options.Safeguards.StreamMinReleaseChars }));
        services.AddSingleton(LoadPolicies(options.Safeguards));
        services.AddSingleton(_ => new CaseKeyRing(options.Safeguards, dataDirectory));
        services.AddSingleton<CasePurger>();
        services.AddHostedService(sp => sp.GetRequiredService<CasePurger>());
        services.AddSingleton<RequestSafeguards>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(CaseJsonContext.Default));
        return services;
    }

    // One client for every external classifier of the process: pooled connections, no proxy, short connect timeout
    // (each call also has its classifier's own deadline).
    private static readonly Lazy<HttpClient> ClassifierClient = new(() => new HttpClient(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    });

    public static void MapSafeguards(this IEndpointRouteBuilder app)
    {
        // A policy naming a classifier this node does not run would fail every request it screens: stop the start instead.
        var problems = app.ServiceProvider.GetRequiredService<Screener>().Validate(app.ServiceProvider.GetRequiredService<SafeguardPolicySet>());
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Safeguards.PolicyFile ({SafeguardsOptions.PolicyFileEnv}): {string.Join("; ", problems)}");
        }

        var admin = app.MapGroup(AdminEndpoints.Prefix)
            .AddEndpointFilter<AdminAuthentication>()
            .WithTags("admin")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        CaseHandlers.Map(admin);
        TenantCaseHandlers.Map(admin);
        SuspensionHandlers.Map(admin);
    }

    private static SafeguardPolicySet LoadPolicies(SafeguardsOptions options)
    {
        if (options.PolicyFile is not { Length: > 0 } path)
        {
            return SafeguardPolicySet.BuiltIn;
        }

        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Safeguards.PolicyFile ({SafeguardsOptions.PolicyFileEnv}): cannot read '{path}': {ex.Message}", ex);
        }

        return SafeguardPolicySet.TryParse(json, out var policies, out var error)
            ? policies
            : throw new InvalidOperationException($"Safeguards.PolicyFile ({SafeguardsOptions.PolicyFileEnv}) '{path}': {error}");
    }
}
