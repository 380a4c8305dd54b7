using Meridian.Storage;
using Meridian.Storage.Sql;

namespace Meridian.Gateway.Configuration;

/// <summary>How one gateway node runs. Bound from the command line and environment, validated at start.</summary>
public sealed class GatewayOptions
{
    public const int DefaultPort = 8080;

    /// <summary>The name of the node's meter and activity source (what an OpenTelemetry exporter subscribes to).</summary>
    public const string TelemetryName = "Meridian.Gateway";

    /// <summary>Folder of the embedded SQLite stores (control.db, geo-*.db) and the key-hashing secret.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// A folder to read the node's secret files from instead of the data folder (<c>--secrets-dir</c> /
    /// <c>MERIDIAN_SECRETS_DIR</c>): a platform's mounted secret. Every file must be there at start; none is created in it.
    /// </summary>
    public string? SecretsDirectory { get; set; }

    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>The region this node's ingress runs in; recorded on every receipt.</summary>
    public string IngressRegion { get; set; } = "eastus";

    /// <summary>A fixed demo API key (for scripts); otherwise one is generated and printed once on first start.</summary>
    public string? DemoKey { get; set; }

    /// <summary>
    /// A fixed operator-admin token (for scripts); otherwise one is generated and printed once when no operator token
    /// exists. Stored hashed like every token.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>
    /// How long a stopping node (SIGTERM) lets in-flight requests and streams finish before it cuts them
    /// (<c>--drain-seconds</c> / <c>MERIDIAN_DRAIN_SECONDS</c>). The record writers flush after that whatever it is.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = DefaultDrainTimeout;

    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stopping node keeps accepting while <c>/readyz</c> already says draining, before the drain
    /// (<c>--drain-delay-seconds</c> / <c>MERIDIAN_DRAIN_DELAY_SECONDS</c>): long enough for a load balancer's readiness
    /// polling to take it out of rotation, so no client meets a closed port. 0 by default (a node nobody balances).
    /// </summary>
    public TimeSpan UnreadyBeforeStop { get; set; }

    /// <summary>
    /// Serve the Prometheus scrape endpoint (<c>/metrics</c>) on this port of <see cref="BindAddress"/>, apart from the
    /// data plane (<c>--metrics-port</c> / <c>MERIDIAN_METRICS_PORT</c>); null serves none. 0 picks a free port (tests).
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>Console log lines as text (one line each) or as JSON objects with the request id and trace id (<c>--log-format</c>).</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Text;

    /// <summary>Portal sign-in with an OpenID Connect provider beside admin tokens (<c>--oidc-issuer</c> …); null offers tokens only.</summary>
    public OpenIdConnectOptions? OpenIdConnect { get; set; }

    /// <summary>The minimum level of every category not named in <see cref="LogLevels"/> (<c>--log-level LEVEL</c>).</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Warning;

    /// <summary>Minimum levels per category prefix (<c>--log-level CATEGORY=LEVEL</c>), e.g. Meridian.Gateway.Backends=Information.</summary>
    public Dictionary<string, LogLevel> LogLevels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Seed the demo marketplace into an empty control store.</summary>
    public bool SeedDemo { get; set; } = true;

    /// <summary>Simulated per-token latency of the built-in simulator backends.</summary>
    public TimeSpan SimulatorTokenDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The environment variable <c>--upstream</c>'s credential is read from.</summary>
    public const string UpstreamApiKeyEnv = "MERIDIAN_UPSTREAM_API_KEY";

    /// <summary>A JSON config file declaring the backends (see docs/backends.md); without it, the embedded default.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>An Anthropic-compatible upstream for the platform backends instead of the in-process simulator.</summary>
    public Uri? UpstreamUrl { get; set; }

    /// <summary>Health checks, outlier ejection, balancing and failover of the backends (docs/backends.md, "Routing").</summary>
    public RoutingOptions Routing { get; set; } = new();

    /// <summary>
    /// Base64 of the operator's 32-byte Ed25519 receipt-signing seed; otherwise <c>MERIDIAN_RECEIPT_SIGNING_KEY</c>, else a
    /// key generated into the data folder on first start. Never logged.
    /// </summary>
    public string? ReceiptSigningKey { get; set; }

    /// <summary>
    /// How long before a change of an offer's prices or retention requirement binds a tenant subscribed before it, unless
    /// the tenant accepts it sooner (docs/metering.md, "Which price applies"). New subscribers get a change at once. Every
    /// node of a cluster should use the same value: the node that takes the change fixes its date.
    /// </summary>
    public TimeSpan TermsNotice { get; set; } = DefaultTermsNotice;

    public static readonly TimeSpan DefaultTermsNotice = TimeSpan.FromDays(30);

    /// <summary>How often a node checks the control store for changes (keys revoked, deployments added).</summary>
    public TimeSpan SnapshotRefreshInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// <c>HOST:PORT</c> (or a StackExchange.Redis configuration string) of the Redis shared by the nodes of a
    /// cluster: quota buckets and change notifications (docs/scale-out.md). Null: embedded mode, all in this process.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every Redis key and channel this cluster uses, so clusters (and test runs) can share one Redis.</summary>
    public string RedisPrefix { get; set; } = DefaultRedisPrefix;

    public const string DefaultRedisPrefix = "meridian:";

    /// <summary>
    /// How many nodes the cluster is expected to run. While Redis is unreachable each node enforces its share of every
    /// quota (limit / nodes, at least 1) from its own memory, so the cluster as a whole stays within the limit.
    /// </summary>
    public int ExpectedNodes { get; set; } = 1;

    /// <summary>
    /// This node's name, from which its receipt logs are named (docs/receipts.md, "The receipt log"): stable across
    /// restarts and unique among nodes sharing a receipt key and a store. Null: <c>host:port</c> (<see cref="Records.NodeIdentity.For"/>).
    /// </summary>
    public string? NodeName { get; set; }

    /// <summary>The stores' engine: embedded SQLite files in the data folder, or PostgreSQL shared by several nodes.</summary>
    public StoreEngine Store { get; set; } = StoreEngine.Sqlite;

    /// <summary>PostgreSQL connection string of the control schema and of every geography without its own server.</summary>
    public string? Postgres { get; set; }

    /// <summary>Prefix of this cluster's PostgreSQL schema names (<c>{prefix}_control</c>, <c>{prefix}_geo_{name}</c>).</summary>
    public string PostgresSchemaPrefix { get; set; } = StorageSettings.DefaultSchemaPrefix;

    /// <summary>Connection strings of geographies whose data rests on a PostgreSQL server of their own, by geography.</summary>
    public Dictionary<string, string> PostgresGeographies { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where this node's stores live, with the data folder holding the SQLite files and the node's secrets.</summary>
    public StorageSettings StorageIn(string dataDirectory) => new()
    {
        Engine = Store,
        DataDirectory = dataDirectory,
        Postgres = Postgres,
        SchemaPrefix = PostgresSchemaPrefix,
        GeographyConnections = PostgresGeographies,
    };

    /// <summary>Trust &amp; Safety cases: retention, purge interval, per-geography encryption keys (docs/safeguards.md).</summary>
    public SafeguardsOptions Safeguards { get; set; } = new();

    /// <summary>
    /// The work budget of a request before any backend sees it — counting its tokens and screening its text — in work
    /// units per byte of body (docs/messages-api.md, "Work budget"). Both are linear by construction at about 60 units
    /// per byte on the worst input measured (bench/PROFILE.md); the default leaves eight times that, so only a path that
    /// is not linear ever reaches it. A request over budget is refused with 413 <c>request_too_large</c>.
    /// </summary>
    public int WorkUnitsPerByte { get; set; } = 512;

    /// <summary>
    /// The heap all requests in flight may cost for their bodies at once (default 1 GiB). A read body is charged
    /// <see cref="DataPlane.BodyMemoryBudget.HeapBytesPerBodyByte"/> (8) times its bytes, what its request costs on the heap
    /// while it is parsed and counted: four 32 MB bodies at once, or about 2,000 of 64 KB. A body that would go past it is
    /// refused with 529 at once (README, "Limits").
    /// </summary>
    public long BodyBytesInFlight { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// Internal address ranges (loopback, private, link-local, …) that URLs set through the admin API — publisher
    /// endpoints — may point at after all (<c>--allow-backend-network CIDR</c>); empty by default: none
    /// (<see cref="Backends.EndpointAddressGuard"/>).
    /// </summary>
    public List<System.Net.IPNetwork> AllowedBackendNetworks { get; } = [];

    /// <summary>
    /// Model requests this node takes at once, all keys together (default 4,096; <c>--max-in-flight</c>); past it, 529
    /// <c>overloaded_error</c> with <c>Retry-After</c> at once, never queued (docs/messages-api.md, "Limits").
    /// </summary>
    public int MaxRequestsInFlight { get; set; } = DefaultMaxRequestsInFlight;

    public const int DefaultMaxRequestsInFlight = 4096;

    /// <summary>Requests one API key may have in flight on a node at once; past it, 429 at once (default 256).</summary>
    public int MaxConcurrentPerKey { get; set; } = 256;

    /// <summary>Failed authentications one source address may make at once before it is throttled (429, unchecked).</summary>
    public int AuthFailureBurst { get; set; } = 100;

    /// <summary>How fast a source's failed-authentication allowance refills: the most guesses per second it can sustain.</summary>
    public double AuthFailuresPerSecond { get; set; } = 10;

    /// <summary>The budget of the smallest requests, whatever their size.</summary>
    public long MinWorkUnits { get; set; } = 1_000_000;

    /// <summary>The work budget of a request of <paramref name="bodyBytes"/> bytes.</summary>
    public long WorkUnitsFor(int bodyBytes) => Math.Max(MinWorkUnits, (long)WorkUnitsPerByte * bodyBytes);
}

/// <summary>How the console logger writes (<c>--log-format</c>).</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per entry.</summary>
    Text,

    /// <summary>One JSON object per line, with scopes: the request id (<c>RequestId</c>) and trace id (<c>TraceId</c>) of the request that logged it.</summary>
    Json,
}
