using System.CommandLine;
using System.Data.Common;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Configuration;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian serve</c>: one gateway node on the embedded stores, with the demo marketplace.</summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var port = new Option<int?>("--port") { Description = $"Port to listen on (env MERIDIAN_PORT; default {GatewayOptions.DefaultPort})." };
        var data = new Option<string?>("--data") { Description = "Data folder for the embedded stores (env MERIDIAN_DATA; default ./data)." };
        var secretsDir = new Option<string?>("--secrets-dir")
        {
            Description = "Read the node's secret files from this folder (a mounted secret; env MERIDIAN_SECRETS_DIR) instead of the data folder; nothing is created there. See `meridian secrets`.",
        };
        var demoKey = new Option<string?>("--demo-key") { Description = "Use this API key for the demo tenant (env MERIDIAN_DEMO_KEY) instead of generating one." };
        var adminToken = new Option<string?>("--admin-token") { Description = "Use this operator-admin token (env MERIDIAN_ADMIN_TOKEN) instead of generating one on first start." };
        var region = new Option<string?>("--region") { Description = "Region of this node's ingress (env MERIDIAN_REGION; default eastus)." };
        var bind = new Option<string?>("--bind") { Description = "Address to bind (env MERIDIAN_BIND; default 127.0.0.1)." };
        var tokenDelay = new Option<int?>("--simulator-token-delay-ms") { Description = "Simulated per-token latency of the built-in simulator, in milliseconds (env MERIDIAN_SIMULATOR_TOKEN_DELAY_MS)." };
        var upstream = new Option<string?>("--upstream")
        {
            Description = "Forward platform traffic to this Anthropic-compatible upstream (e.g. http://127.0.0.1:9090 from `meridian simulate`; env MERIDIAN_UPSTREAM) instead of the in-process simulator; its key comes from env MERIDIAN_UPSTREAM_API_KEY.",
        };
        var config = new Option<string?>("--config") { Description = "JSON file declaring the backends (env MERIDIAN_CONFIG); see docs/backends.md." };
        var policies = new Option<string?>("--safeguard-policies")
        {
            Description = "JSON file of named safeguard policies deployments select by name (env MERIDIAN_SAFEGUARD_POLICIES); see docs/safeguards.md.",
        };
        var classifiers = new Option<string[]>("--classifier")
        {
            Description = "NAME=URL of an external classifier policies can name (repeatable; env MERIDIAN_CLASSIFIER_URL_<NAME>; "
                + "bearer token from env MERIDIAN_CLASSIFIER_TOKEN_<NAME>); see docs/safeguards.md.",
        };
        var classifierTimeout = new Option<int?>("--classifier-timeout-ms") { Description = "Deadline of one external classifier call (env MERIDIAN_CLASSIFIER_TIMEOUT_MS; default 2000); then the policy's on_classifier_failure decides." };
        var minRelease = new Option<int?>("--stream-min-release-chars")
        {
            Description = $"Output screening rescans only after this many more chars (env {SafeguardsOptions.StreamMinReleaseCharsEnv}; default 0: "
                + "after every delta); e.g. 64 cuts stream screening CPU about threefold, releasing text in steps that size. See docs/safeguards.md.",
        };
        var redis = new Option<string?>("--redis")
        {
            Description = "HOST:PORT of a Redis shared by several nodes (env MERIDIAN_REDIS): cluster-wide quotas and instant change propagation; see docs/scale-out.md. Off by default.",
        };
        var redisPrefix = new Option<string?>("--redis-prefix") { Description = $"Prefix of this cluster's Redis keys and channels (env MERIDIAN_REDIS_PREFIX; default {GatewayOptions.DefaultRedisPrefix})." };
        var nodes = new Option<int?>("--nodes") { Description = "Expected number of nodes (env MERIDIAN_NODES; default 1): while Redis is unreachable each node enforces limit/N of every quota." };
        var nodeName = new Option<string?>("--node-name")
        {
            Description = "This node's name (env MERIDIAN_NODE_NAME; default host:port): names its receipt logs, so keep it stable across restarts and unique among nodes sharing a store.",
        };
        var termsNotice = new Option<int?>("--terms-notice-days")
        {
            Description = "Days before an offer's price or retention change binds tenants subscribed before it, unless they accept sooner "
                + $"(env MERIDIAN_TERMS_NOTICE_DAYS; default {GatewayOptions.DefaultTermsNotice.TotalDays}); see docs/admin-api.md, \"Terms\".",
        };
        var drain = new Option<int?>("--drain-seconds")
        {
            Description = $"On SIGTERM, how long in-flight requests and streams may take to finish before they are cut (env MERIDIAN_DRAIN_SECONDS; default {GatewayOptions.DefaultDrainTimeout.TotalSeconds}); records are flushed after that regardless.",
        };
        var drainDelay = new Option<int?>("--drain-delay-seconds")
        {
            Description = "On SIGTERM, how long to keep accepting requests while /readyz already answers draining, so a load balancer takes the node out of rotation first (env MERIDIAN_DRAIN_DELAY_SECONDS; default 0).",
        };
        var metricsPort = new Option<int?>("--metrics-port")
        {
            Description = "Serve Prometheus metrics at /metrics on this port, apart from the data plane (env MERIDIAN_METRICS_PORT; off by default); see README, \"Operating Meridian\".",
        };
        var maxInFlight = new Option<int?>("--max-in-flight")
        {
            Description = $"Model requests this node takes at once, all keys together (env MERIDIAN_MAX_IN_FLIGHT; default {GatewayOptions.DefaultMaxRequestsInFlight}); "
                + "past it a request is answered 529 overloaded_error with Retry-After at once, never queued.",
        };
        var allowNetworks = new Option<string[]>("--allow-backend-network")
        {
            Description = "An internal address range (CIDR, e.g. 127.0.0.0/8 or 10.0.0.0/8) that publisher endpoints set through the admin API may point at "
                + "(repeatable; env MERIDIAN_ALLOW_BACKEND_NETWORK, ';'-separated). By default loopback, private, link-local and metadata addresses are refused.",
        };
        var logFormat = new Option<string?>("--log-format") { Description = "Console logs as 'text' (default) or 'json': one object a line with the request id and trace id (env MERIDIAN_LOG_FORMAT)." };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var logLevels = new Option<string[]>("--log-level")
        {
            Description = "LEVEL, or CATEGORY=LEVEL for one category prefix (repeatable; env MERIDIAN_LOG_LEVEL, ';'-separated); default Warning. "
                + "E.g. --log-level Information --log-level Microsoft.AspNetCore=Warning.",
        };
        var guardModels = new Option<string[]>("--guard-model")
        {
            Description = "NAME=URL,model=ID[,taxonomy=llama_guard_3|shieldgemma] of a guard model behind an OpenAI-compatible server (URL ends in /v1; "
                + "repeatable; env MERIDIAN_GUARD_MODEL_<NAME>; token from env MERIDIAN_CLASSIFIER_TOKEN_<NAME>; needs --classifier-region); see docs/safeguards.md.",
        };
        var classifierRegions = new Option<string[]>("--classifier-region")
        {
            Description = "NAME=REGION where an external classifier or guard model runs (repeatable; env MERIDIAN_CLASSIFIER_REGION_<NAME>): "
                + "it is asked only for deployments whose boundary contains that region; one without a region is inside no boundary.",
        };
        var oidcIssuer = new Option<string?>("--oidc-issuer")
        {
            Description = "Offer portal sign-in with this OpenID Connect issuer (https URL; env MERIDIAN_OIDC_ISSUER) beside admin tokens; needs --oidc-client-id "
                + "and at least one --oidc-person. Client secret, if any, from env MERIDIAN_OIDC_CLIENT_SECRET. See docs/portal.md.",
        };
        var oidcClientId = new Option<string?>("--oidc-client-id") { Description = "This gateway's client id at the issuer (env MERIDIAN_OIDC_CLIENT_ID)." };
        var oidcName = new Option<string?>("--oidc-name") { Description = "The issuer's name on the sign-in button, \"Sign in with NAME\" (env MERIDIAN_OIDC_NAME)." };
        var oidcPeople = new Option<string[]>("--oidc-person")
        {
            Description = $"Who may sign in, as what: {PersonMapping.Syntax} (repeatable; env MERIDIAN_OIDC_PEOPLE, ';'-separated). "
                + "E.g. ana@example.com=operator-admin, @acme.example=tenant-developer,tenant:ten_….",
        };
        var oidcSessionHours = new Option<int?>("--oidc-session-hours")
        {
            Description = $"How long a sign-in lasts (env MERIDIAN_OIDC_SESSION_HOURS; default {OpenIdConnectOptions.DefaultSessionLifetime.TotalHours}).",
        };
        var stores = new StoreOptions();
        var command = new Command("serve", "Run the gateway: embedded SQLite stores and the built-in simulator backend unless told otherwise.")
        {
            port, data, secretsDir, demoKey, adminToken, region, bind, tokenDelay, upstream, config, policies, classifiers, classifierTimeout, minRelease, redis, redisPrefix, nodes, nodeName, termsNotice, drain, drainDelay, metricsPort, maxInFlight, allowNetworks, logFormat, logLevels, guardModels, classifierRegions,
            oidcIssuer, oidcClientId, oidcName, oidcPeople, oidcSessionHours,
        };
        stores.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Each flag given is the configuration key of its variable (--drain-seconds: DRAIN_SECONDS), over the environment.
            var flags = new List<KeyValuePair<string, string?>>();
            void Flag(Option option, string? value)
            {
                if (value is not null)
                {
                    flags.Add(new(option.Name[2..].ToUpperInvariant().Replace('-', '_'), value));
                }
            }

            void Named(Option<string[]> option, string section)
            {
                foreach (var value in parse.GetValue(option) ?? [])
                {
                    var split = value.IndexOf('=', StringComparison.Ordinal);
                    flags.Add(split > 0
                        ? new(ConfigurationPath.Combine(section, value[..split].Trim()), value[(split + 1)..].Trim())
                        : new(ConfigurationPath.Combine(section, value.Trim()), string.Empty));
                }
            }

            foreach (var option in new[] { data, secretsDir, demoKey, adminToken, region, bind, upstream, config, policies, redis, redisPrefix, nodeName, logFormat, oidcIssuer, oidcClientId, oidcName })
            {
                Flag(option, parse.GetValue(option));
            }

            foreach (var option in new[] { port, tokenDelay, classifierTimeout, minRelease, nodes, termsNotice, drain, drainDelay, metricsPort, maxInFlight, oidcSessionHours })
            {
                Flag(option, parse.GetValue(option) is { } number ? ServeConfiguration.Invariant(number) : null);
            }

            Flag(allowNetworks, parse.GetValue(allowNetworks) is { Length: > 0 } networks ? string.Join(';', networks) : null);
            Flag(logLevels, parse.GetValue(logLevels) is { Length: > 0 } levels ? string.Join(';', levels) : null);
            if (parse.GetValue(oidcPeople) is { Length: > 0 } people)
            {
                // One flag per person, one variable for them all (MERIDIAN_OIDC_PEOPLE).
                flags.Add(new(ServeSettings.OpenIdPeopleKey, string.Join(';', people)));
            }

            Named(classifiers, ServeSettings.ClassifierUrlSection);
            Named(guardModels, ServeSettings.GuardModelSection);
            Named(classifierRegions, ServeSettings.ClassifierRegionSection);
            flags.AddRange(stores.Flags(parse));

            ServeSettings settings;
            try
            {
                settings = ServeConfiguration.Load(ServeConfiguration.Build(context.EnvironmentVariables(), flags));
            }
            catch (OptionsValidationException ex)
            {
                foreach (var failure in ex.Failures)
                {
                    context.Error.MarkupLineInterpolated($"[red]meridian serve: {failure}[/]");
                }

                return 2;
            }
            catch (InvalidOperationException ex)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian serve: {ServeConfiguration.Explain(ex)}[/]");
                return 2;
            }

            return await RunAsync(context, settings.ToGatewayOptions(), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, GatewayOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        DemoReport demo;
        try
        {
            (app, demo) = GatewayHost.Build(options);
        }
        catch (InvalidOperationException ex)
        {
            context.Error.MarkupLineInterpolated($"[red]meridian serve: {ex.Message}[/]");
            return 2;
        }
        catch (DbException ex)
        {
            context.Error.MarkupLineInterpolated($"[red]meridian serve: the {options.Store.ToString().ToLowerInvariant()} store cannot be opened: {ex.Message}[/]");
            return 2;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                context.Error.MarkupLineInterpolated($"[red]meridian serve: cannot listen on {options.BindAddress}:{options.Port}: {ex.Message}[/]");
                return 2;
            }

            // Startup leaves its scratch on the heap, dead: the safeguards' regex engine allocates several hundred MB
            // while it builds the lexicons' automata. Without a compacting collection the process keeps that memory
            // committed for its lifetime (≈ 60 MB of free space in gen 2 and 290 MB RSS at idle, 2026-12-08); one
            // now, before the first request, returns it to the OS.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            StartBanner.Print(address, options, demo, DemoIngressRefusal(app.Services.GetRequiredService<GatewaySnapshotProvider>().Current, options));
            await app.WaitForShutdownAsync(cancellationToken);
        }

        return 0;
    }

    /// <summary>
    /// Where the demo deployment may be called from, when it is not at this node: ingress is part of its boundary
    /// (docs/receipts.md), so the banner must not offer a curl line this node refuses without saying so.
    /// </summary>
    private static string? DemoIngressRefusal(GatewaySnapshot snapshot, GatewayOptions options)
    {
        if (!snapshot.ResourceDeployments.TryGetValue(DemoSeed.ResourceId, out var deployments)
            || deployments.FirstOrDefault(d => d.DeploymentId == DemoSeed.DeploymentId) is not { } demo)
        {
            return null;
        }

        var zone = snapshot.World.TryGetRegion(options.IngressRegion, out var region) ? region.DataZone : null;
        if (Boundary.Ingress(demo, options.IngressRegion, zone) != IngressDecision.Refused)
        {
            return null;
        }

        return $"This node takes requests in at {options.IngressRegion}, outside the demo deployment's boundary: it refuses the call below (403). "
            + $"Call a node in {string.Join(", ", Boundary.IngressRegionsInside(demo, snapshot.World))}.";
    }
}
