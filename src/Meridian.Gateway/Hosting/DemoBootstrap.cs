using Meridian.Core.Keys;
using Meridian.Gateway.Admin;
using Meridian.Gateway.Configuration;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Hosting;

/// <summary>What the start banner needs to tell about the demo marketplace.</summary>
/// <param name="NewDemoKey">The demo API key when it was created by this start (shown once), else null.</param>
public sealed record DemoReport(bool Seeded, string? NewDemoKey, string DeploymentName)
{
    /// <summary>The operator-admin token when it was created by this start (shown once), else null.</summary>
    public string? NewAdminToken { get; init; }
}

internal static class DemoBootstrap
{
    public static DemoReport Run(ControlStore store, ApiKeyHasher hasher, GatewayOptions options, DateTimeOffset now)
    {
        var seeded = options.SeedDemo && DemoSeed.SeedIfEmpty(store, now);
        string? shownKey = null;
        if (!string.IsNullOrWhiteSpace(options.DemoKey))
        {
            DemoSeed.EnsureDemoKey(store, hasher, options.DemoKey.Trim(), now);
        }
        else if (seeded)
        {
            shownKey = ApiKeyFormat.NewKey();
            DemoSeed.EnsureDemoKey(store, hasher, shownKey, now);
        }

        var adminToken = AdminBootstrap.Run(store, hasher, options, now);
        return new DemoReport(seeded, shownKey, DemoSeed.DeploymentName) { NewAdminToken = adminToken };
    }
}
