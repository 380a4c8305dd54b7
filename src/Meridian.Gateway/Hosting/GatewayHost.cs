using System.Net;
using Meridian.Core.Keys;
using Meridian.Gateway.Admin;
using Meridian.Gateway.Backends;
using Meridian.Gateway.Cluster;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.DataPlane;
using Meridian.Gateway.DataPlane.OpenAi;
using Meridian.Gateway.Http;
using Meridian.Gateway.Metering;
using Meridian.Gateway.Operations;
using Meridian.Gateway.Snapshot;
using Meridian.Gateway.Safeguards;
using Meridian.Protocol.Errors;
using Meridian.Protocol.Messages;
using Meridian.Storage.Control;
using Meridian.Storage.Geography;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Meridian.Gateway.Hosting;

/// <summary>Builds one gateway node: stores, snapshot, backends, the data plane routes and the middleware around them.</summary>
public static class GatewayHost
{
    public static (WebApplication App, DemoReport Demo) Build(GatewayOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        if (options.TermsNotice < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"The terms notice period (--terms-notice-days / MERIDIAN_TERMS_NOTICE_DAYS) must not be negative, not {options.TermsNotice}.");
        }

        var data = new DataDirectory(options.DataDirectory);
        var storage = options.StorageIn(data.Path);
        if (storage.Problem() is { } problem)
        {
            throw new InvalidOperationException($"The store settings are not usable: {problem}.");
        }

        var control = new ControlStore(storage.OpenControl());
        // Secrets come from the data folder (created there on first start) or from a mounted secrets folder that must
        // hold them all: the world's geographies are known once the control store is open.
        var secrets = options.SecretsDirectory is { } mounted
            ? NodeSecretFiles.RequireMounted(mounted, NodeSecretFiles.Needed(control.LoadWorld().Geographies, options))
            : data.Path;
        var keyHashSecret = DataDirectory.LoadOrCreateKeyHashSecret(secrets);
        // A rotation's other key-hash secret (staged next, or previous): keys stored under it still authenticate.
        var keyHashOverlap = NodeSecretFiles.Overlap(secrets, NodeSecretFiles.KeyHash).ToDictionary(o => o.Stage, o => Convert.FromHexString(o.Text));
        var hasher = new ApiKeyHasher(keyHashSecret, keyHashOverlap.GetValueOrDefault(NodeSecretFiles.Next), keyHashOverlap.GetValueOrDefault(NodeSecretFiles.Previous));
        // On a shared store, before anything is seeded or bootstrapped into it: a node with other secrets stops here.
        var shared = storage.Engine == Storage.Sql.StoreEngine.Postgres;
        if (shared)
        {
            NodeSecrets.Verify(control, NodeSecrets.Node(secrets, keyHashSecret, [.. keyHashOverlap.Values], options), TimeProvider.System.GetUtcNow());
        }

        var demo = DemoBootstrap.Run(control, hasher, options, TimeProvider.System.GetUtcNow());
        var world = control.LoadWorld();
        if (options.SecretsDirectory is not null)
        {
            NodeSecretFiles.RequireMounted(secrets, NodeSecretFiles.Needed(world.Geographies, options)); // the world as seeded
        }

        if (!world.TryGetRegion(options.IngressRegion, out _))
        {
            throw new InvalidOperationException(
                $"The ingress region '{options.IngressRegion}' (--region / MERIDIAN_REGION) is not a region of this world; known: {string.Join(", ", world.Regions.Select(r => r.Name))}.");
        }

        // No configuration file is read, so nothing is watched for changes: reloading watches the content root (the
        // current directory) recursively, one inotify watch per folder — 10,908 of them when started from /tmp.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            ConfigureConsoleLogging(builder.Logging, options);
        }
        else
        {
            configureLogging(builder.Logging);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MessagesRequestParser.MaxBodyBytes;
            kestrel.Listen(IPAddress.Parse(options.BindAddress), options.Port, ServerRejections.Use);
            if (options.MetricsPort is { } metricsPort)
            {
                kestrel.Listen(IPAddress.Parse(options.BindAddress), metricsPort);
            }
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        // Factories, not instances, so the container disposes the stores (closing PostgreSQL pools) after the hosted
        // services stopped and the record writer flushed.
        services.AddSingleton(_ => control);
        services.AddSingleton(hasher);
        services.AddSingleton(_ => new GeographyStores(storage, world));
        services.AddBackends(options);
        services.AddSingleton<GatewaySnapshotProvider>();
        services.AddHostedService<ControlChangePoller>();
        services.AddMetering();
        services.AddCluster(options);
        services.AddSafeguards(options, secrets);
        services.AddDataPlane(secrets, options.ReceiptSigningKey);
        services.AddSingleton(Records.NodeIdentity.For(options));
        services.AddOpenAiDoor();
        services.AddAdminApi();
        services.AddOpenApi(AdminOpenApi.Configure);
        services.AddGatewayHealthChecks(redis: options.Redis is not null, options.UnreadyBeforeStop);
        // On SIGTERM the server stops accepting and gives in-flight requests and streams this long to finish; the
        // record writers then flush whatever they accepted, however long that takes (they never drop a record).
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.UnreadyBeforeStop + options.DrainTimeout);
        services.AddSingleton<GatewayTelemetry>();
        services.AddSingleton<LiveMetrics>();
        // Traces and metrics cost 5–8 µs per request (bench/results), so they are collected only when they go somewhere:
        // set OTEL_EXPORTER_OTLP_ENDPOINT (and the other standard OTEL_* variables) to export both over OTLP, and/or
        // --metrics-port to serve metrics to a Prometheus scraper on a port of their own.
        // The host's configuration holds the environment, which the OTLP exporter reads its OTEL_* settings from too.
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (otlp || options.MetricsPort is not null)
        {
            var telemetry = services.AddOpenTelemetry()
                .WithMetrics(metrics =>
                {
                    metrics.AddMeter(GatewayOptions.TelemetryName).AddAspNetCoreInstrumentation();
                    if (options.MetricsPort is not null)
                    {
                        metrics.AddPrometheusExporter();
                    }
                });
            if (otlp)
            {
                telemetry.WithTracing(tracing => tracing.AddSource(GatewayOptions.TelemetryName).AddAspNetCoreInstrumentation()).UseOtlpExporter();
            }
        }

        var app = builder.Build();
        if (options.MetricsPort is { } scrapePort)
        {
            app.MapMetricsPort(scrapePort);
        }

        app.UseMiddleware<ErrorHandlingMiddleware>();
        if (options.LogFormat == LogFormat.Json)
        {
            app.UseMiddleware<RequestLogScope>();
        }

        app.MapDataPlane();
        app.MapOpenAiDoor();
        AdminEndpoints.Map(app);
        app.MapSafeguards();
        app.MapOpenApi();
        Portal.PortalEndpoints.Map(app);
        app.MapGatewayHealth();
        app.MapFallback(context => ErrorResponses.WriteAsync(context, ApiError.NotFound($"Not found: {context.Request.Method} {context.Request.Path}")));
        // Build the backends and the first snapshot now (in-process models load here), so a bad config stops the start.
        app.Services.GetRequiredService<BackendCatalog>().ValidateAgainst(world);
        app.Services.GetRequiredService<GatewaySnapshotProvider>().Refresh();
        var caseKeys = app.Services.GetRequiredService<CaseKeyRing>();
        caseKeys.EnsureKeys(world.Geographies);
        if (shared)
        {
            NodeSecrets.Verify(control, NodeSecrets.CaseKeys(caseKeys, world.Geographies), TimeProvider.System.GetUtcNow());
        }
        app.Services.GetRequiredService<NodeLifecycle>(); // from now on it follows the lifetime: starting → ready → draining

        return (app, demo);
    }

    /// <summary>
    /// The console log: text lines by default; with <see cref="LogFormat.Json"/> one JSON object a line, each carrying
    /// the scopes of the request that wrote it (<c>RequestId</c>, and <c>TraceId</c>/<c>SpanId</c> from the current
    /// activity). Levels: <see cref="GatewayOptions.LogLevel"/>, then one filter per named category. What is logged is
    /// ids, names and counts (every message is a <c>[LoggerMessage]</c>): never a key, token, prompt or answer.
    /// </summary>
    private static void ConfigureConsoleLogging(ILoggingBuilder logging, GatewayOptions options)
    {
        if (options.LogFormat == LogFormat.Json)
        {
            logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
        else
        {
            logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        logging.SetMinimumLevel(options.LogLevel);
        foreach (var (category, level) in options.LogLevels)
        {
            logging.AddFilter(category, level);
        }
    }
}
