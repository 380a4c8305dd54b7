namespace Meridian.Gateway.Configuration;

/// <summary>Trust &amp; Safety settings of a gateway node (docs/safeguards.md, "Cases").</summary>
public sealed class SafeguardsOptions
{
    /// <summary>The environment variable prefix of a geography's case-encryption key for <c>serve</c>: <c>MERIDIAN_TS_KEY_EU</c>.</summary>
    public const string KeyEnvPrefix = "MERIDIAN_TS_KEY_";

    /// <summary>How long a flagged request's encrypted snapshot is kept; its metadata and decision stay.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the purge job looks for snapshots past <see cref="Retention"/>.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Base64 of each geography's 32-byte AES-256-GCM key, by geography name (<c>serve</c> binds them from
    /// <c>MERIDIAN_TS_KEY_&lt;GEO&gt;</c>); else a key
    /// generated into the data folder (<c>ts-key-&lt;geo&gt;.secret</c>, owner-only) on first use. Never logged.
    /// </summary>
    public IDictionary<string, string> CaseKeys { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A flagged request's body is kept whole in its case only up to this many bytes (16 KiB): a request that small is its
    /// own excerpt, and the reviewer reads the conversation as sent. A larger one keeps only its shape and
    /// <see cref="Excerpts"/> around each finding (issue 15: a case never holds a 32 MB body).
    /// </summary>
    public int MaxWholeRequestBytes { get; set; } = 16 * 1024;

    /// <summary>How much text a case keeps around each finding of its request, and at most in all.</summary>
    public Meridian.Safeguards.ExcerptLimits Excerpts { get; set; } = new();

    /// <summary>Most chars of a response kept in memory for a possible case snapshot; the rest is cut (and marked so).</summary>
    public int MaxSnapshotOutputChars { get; set; } = 64 * 1024;

    /// <summary>
    /// Output screening rescans its held-back window only once this many more chars have arrived (default 0: after every
    /// delta). Upstreams send a few chars per delta, so a step such as 64 cuts the CPU of stream screening about
    /// threefold, for text released in steps of that size and held back that much longer (docs/safeguards.md).
    /// </summary>
    public int StreamMinReleaseChars { get; set; }

    /// <summary>The environment variable of <see cref="StreamMinReleaseChars"/> for <c>meridian serve</c>.</summary>
    public const string StreamMinReleaseCharsEnv = "MERIDIAN_STREAM_MIN_RELEASE_CHARS";

    /// <summary>
    /// A JSON file of named policies (docs/safeguards.md, "Configuration") that deployments select by name through
    /// <c>safeguard_policy</c>, next to the built-in <c>default</c>. Read once at start; an invalid file, or a policy naming
    /// a classifier this node does not run, stops the start with a message naming this setting.
    /// </summary>
    public string? PolicyFile { get; set; }

    /// <summary>The environment variable of <see cref="PolicyFile"/> for <c>meridian serve</c>.</summary>
    public const string PolicyFileEnv = "MERIDIAN_SAFEGUARD_POLICIES";

    /// <summary>
    /// External classifiers this node runs next to the built-in ones (a Llama-Guard-style server, a content-safety
    /// service behind a small shim; the contract is in docs/safeguards.md). A policy with a <c>classifiers</c> list runs
    /// the ones it names; one without (the built-in <c>default</c> among them) runs every classifier the node has. When
    /// one is unavailable (timeout, error) the policy's <c>on_classifier_failure</c> decides.
    /// </summary>
    public IList<Meridian.Safeguards.Classifiers.HttpClassifierOptions> HttpClassifiers { get; } = [];

    /// <summary>
    /// Guard models this node runs next to the built-in classifiers (Llama Guard 3, ShieldGemma behind an OpenAI-compatible
    /// server; docs/safeguards.md, "Guard models"). Like <see cref="HttpClassifiers"/>, each declares its region and is asked
    /// only for deployments whose boundary contains it.
    /// </summary>
    public IList<Meridian.Safeguards.Classifiers.GuardModelOptions> GuardModels { get; } = [];

    /// <summary>The environment variable of an external classifier's bearer token: <c>MERIDIAN_CLASSIFIER_TOKEN_LLAMA_GUARD</c>.</summary>
    public const string ClassifierTokenEnvPrefix = "MERIDIAN_CLASSIFIER_TOKEN_";
}
