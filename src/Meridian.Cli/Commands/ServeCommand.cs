using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Meridian.Core.Marketplace;
using Meridian.Gateway.Hosting;
using Meridian.Gateway.Safeguards;
using Meridian.Gateway.Snapshot;
using Meridian.Storage.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian serve</c>: one gateway node on the embedded stores, with the demo marketplace.</summary>
public static class ServeCommand
{
    public static Command Create()
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
        var bind = new Option<string?>("--bind") { Description = "Address to bind (default 127.0.0.1)." };
        var tokenDelay = new Option<int?>("--simulator-token-delay-ms") { Description = "Simulated per-token latency of the built-in simulator, in milliseconds." };
        var upstream = new Option<string?>("--upstream")
        {
            Description = "Forward platform traffic to this Anthropic-compatible upstream (e.g. http://127.0.0.1:9090 from `meridian simulate`) instead of the in-process simulator; its key comes from env MERIDIAN_UPSTREAM_API_KEY.",
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
        var classifierTimeout = new Option<int?>("--classifier-timeout-ms") { Description = "Deadline of one external classifier call (default 2000); then the policy's on_classifier_failure decides." };
        classifiers.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!TryParseClassifier(value, out _, out _))
                {
                    result.AddError($"--classifier takes NAME=URL with a snake_case name and an absolute http(s) URL, not '{value}'.");
                }
            }
        });
        AtLeast(classifierTimeout, 1);
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
        AtLeast(nodes, 1);
        var nodeName = new Option<string?>("--node-name")
        {
            Description = "This node's name (env MERIDIAN_NODE_NAME; default host:port): names its receipt logs, so keep it stable across restarts and unique among nodes sharing a store.",
        };
        var termsNotice = new Option<int?>("--terms-notice-days")
        {
            Description = "Days before an offer's price or retention change binds tenants subscribed before it, unless they accept sooner "
                + $"(env MERIDIAN_TERMS_NOTICE_DAYS; default {GatewayOptions.DefaultTermsNotice.TotalDays}); see docs/admin-api.md, \"Terms\".",
        };
        AtLeast(termsNotice, 0);
        upstream.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value
                && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                result.AddError($"--upstream must be an absolute http(s) URL, not '{value}'.");
            }
        });
        var drain = new Option<int?>("--drain-seconds")
        {
            Description = $"On SIGTERM, how long in-flight requests and streams may take to finish before they are cut (env MERIDIAN_DRAIN_SECONDS; default {GatewayOptions.DefaultDrainTimeout.TotalSeconds}); records are flushed after that regardless.",
        };
        AtLeast(drain, 0);
        var drainDelay = new Option<int?>("--drain-delay-seconds")
        {
            Description = "On SIGTERM, how long to keep accepting requests while /readyz already answers draining, so a load balancer takes the node out of rotation first (env MERIDIAN_DRAIN_DELAY_SECONDS; default 0).",
        };
        AtLeast(drainDelay, 0);
        var metricsPort = new Option<int?>("--metrics-port")
        {
            Description = "Serve Prometheus metrics at /metrics on this port, apart from the data plane (env MERIDIAN_METRICS_PORT; off by default); see README, \"Operating Meridian\".",
        };
        var maxInFlight = new Option<int?>("--max-in-flight")
        {
            Description = $"Model requests this node takes at once, all keys together (env MERIDIAN_MAX_IN_FLIGHT; default {GatewayOptions.DefaultMaxRequestsInFlight}); "
                + "past it a request is answered 529 overloaded_error with Retry-After at once, never queued.",
        };
        AtLeast(maxInFlight, 1);
        var allowNetworks = new Option<string[]>("--allow-backend-network")
        {
            Description = "An internal address range (CIDR, e.g. 127.0.0.0/8 or 10.0.0.0/8) that publisher endpoints set through the admin API may point at "
                + "(repeatable; env MERIDIAN_ALLOW_BACKEND_NETWORK, ';'-separated). By default loopback, private, link-local and metadata addresses are refused.",
        };
        allowNetworks.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!System.Net.IPNetwork.TryParse(value, out _))
                {
                    result.AddError($"--allow-backend-network takes an address range in CIDR notation (127.0.0.0/8, fd00::/8), not '{value}'.");
                }
            }
        });
        var logFormat = new Option<string?>("--log-format") { Description = "Console logs as 'text' (default) or 'json': one object a line with the request id and trace id (env MERIDIAN_LOG_FORMAT)." };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var logLevels = new Option<string[]>("--log-level")
        {
            Description = "LEVEL, or CATEGORY=LEVEL for one category prefix (repeatable; env MERIDIAN_LOG_LEVEL, ';'-separated); default Warning. "
                + "E.g. --log-level Information --log-level Microsoft.AspNetCore=Warning.",
        };
        logLevels.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!TryParseLogLevel(value, out _, out _))
                {
                    result.AddError($"--log-level takes LEVEL or CATEGORY=LEVEL with a level of Trace, Debug, Information, Warning, Error, Critical or None, not '{value}'.");
                }
            }
        });
        var guardModels = new Option<string[]>("--guard-model")
        {
            Description = "NAME=URL,model=ID[,taxonomy=llama_guard_3|shieldgemma] of a guard model behind an OpenAI-compatible server (URL ends in /v1; "
                + "repeatable; env MERIDIAN_GUARD_MODEL_<NAME>; token from env MERIDIAN_CLASSIFIER_TOKEN_<NAME>; needs --classifier-region); see docs/safeguards.md.",
        };
        guardModels.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!TryParseGuardModel(value, out _, out _, out _, out _))
                {
                    result.AddError($"--guard-model takes NAME=URL,model=ID[,taxonomy=llama_guard_3|shieldgemma] with a snake_case name and an absolute http(s) URL, not '{value}'.");
                }
            }
        });
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
        AtLeast(oidcSessionHours, 1);
        var stores = new StoreOptions();
        var command = new Command("serve", "Run the gateway: embedded SQLite stores and the built-in simulator backend unless told otherwise.")
        {
            port, data, secretsDir, demoKey, adminToken, region, bind, tokenDelay, upstream, config, policies, classifiers, classifierTimeout, minRelease, redis, redisPrefix, nodes, nodeName, termsNotice, drain, drainDelay, metricsPort, maxInFlight, allowNetworks, logFormat, logLevels, guardModels, classifierRegions,
            oidcIssuer, oidcClientId, oidcName, oidcPeople, oidcSessionHours,
        };
        stores.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new GatewayOptions
            {
                Port = parse.GetValue(port) ?? EnvInt("MERIDIAN_PORT") ?? GatewayOptions.DefaultPort,
                DataDirectory = parse.GetValue(data) ?? Env("MERIDIAN_DATA") ?? "data",
                SecretsDirectory = parse.GetValue(secretsDir) ?? Env("MERIDIAN_SECRETS_DIR"),
                DemoKey = parse.GetValue(demoKey) ?? Env("MERIDIAN_DEMO_KEY"),
                AdminToken = parse.GetValue(adminToken) ?? Env("MERIDIAN_ADMIN_TOKEN"),
                IngressRegion = parse.GetValue(region) ?? Env("MERIDIAN_REGION") ?? "eastus",
                BindAddress = parse.GetValue(bind) ?? "127.0.0.1",
                SimulatorTokenDelay = TimeSpan.FromMilliseconds(parse.GetValue(tokenDelay) ?? 0),
                ConfigFile = parse.GetValue(config) ?? Env("MERIDIAN_CONFIG"),
                UpstreamUrl = parse.GetValue(upstream) is { } url ? new Uri(url.TrimEnd('/') + "/", UriKind.Absolute) : null,
                Redis = parse.GetValue(redis) ?? Env("MERIDIAN_REDIS"),
                RedisPrefix = parse.GetValue(redisPrefix) ?? Env("MERIDIAN_REDIS_PREFIX") ?? GatewayOptions.DefaultRedisPrefix,
                ExpectedNodes = parse.GetValue(nodes) ?? EnvInt("MERIDIAN_NODES") ?? 1,
                NodeName = parse.GetValue(nodeName) ?? Env("MERIDIAN_NODE_NAME"),
                TermsNotice = (parse.GetValue(termsNotice) ?? EnvInt("MERIDIAN_TERMS_NOTICE_DAYS")) is { } days
                    ? TimeSpan.FromDays(days)
                    : GatewayOptions.DefaultTermsNotice,
                DrainTimeout = (parse.GetValue(drain) ?? EnvInt("MERIDIAN_DRAIN_SECONDS")) is { } drainSeconds
                    ? TimeSpan.FromSeconds(drainSeconds)
                    : GatewayOptions.DefaultDrainTimeout,
                UnreadyBeforeStop = TimeSpan.FromSeconds(parse.GetValue(drainDelay) ?? EnvInt("MERIDIAN_DRAIN_DELAY_SECONDS") ?? 0),
                MetricsPort = parse.GetValue(metricsPort) ?? EnvInt("MERIDIAN_METRICS_PORT"),
                MaxRequestsInFlight = parse.GetValue(maxInFlight) ?? EnvInt("MERIDIAN_MAX_IN_FLIGHT") ?? GatewayOptions.DefaultMaxRequestsInFlight,
                LogFormat = (parse.GetValue(logFormat) ?? Env("MERIDIAN_LOG_FORMAT")) is "json" ? LogFormat.Json : LogFormat.Text,
            };
            foreach (var value in (Env("MERIDIAN_LOG_LEVEL")?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? []).Concat(parse.GetValue(logLevels) ?? []))
            {
                if (!TryParseLogLevel(value, out var category, out var level))
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: MERIDIAN_LOG_LEVEL takes LEVEL or CATEGORY=LEVEL entries separated by ';', not '{value}'.[/]");
                    return 2;
                }

                if (category is null)
                {
                    options.LogLevel = level;
                }
                else
                {
                    options.LogLevels[category] = level;
                }
            }

            foreach (var value in (Env("MERIDIAN_ALLOW_BACKEND_NETWORK")?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? []).Concat(parse.GetValue(allowNetworks) ?? []))
            {
                if (!System.Net.IPNetwork.TryParse(value, out var network))
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: MERIDIAN_ALLOW_BACKEND_NETWORK takes CIDR ranges separated by ';', not '{value}'.[/]");
                    return 2;
                }

                options.AllowedBackendNetworks.Add(network);
            }

            if (!TryReadOpenIdConnect(
                    parse.GetValue(oidcIssuer) ?? Env("MERIDIAN_OIDC_ISSUER"), parse.GetValue(oidcClientId) ?? Env("MERIDIAN_OIDC_CLIENT_ID"),
                    parse.GetValue(oidcName) ?? Env("MERIDIAN_OIDC_NAME"),
                    (Env("MERIDIAN_OIDC_PEOPLE")?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? []).Concat(parse.GetValue(oidcPeople) ?? []),
                    parse.GetValue(oidcSessionHours) ?? EnvInt("MERIDIAN_OIDC_SESSION_HOURS"), out var openId))
            {
                return 2;
            }

            options.OpenIdConnect = openId;

            options.Safeguards.PolicyFile = parse.GetValue(policies) ?? Env(SafeguardsOptions.PolicyFileEnv);
            var releaseStep = parse.GetValue(minRelease)?.ToString(CultureInfo.InvariantCulture) ?? Env(SafeguardsOptions.StreamMinReleaseCharsEnv) ?? "0";
            if (!int.TryParse(releaseStep, NumberStyles.None, CultureInfo.InvariantCulture, out var releaseChars))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: --stream-min-release-chars ({SafeguardsOptions.StreamMinReleaseCharsEnv}) must be a whole number of chars, 0 or more, not '{releaseStep}'.[/]");
                return 2;
            }

            options.Safeguards.StreamMinReleaseChars = releaseChars;
            var timeout = TimeSpan.FromMilliseconds(parse.GetValue(classifierTimeout) ?? 2000);
            var regionsByName = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var value in PrefixedEnvironment.Read(ClassifierRegionEnvPrefix).Select(e => $"{e.Name}={e.Value}").Concat(parse.GetValue(classifierRegions) ?? []))
            {
                var split = value.IndexOf('=', StringComparison.Ordinal);
                if (split <= 0 || value[(split + 1)..].Trim() is not { Length: > 0 } where)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: --classifier-region ({ClassifierRegionEnvPrefix}<NAME>) takes NAME=REGION, not '{value}'.[/]");
                    return 2;
                }

                regionsByName[value[..split].Trim()] = where;
            }

            // A classifier or guard model is sent content, so it is a recipient inside or outside each deployment's
            // boundary: one with no declared place would be inside none and silently unused (or refusing), so the start
            // stops naming it.
            string? RegionOf(string kind, string name)
            {
                if (regionsByName.GetValueOrDefault(name) is { } region)
                {
                    return region;
                }

                AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: {kind} '{name}' needs its region: --classifier-region {name}=REGION ({ClassifierRegionEnvPrefix}{name.ToUpperInvariant()}); it is sent content, and is asked only for deployments whose boundary contains that region.[/]");
                return null;
            }

            var declared = PrefixedEnvironment.Read(ClassifierUrlEnvPrefix).Select(e => $"{e.Name}={e.Value}")
                .Concat(parse.GetValue(classifiers) ?? []);
            foreach (var value in declared)
            {
                if (!TryParseClassifier(value, out var name, out var endpoint))
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: {ClassifierUrlEnvPrefix}<NAME> must be an absolute http(s) URL under a snake_case name, not '{value}'.[/]");
                    return 2;
                }

                if (RegionOf("classifier", name) is not { } classifierRegion)
                {
                    return 2;
                }

                options.Safeguards.HttpClassifiers.Add(new Meridian.Safeguards.Classifiers.HttpClassifierOptions
                {
                    Name = name,
                    Endpoint = endpoint,
                    Timeout = timeout,
                    BearerToken = Env(SafeguardsOptions.ClassifierTokenEnvPrefix + name.ToUpperInvariant()),
                    Region = classifierRegion,
                });
            }

            foreach (var value in PrefixedEnvironment.Read(GuardModelEnvPrefix).Select(e => $"{e.Name}={e.Value}").Concat(parse.GetValue(guardModels) ?? []))
            {
                if (!TryParseGuardModel(value, out var name, out var endpoint, out var model, out var taxonomy))
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: {GuardModelEnvPrefix}<NAME> must be URL,model=ID[[,taxonomy=llama_guard_3|shieldgemma]] under a snake_case name, not '{value}'.[/]");
                    return 2;
                }

                if (RegionOf("guard model", name) is not { } guardRegion)
                {
                    return 2;
                }

                options.Safeguards.GuardModels.Add(new Meridian.Safeguards.Classifiers.GuardModelOptions
                {
                    Name = name,
                    Endpoint = endpoint,
                    Model = model,
                    Taxonomy = taxonomy,
                    Region = guardRegion,
                    Timeout = timeout,
                    BearerToken = Env(SafeguardsOptions.ClassifierTokenEnvPrefix + name.ToUpperInvariant()),
                });
            }

            stores.Apply(parse, options);
            return await RunAsync(options, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(GatewayOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        DemoReport demo;
        try
        {
            (app, demo) = GatewayHost.Build(options);
        }
        catch (InvalidOperationException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: {ex.Message}[/]");
            return 2;
        }
        catch (DbException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: the {options.Store.ToString().ToLowerInvariant()} store cannot be opened: {ex.Message}[/]");
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
                AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: cannot listen on {options.BindAddress}:{options.Port}: {ex.Message}[/]");
                return 2;
            }

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            StartBanner.Print(address, options, demo, DemoIngressRefusal(app.Services.GetRequiredService<GatewaySnapshotProvider>().Current, options));
            await app.WaitForShutdownAsync(cancellationToken);
        }

        return 0;
    }

    private const string ClassifierUrlEnvPrefix = "MERIDIAN_CLASSIFIER_URL_";
    private const string GuardModelEnvPrefix = "MERIDIAN_GUARD_MODEL_";
    private const string ClassifierRegionEnvPrefix = "MERIDIAN_CLASSIFIER_REGION_";

    /// <summary>NAME=URL,model=ID[,taxonomy=…]: the server's base URL, the served model, and its taxonomy (Llama Guard 3 by default).</summary>
    private static bool TryParseGuardModel(string value, out string name, out Uri url, out string model, out Meridian.Safeguards.Classifiers.GuardTaxonomy taxonomy)
    {
        model = string.Empty;
        taxonomy = Meridian.Safeguards.Classifiers.GuardTaxonomy.LlamaGuard3;
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (!TryParseClassifier(parts[0], out name, out url))
        {
            return false;
        }

        foreach (var part in parts.Skip(1))
        {
            switch (part.Split('=', 2))
            {
                case ["model", { Length: > 0 } id]:
                    model = id;
                    break;
                case ["taxonomy", "llama_guard_3"]:
                    taxonomy = Meridian.Safeguards.Classifiers.GuardTaxonomy.LlamaGuard3;
                    break;
                case ["taxonomy", "shieldgemma"]:
                    taxonomy = Meridian.Safeguards.Classifiers.GuardTaxonomy.ShieldGemma;
                    break;
                default:
                    return false;
            }
        }

        return model.Length > 0;
    }

    private static bool TryParseClassifier(string value, out string name, out Uri url)
    {
        var split = value.IndexOf('=', StringComparison.Ordinal);
        name = split > 0 ? value[..split].Trim() : string.Empty;
        url = null!;
        return name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')
            && Uri.TryCreate(value[(split + 1)..].Trim(), UriKind.Absolute, out url!) && url.Scheme is "http" or "https";
    }

    /// <summary>Refuses a value of <paramref name="option"/> below <paramref name="minimum"/> (0 or 1), naming the option.</summary>
    private static void AtLeast(Option<int?> option, int minimum) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int?>() is { } value && value < minimum)
        {
            result.AddError($"{option.Name} must be {(minimum == 0 ? "0 or more" : $"at least {minimum}")}, not {value}.");
        }
    });

    /// <summary>The OpenID Connect sign-in, when an issuer is given; false (after saying why) when the settings cannot work.</summary>
    private static bool TryReadOpenIdConnect(
        string? issuer, string? clientId, string? name, IEnumerable<string> people, int? sessionHours, out OpenIdConnectOptions? options)
    {
        options = null;
        var rules = people.ToList();
        if (issuer is null)
        {
            if (clientId is not null || rules.Count > 0)
            {
                AnsiConsole.MarkupLine("[red]meridian serve: --oidc-client-id and --oidc-person need --oidc-issuer (MERIDIAN_OIDC_ISSUER).[/]");
                return false;
            }

            return true;
        }

        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) || !(issuerUri.Scheme == "https" || (issuerUri.Scheme == "http" && issuerUri.IsLoopback)))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: --oidc-issuer must be an https URL (http only on a loopback address), not '{issuer}'.[/]");
            return false;
        }

        if (string.IsNullOrWhiteSpace(clientId))
        {
            AnsiConsole.MarkupLine("[red]meridian serve: --oidc-issuer needs --oidc-client-id (MERIDIAN_OIDC_CLIENT_ID): the audience its ID tokens must name.[/]");
            return false;
        }

        var mappings = new List<PersonMapping>();
        foreach (var rule in rules)
        {
            if (!PersonMapping.TryParse(rule, out var mapping, out var error))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]meridian serve: --oidc-person (MERIDIAN_OIDC_PEOPLE): {error}.[/]");
                return false;
            }

            mappings.Add(mapping!);
        }

        if (mappings.Count == 0)
        {
            AnsiConsole.MarkupLine("[red]meridian serve: --oidc-issuer needs at least one --oidc-person (MERIDIAN_OIDC_PEOPLE): nobody could sign in with it otherwise.[/]");
            return false;
        }

        options = new OpenIdConnectOptions
        {
            Issuer = issuerUri,
            ClientId = clientId.Trim(),
            ClientSecret = Env("MERIDIAN_OIDC_CLIENT_SECRET"),
            DisplayName = string.IsNullOrWhiteSpace(name) ? issuerUri.Host : name.Trim(),
            People = mappings,
            SessionLifetime = sessionHours is { } hours ? TimeSpan.FromHours(hours) : OpenIdConnectOptions.DefaultSessionLifetime,
        };
        return true;
    }

    private static bool TryParseLogLevel(string value, out string? category, out Microsoft.Extensions.Logging.LogLevel level)
    {
        var split = value.LastIndexOf('=');
        category = split > 0 ? value[..split].Trim() : null;
        return Enum.TryParse(split > 0 ? value[(split + 1)..].Trim() : value.Trim(), ignoreCase: true, out level)
            && Enum.IsDefined(level) && (split < 0 || category is { Length: > 0 });
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static int? EnvInt(string name) => int.TryParse(Env(name), out var value) ? value : null;

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
