using System.Globalization;
using Meridian.Gateway.Configuration;
using Meridian.Safeguards.Classifiers;
using Meridian.Storage;
using Meridian.Storage.Sql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Cli.Commands;

/// <summary>
/// The settings of <c>serve</c> (and the store settings of <c>migrate</c>) as one configuration: every flag
/// <c>--drain-seconds</c> is the key <c>DRAIN_SECONDS</c>, and so is the environment variable
/// <c>MERIDIAN_DRAIN_SECONDS</c>; a flag given on the command line replaces its variable. Settings given per name
/// (<c>--classifier NAME=URL</c>, <c>MERIDIAN_CLASSIFIER_URL_&lt;NAME&gt;</c>) are sections keyed by that name.
/// Bound with <see cref="OptionsBuilderConfigurationExtensions.Bind{TOptions}(OptionsBuilder{TOptions}, IConfiguration)"/>
/// and checked by <see cref="ServeSettingsValidator"/> before anything is opened or written.
/// </summary>
internal sealed class ServeSettings
{
    public const string EnvironmentPrefix = "MERIDIAN_";

    [ConfigurationKeyName("PORT")] public int Port { get; set; } = GatewayOptions.DefaultPort;
    [ConfigurationKeyName("DATA")] public string Data { get; set; } = "data";
    [ConfigurationKeyName("SECRETS_DIR")] public string? SecretsDir { get; set; }
    [ConfigurationKeyName("DEMO_KEY")] public string? DemoKey { get; set; }
    [ConfigurationKeyName("ADMIN_TOKEN")] public string? AdminToken { get; set; }
    [ConfigurationKeyName("REGION")] public string Region { get; set; } = "eastus";
    [ConfigurationKeyName("BIND")] public string Bind { get; set; } = "127.0.0.1";
    [ConfigurationKeyName("SIMULATOR_TOKEN_DELAY_MS")] public int SimulatorTokenDelayMs { get; set; }
    [ConfigurationKeyName("UPSTREAM")] public string? Upstream { get; set; }
    [ConfigurationKeyName("CONFIG")] public string? Config { get; set; }
    [ConfigurationKeyName("SAFEGUARD_POLICIES")] public string? SafeguardPolicies { get; set; }
    [ConfigurationKeyName("CLASSIFIER_TIMEOUT_MS")] public int ClassifierTimeoutMs { get; set; } = 2000;
    [ConfigurationKeyName("STREAM_MIN_RELEASE_CHARS")] public int StreamMinReleaseChars { get; set; }
    [ConfigurationKeyName("REDIS")] public string? Redis { get; set; }
    [ConfigurationKeyName("REDIS_PREFIX")] public string RedisPrefix { get; set; } = GatewayOptions.DefaultRedisPrefix;
    [ConfigurationKeyName("NODES")] public int Nodes { get; set; } = 1;
    [ConfigurationKeyName("NODE_NAME")] public string? NodeName { get; set; }
    [ConfigurationKeyName("TERMS_NOTICE_DAYS")] public int TermsNoticeDays { get; set; } = (int)GatewayOptions.DefaultTermsNotice.TotalDays;
    [ConfigurationKeyName("DRAIN_SECONDS")] public int DrainSeconds { get; set; } = (int)GatewayOptions.DefaultDrainTimeout.TotalSeconds;
    [ConfigurationKeyName("DRAIN_DELAY_SECONDS")] public int DrainDelaySeconds { get; set; }
    [ConfigurationKeyName("METRICS_PORT")] public int? MetricsPort { get; set; }
    [ConfigurationKeyName("MAX_IN_FLIGHT")] public int MaxInFlight { get; set; } = GatewayOptions.DefaultMaxRequestsInFlight;

    /// <summary>CIDR ranges, ';'-separated.</summary>
    [ConfigurationKeyName("ALLOW_BACKEND_NETWORK")] public string? AllowBackendNetwork { get; set; }

    [ConfigurationKeyName("LOG_FORMAT")] public string LogFormat { get; set; } = "text";

    /// <summary>LEVEL or CATEGORY=LEVEL entries, ';'-separated.</summary>
    [ConfigurationKeyName("LOG_LEVEL")] public string? LogLevel { get; set; }

    [ConfigurationKeyName("STORE")] public string Store { get; set; } = "sqlite";
    [ConfigurationKeyName("POSTGRES")] public string? Postgres { get; set; }
    [ConfigurationKeyName("POSTGRES_SCHEMA")] public string PostgresSchema { get; set; } = StorageSettings.DefaultSchemaPrefix;
    [ConfigurationKeyName("RECEIPT_SIGNING_KEY")] public string? ReceiptSigningKey { get; set; }

    [ConfigurationKeyName("OIDC_ISSUER")] public string? OpenIdIssuer { get; set; }
    [ConfigurationKeyName("OIDC_CLIENT_ID")] public string? OpenIdClientId { get; set; }

    /// <summary>From the environment only: a secret has no flag, so it never shows in a process listing.</summary>
    [ConfigurationKeyName("OIDC_CLIENT_SECRET")] public string? OpenIdClientSecret { get; set; }

    [ConfigurationKeyName("OIDC_NAME")] public string? OpenIdName { get; set; }

    /// <summary><see cref="PersonMapping.Syntax"/> entries, ';'-separated (one <c>--oidc-person</c> flag each).</summary>
    [ConfigurationKeyName(OpenIdPeopleKey)] public string? OpenIdPeople { get; set; }

    public const string OpenIdPeopleKey = "OIDC_PEOPLE";

    [ConfigurationKeyName("OIDC_SESSION_HOURS")] public int? OpenIdSessionHours { get; set; }

    /// <summary>The sections given per name: the environment prefix after <see cref="EnvironmentPrefix"/>, and the key of its section.</summary>
    public static readonly IReadOnlyList<(string EnvironmentPrefix, string Section)> Named =
    [
        ("CLASSIFIER_URL_", ClassifierUrlSection),
        ("CLASSIFIER_TOKEN_", ClassifierTokenSection),
        ("CLASSIFIER_REGION_", ClassifierRegionSection),
        ("GUARD_MODEL_", GuardModelSection),
        ("POSTGRES_GEO_", PostgresGeoSection),
        ("TS_KEY_", CaseKeySection),
    ];

    public const string ClassifierUrlSection = "CLASSIFIER_URL";
    public const string ClassifierTokenSection = "CLASSIFIER_TOKEN";
    public const string ClassifierRegionSection = "CLASSIFIER_REGION";
    public const string GuardModelSection = "GUARD_MODEL";
    public const string PostgresGeoSection = "POSTGRES_GEO";
    public const string CaseKeySection = "TS_KEY";

    [ConfigurationKeyName(ClassifierUrlSection)] public Dictionary<string, string> ClassifierUrls { get; set; } = new(StringComparer.Ordinal);
    [ConfigurationKeyName(ClassifierTokenSection)] public Dictionary<string, string> ClassifierTokens { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    [ConfigurationKeyName(ClassifierRegionSection)] public Dictionary<string, string> ClassifierRegions { get; set; } = new(StringComparer.Ordinal);
    [ConfigurationKeyName(GuardModelSection)] public Dictionary<string, string> GuardModels { get; set; } = new(StringComparer.Ordinal);
    [ConfigurationKeyName(PostgresGeoSection)] public Dictionary<string, string> PostgresGeographies { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    [ConfigurationKeyName(CaseKeySection)] public Dictionary<string, string> CaseKeys { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The flag and the variable of a key, for messages: <c>--drain-seconds (MERIDIAN_DRAIN_SECONDS)</c>.</summary>
    public static string Describe(string key) => $"--{key.ToLowerInvariant().Replace('_', '-')} ({EnvironmentPrefix}{key})";

    public static IEnumerable<string> Entries(string? list) =>
        list?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary>The node's options; only called on settings <see cref="ServeSettingsValidator"/> passed.</summary>
    public GatewayOptions ToGatewayOptions()
    {
        var options = new GatewayOptions
        {
            Port = Port,
            DataDirectory = Data,
            SecretsDirectory = SecretsDir,
            DemoKey = DemoKey,
            AdminToken = AdminToken,
            IngressRegion = Region,
            BindAddress = Bind,
            SimulatorTokenDelay = TimeSpan.FromMilliseconds(SimulatorTokenDelayMs),
            ConfigFile = Config,
            UpstreamUrl = Upstream is { } url ? new Uri(url.TrimEnd('/') + "/", UriKind.Absolute) : null,
            Redis = Redis,
            RedisPrefix = RedisPrefix,
            ExpectedNodes = Nodes,
            NodeName = NodeName,
            TermsNotice = TimeSpan.FromDays(TermsNoticeDays),
            DrainTimeout = TimeSpan.FromSeconds(DrainSeconds),
            UnreadyBeforeStop = TimeSpan.FromSeconds(DrainDelaySeconds),
            MetricsPort = MetricsPort,
            MaxRequestsInFlight = MaxInFlight,
            LogFormat = LogFormat.Equals("json", StringComparison.OrdinalIgnoreCase) ? Gateway.Configuration.LogFormat.Json : Gateway.Configuration.LogFormat.Text,
            ReceiptSigningKey = ReceiptSigningKey,
        };
        foreach (var entry in Entries(LogLevel))
        {
            ServeSettingsValidator.TryParseLogLevel(entry, out var category, out var level);
            if (category is null)
            {
                options.LogLevel = level;
            }
            else
            {
                options.LogLevels[category] = level;
            }
        }

        options.AllowedBackendNetworks.AddRange(Entries(AllowBackendNetwork).Select(entry => System.Net.IPNetwork.Parse(entry)));
        options.Safeguards.PolicyFile = SafeguardPolicies;
        options.Safeguards.StreamMinReleaseChars = StreamMinReleaseChars;
        foreach (var (geography, key) in CaseKeys)
        {
            options.Safeguards.CaseKeys[geography] = key;
        }

        var timeout = TimeSpan.FromMilliseconds(ClassifierTimeoutMs);
        foreach (var (name, endpoint) in ClassifierUrls.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            options.Safeguards.HttpClassifiers.Add(new HttpClassifierOptions
            {
                Name = name,
                Endpoint = new Uri(endpoint.Trim(), UriKind.Absolute),
                Timeout = timeout,
                BearerToken = ClassifierTokens.GetValueOrDefault(name),
                Region = ClassifierRegions[name].Trim(),
            });
        }

        foreach (var (name, spec) in GuardModels.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            ServeSettingsValidator.TryParseGuardModel(spec, out var endpoint, out var model, out var taxonomy);
            options.Safeguards.GuardModels.Add(new GuardModelOptions
            {
                Name = name,
                Endpoint = endpoint,
                Model = model,
                Taxonomy = taxonomy,
                Region = ClassifierRegions[name].Trim(),
                Timeout = timeout,
                BearerToken = ClassifierTokens.GetValueOrDefault(name),
            });
        }

        if (OpenIdIssuer is { } issuer)
        {
            var issuerUri = new Uri(issuer.Trim(), UriKind.Absolute);
            options.OpenIdConnect = new OpenIdConnectOptions
            {
                Issuer = issuerUri,
                ClientId = OpenIdClientId!.Trim(),
                ClientSecret = OpenIdClientSecret,
                DisplayName = string.IsNullOrWhiteSpace(OpenIdName) ? issuerUri.Host : OpenIdName.Trim(),
                People = [.. Entries(OpenIdPeople).Select(entry => PersonMapping.TryParse(entry, out var mapping, out _) ? mapping! : throw new InvalidOperationException(entry))],
                SessionLifetime = OpenIdSessionHours is { } hours ? TimeSpan.FromHours(hours) : OpenIdConnectOptions.DefaultSessionLifetime,
            };
        }

        ApplyStorageTo(options);
        return options;
    }

    /// <summary>The store settings alone (what <c>migrate</c> needs).</summary>
    public void ApplyStorageTo(GatewayOptions options)
    {
        options.Store = Store.Equals("postgres", StringComparison.OrdinalIgnoreCase) ? StoreEngine.Postgres : StoreEngine.Sqlite;
        options.Postgres = Postgres;
        options.PostgresSchemaPrefix = PostgresSchema;
        foreach (var (geography, connection) in PostgresGeographies)
        {
            options.PostgresGeographies[geography] = connection;
        }
    }
}

/// <summary>
/// Checks every serve setting at once, before anything is opened or written; each failure names the flag and the
/// environment variable that set it.
/// </summary>
internal sealed class ServeSettingsValidator : IValidateOptions<ServeSettings>
{
    public ValidateOptionsResult Validate(string? name, ServeSettings options)
    {
        var failures = new List<string>();
        void AtLeast(string key, int? value, int minimum)
        {
            if (value < minimum)
            {
                failures.Add($"{ServeSettings.Describe(key)} must be {(minimum == 0 ? "0 or more" : $"at least {minimum}")}, not {value}.");
            }
        }

        void APort(string key, int? value)
        {
            if (value is < 0 or > 65535)
            {
                failures.Add($"{ServeSettings.Describe(key)} must be a port from 0 to 65535, not {value}.");
            }
        }

        APort("PORT", options.Port);
        APort("METRICS_PORT", options.MetricsPort);
        AtLeast("SIMULATOR_TOKEN_DELAY_MS", options.SimulatorTokenDelayMs, 0);
        AtLeast("CLASSIFIER_TIMEOUT_MS", options.ClassifierTimeoutMs, 1);
        AtLeast("STREAM_MIN_RELEASE_CHARS", options.StreamMinReleaseChars, 0);
        AtLeast("NODES", options.Nodes, 1);
        AtLeast("TERMS_NOTICE_DAYS", options.TermsNoticeDays, 0);
        AtLeast("DRAIN_SECONDS", options.DrainSeconds, 0);
        AtLeast("DRAIN_DELAY_SECONDS", options.DrainDelaySeconds, 0);
        AtLeast("MAX_IN_FLIGHT", options.MaxInFlight, 1);
        if (!System.Net.IPAddress.TryParse(options.Bind, out _))
        {
            failures.Add($"{ServeSettings.Describe("BIND")} must be an IP address (127.0.0.1, 0.0.0.0, ::), not '{options.Bind}'.");
        }

        if (options.Upstream is { } upstream && !IsHttpUrl(upstream, out _))
        {
            failures.Add($"{ServeSettings.Describe("UPSTREAM")} must be an absolute http(s) URL, not '{upstream}'.");
        }

        if (options.LogFormat is not ("text" or "json"))
        {
            failures.Add($"{ServeSettings.Describe("LOG_FORMAT")} must be text or json, not '{options.LogFormat}'.");
        }

        if (!options.Store.Equals("sqlite", StringComparison.OrdinalIgnoreCase) && !options.Store.Equals("postgres", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{ServeSettings.Describe("STORE")} must be sqlite or postgres, not '{options.Store}'.");
        }

        failures.AddRange(ServeSettings.Entries(options.LogLevel).Where(entry => !TryParseLogLevel(entry, out _, out _)).Select(entry =>
            $"{ServeSettings.Describe("LOG_LEVEL")} takes LEVEL or CATEGORY=LEVEL (';'-separated in the variable) with a level of Trace, Debug, Information, Warning, Error, Critical or None, not '{entry}'."));
        failures.AddRange(ServeSettings.Entries(options.AllowBackendNetwork).Where(entry => !System.Net.IPNetwork.TryParse(entry, out _)).Select(entry =>
            $"{ServeSettings.Describe("ALLOW_BACKEND_NETWORK")} takes address ranges in CIDR notation (127.0.0.0/8, fd00::/8; ';'-separated in the variable), not '{entry}'."));
        failures.AddRange(options.ClassifierRegions.Where(r => string.IsNullOrWhiteSpace(r.Value)).Select(r =>
            $"--classifier-region ({ServeSettings.EnvironmentPrefix}CLASSIFIER_REGION_<NAME>) takes NAME=REGION, not '{r.Key}'."));

        // A classifier or guard model is sent content, so it is a recipient inside or outside each deployment's boundary:
        // one with no declared place would be inside no boundary and silently unused (or refusing), so the start stops.
        void NeedsRegion(string kind, string who)
        {
            if (string.IsNullOrWhiteSpace(options.ClassifierRegions.GetValueOrDefault(who)))
            {
                failures.Add($"{kind} '{who}' needs its region: --classifier-region {who}=REGION ({ServeSettings.EnvironmentPrefix}CLASSIFIER_REGION_{who.ToUpperInvariant()}); "
                    + "it is sent content, and is asked only for deployments whose boundary contains that region.");
            }
        }

        foreach (var (who, url) in options.ClassifierUrls)
        {
            if (!IsSnakeCase(who) || !IsHttpUrl(url, out _))
            {
                failures.Add($"--classifier ({ServeSettings.EnvironmentPrefix}CLASSIFIER_URL_<NAME>) takes NAME=URL with a snake_case name and an absolute http(s) URL, not '{who}={url}'.");
            }

            NeedsRegion("classifier", who);
        }

        foreach (var (who, spec) in options.GuardModels)
        {
            if (!IsSnakeCase(who) || !TryParseGuardModel(spec, out _, out _, out _))
            {
                failures.Add($"--guard-model ({ServeSettings.EnvironmentPrefix}GUARD_MODEL_<NAME>) takes NAME=URL,model=ID[,taxonomy=llama_guard_3|shieldgemma] "
                    + $"with a snake_case name and an absolute http(s) URL, not '{who}={spec}'.");
            }

            NeedsRegion("guard model", who);
        }

        ValidateOpenIdConnect(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Portal sign-in through an OpenID Connect issuer: all of it or none of it.</summary>
    private static void ValidateOpenIdConnect(ServeSettings options, List<string> failures)
    {
        var people = ServeSettings.Entries(options.OpenIdPeople).ToList();
        AtLeastOneHour(options.OpenIdSessionHours);
        if (options.OpenIdIssuer is not { } issuer)
        {
            if (options.OpenIdClientId is not null || people.Count > 0)
            {
                failures.Add($"--oidc-client-id and --oidc-person need {ServeSettings.Describe("OIDC_ISSUER")}.");
            }

            return;
        }

        if (!Uri.TryCreate(issuer.Trim(), UriKind.Absolute, out var issuerUri) || !(issuerUri.Scheme == "https" || (issuerUri.Scheme == "http" && issuerUri.IsLoopback)))
        {
            failures.Add($"{ServeSettings.Describe("OIDC_ISSUER")} must be an https URL (http only on a loopback address), not '{issuer}'.");
        }

        if (string.IsNullOrWhiteSpace(options.OpenIdClientId))
        {
            failures.Add($"--oidc-issuer needs {ServeSettings.Describe("OIDC_CLIENT_ID")}: the audience its ID tokens must name.");
        }

        foreach (var person in people)
        {
            if (!PersonMapping.TryParse(person, out _, out var error))
            {
                failures.Add($"--oidc-person ({ServeSettings.EnvironmentPrefix}{ServeSettings.OpenIdPeopleKey}): {error}.");
            }
        }

        if (people.Count == 0)
        {
            failures.Add($"--oidc-issuer needs at least one --oidc-person ({ServeSettings.EnvironmentPrefix}{ServeSettings.OpenIdPeopleKey}): nobody could sign in with it otherwise.");
        }

        void AtLeastOneHour(int? hours)
        {
            if (hours < 1)
            {
                failures.Add($"{ServeSettings.Describe("OIDC_SESSION_HOURS")} must be at least 1, not {hours}.");
            }
        }
    }

    /// <summary>URL,model=ID[,taxonomy=…]: the server's base URL, the served model, and its taxonomy (Llama Guard 3 by default).</summary>
    public static bool TryParseGuardModel(string value, out Uri url, out string model, out GuardTaxonomy taxonomy)
    {
        model = string.Empty;
        taxonomy = GuardTaxonomy.LlamaGuard3;
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (!IsHttpUrl(parts[0], out url))
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
                    taxonomy = GuardTaxonomy.LlamaGuard3;
                    break;
                case ["taxonomy", "shieldgemma"]:
                    taxonomy = GuardTaxonomy.ShieldGemma;
                    break;
                default:
                    return false;
            }
        }

        return model.Length > 0;
    }

    public static bool TryParseLogLevel(string value, out string? category, out LogLevel level)
    {
        var split = value.LastIndexOf('=');
        category = split > 0 ? value[..split].Trim() : null;
        return Enum.TryParse(split > 0 ? value[(split + 1)..].Trim() : value.Trim(), ignoreCase: true, out level)
            && Enum.IsDefined(level) && (split < 0 || category is { Length: > 0 });
    }

    private static bool IsSnakeCase(string name) => name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    private static bool IsHttpUrl(string value, out Uri url) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out url!) && url.Scheme is "http" or "https";
}

/// <summary>Builds the configuration of <see cref="ServeSettings"/> from the environment and the command line, and loads it.</summary>
internal static class ServeConfiguration
{
    /// <summary>
    /// The <c>MERIDIAN_*</c> variables (non-empty ones; per-name variables as sections keyed by the lowercased name),
    /// then the flags given on the command line over them.
    /// </summary>
    public static IConfiguration Build(IEnumerable<KeyValuePair<string, string?>> environment, IEnumerable<KeyValuePair<string, string?>> flags)
    {
        var variables = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, value) in environment)
        {
            if (!variable.StartsWith(ServeSettings.EnvironmentPrefix, StringComparison.Ordinal) || string.IsNullOrEmpty(value))
            {
                continue;
            }

            var key = variable[ServeSettings.EnvironmentPrefix.Length..];
            if (ServeSettings.Named.FirstOrDefault(n => key.StartsWith(n.EnvironmentPrefix, StringComparison.Ordinal)) is ({ } prefix, { } section))
            {
                var entry = key[prefix.Length..].ToLowerInvariant();
                // Geography names have dashes, which variable names cannot have.
                key = ConfigurationPath.Combine(section, section == ServeSettings.PostgresGeoSection ? entry.Replace('_', '-') : entry);
            }

            variables[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(variables).AddInMemoryCollection(flags).Build();
    }

    /// <summary>The environment as the process has it.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ProcessEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => new KeyValuePair<string, string?>((string)e.Key, e.Value as string));

    /// <summary>
    /// The settings bound and validated as a host validates its options at start (<c>ValidateOnStart</c>): throws
    /// <see cref="OptionsValidationException"/> listing every bad setting, or <see cref="InvalidOperationException"/>
    /// when a value is not of its setting's type.
    /// </summary>
    public static ServeSettings Load(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IValidateOptions<ServeSettings>, ServeSettingsValidator>();
        services.AddOptions<ServeSettings>().Bind(configuration).ValidateOnStart();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider.GetRequiredService<IOptions<ServeSettings>>().Value;
    }

    /// <summary>
    /// Why a setting could not be bound, naming it: the binder says which key and type
    /// ("Failed to convert configuration value 'x' at 'PORT' to type …").
    /// </summary>
    public static string Explain(InvalidOperationException bindingFailure)
    {
        var message = bindingFailure.Message;
        var at = message.IndexOf(" at '", StringComparison.Ordinal);
        var end = at < 0 ? -1 : message.IndexOf('\'', at + 5);
        if (end < 0)
        {
            return message;
        }

        var key = message[(at + 5)..end];
        return key.Contains(':', StringComparison.Ordinal)
            ? message
            : $"{ServeSettings.Describe(key)} must be a whole number, not what was given ({message.TrimEnd('.')}).";
    }

    /// <summary>An int flag's configuration value.</summary>
    public static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
