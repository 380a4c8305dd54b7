namespace Meridian.Gateway.Portal;

/// <summary>
/// The web portal at <c>/portal</c>: the single-page app built from <c>web/</c> into the <c>portal/</c> folder of the
/// gateway's output (see Portal.targets). It is a client of the admin API like the CLI, with no backend of its own.
/// </summary>
internal static partial class PortalEndpoints
{
    public const string Prefix = "/portal";

    /// <summary>The folder the build copies the portal into, next to the running assembly.</summary>
    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "portal");

    public static void Map(WebApplication app) => Map(app, DefaultFolder, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PortalEndpoints)));

    public static void Map(IEndpointRouteBuilder app, string folder, ILogger logger)
    {
        // Read the files on the first request, not at start: most processes (tests, CLI nodes) never serve the portal.
        var assets = new Lazy<PortalAssets>(() => PortalAssets.Load(folder), LazyThreadSafetyMode.ExecutionAndPublication);
        if (!PortalAssets.Exists(folder))
        {
            Log.NotBuilt(logger, folder);
        }

        // "{**path}" also matches "/portal" itself; both GET and HEAD, as a static file server answers.
        app.MapMethods(Prefix + "/{**path}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string? path) => assets.Value.WriteAsync(context, path))
            .ExcludeFromDescription();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4900, Level = LogLevel.Warning,
            Message = "The web portal is not built into this gateway ({Folder} is missing): /portal answers 404. Install Node.js 20.19+ and npm, then rebuild.")]
        public static partial void NotBuilt(ILogger logger, string folder);
    }
}
