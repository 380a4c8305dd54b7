using System.Collections.Concurrent;
using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Gateway.Configuration;
using Meridian.Inference.LlamaSharp;
using Meridian.Protocol;
using Meridian.Simulator;
using Meridian.Storage.Control;

namespace Meridian.Gateway.Backends;

/// <summary>
/// Owns the backend clients and builds the registry the router selects from, anew whenever the control store
/// changes (a publisher declares an endpoint, a region is added), reusing clients so connections and loaded
/// models survive the rebuild. The config file's backends are fixed for the life of the process.
/// Thread-safe; disposing it releases in-process models.
/// </summary>
public sealed class BackendCatalog : IDisposable
{
    /// <summary>Where a publisher's backend runs, for boundary purposes: outside every platform region and zone.</summary>
    public const string PublisherZone = "publisher";

    private readonly GatewayOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly SimulatorBackend _simulator;
    private readonly Lazy<HttpMessageInvoker> _http = new(() => UpstreamInvoker(connect: null));

    // Publisher endpoints were set through the admin API: their connections go only where the guard allows.
    private readonly Lazy<HttpMessageInvoker> _guardedHttp;
    private readonly IReadOnlyList<BackendConfig>? _declared;
    private readonly ConcurrentDictionary<string, IInferenceBackend> _clients = new(StringComparer.Ordinal);

    // One state (health, load, latency) per backend identity, kept across rebuilds like the clients.
    private readonly ConcurrentDictionary<string, BackendState> _states = new(StringComparer.Ordinal);

    public BackendCatalog(GatewayOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _guardedHttp = new(() => UpstreamInvoker(new EndpointAddressGuard(options).ConnectAsync));
        _simulator = new SimulatorBackend(new SimulatorOptions { PerTokenDelay = options.SimulatorTokenDelay }, time ?? TimeProvider.System);
        _declared = options.ConfigFile is { } file ? LoadConfigFile(file) : null;

        // Create the declared clients now (in-process models load here), so a bad config stops the start.
        foreach (var config in _declared ?? [])
        {
            if (config.MaxInFlight is <= 0)
            {
                throw new InvalidOperationException($"Backend '{config.Id}': max_in_flight must be at least 1 (or left out for no limit).");
            }

            ClientFor(config);
        }
    }

    /// <summary>
    /// The backends for this state of the world: the config file's (or, without one, the embedded default of a
    /// simulator or <c>--upstream</c> in every region), plus each publisher's declared endpoints. In the embedded
    /// default a publisher without endpoints gets a simulator standing in for its infrastructure, location undeclared.
    /// </summary>
    public BackendRegistry Build(WorldMap world, IReadOnlyList<PublisherRecord> publishers)
    {
        var configs = new List<BackendConfig>();
        if (_declared is not null)
        {
            configs.AddRange(_declared);
        }
        else
        {
            configs.AddRange(world.Regions.Select(r => _options.UpstreamUrl is { } upstream
                ? new BackendConfig { Id = $"anthropic-{r.Name}", Kind = "anthropic", Url = upstream, ApiKeyEnv = GatewayOptions.UpstreamApiKeyEnv, Region = r.Name }
                : new BackendConfig { Id = $"simulator-{r.Name}", Kind = "simulator", Region = r.Name }));
        }

        foreach (var publisher in publishers)
        {
            for (var i = 0; i < publisher.Endpoints.Count; i++)
            {
                var endpoint = publisher.Endpoints[i];
                if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var url))
                {
                    continue;
                }

                configs.Add(new BackendConfig
                {
                    Id = $"{publisher.PublisherId}-endpoint-{i + 1}",
                    Kind = "anthropic",
                    Url = url,
                    ApiKeyEnv = PublisherKeyEnv(publisher.PublisherId),
                    Region = endpoint.DeclaredLocation ?? PublisherEndpoint.Undeclared,
                    OperatedBy = publisher.PublisherId,
                    Guarded = true,
                });
            }

            if (_declared is null && publisher.Endpoints.Count == 0)
            {
                configs.Add(new BackendConfig { Id = $"simulator-{publisher.PublisherId}", Kind = "simulator", Region = PublisherEndpoint.Undeclared, OperatedBy = publisher.PublisherId });
            }
        }

        var backends = new List<RegisteredBackend>(configs.Count);
        foreach (var config in configs)
        {
            if (Register(config, world, ClientFor(config)) is { } registered)
            {
                backends.Add(registered with { State = _states.GetOrAdd(IdentityOf(config), static _ => new BackendState()), MaxInFlight = config.MaxInFlight });
            }
        }

        return new BackendRegistry(backends);
    }

    /// <summary>Stops the start when a declared platform backend names a region this world does not have.</summary>
    public void ValidateAgainst(WorldMap world)
    {
        foreach (var config in _declared ?? [])
        {
            if (config.OperatedBy == BackendPlacement.Platform && !world.TryGetRegion(config.Region, out _))
            {
                throw new InvalidOperationException(
                    $"Backend '{config.Id}': region '{config.Region}' is not a region of this world; known: {string.Join(", ", world.Regions.Select(r => r.Name))}.");
            }
        }
    }

    /// <summary>The environment variable holding the credential for a publisher's endpoints: <c>MERIDIAN_PUBLISHER_KEY_PUB_ACME</c>.</summary>
    public static string PublisherKeyEnv(string publisherId) =>
        "MERIDIAN_PUBLISHER_KEY_" + new string([.. publisherId.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_')]);

    public void Dispose()
    {
        foreach (var client in _clients.Values.OfType<IDisposable>())
        {
            client.Dispose();
        }

        if (_http.IsValueCreated)
        {
            _http.Value.Dispose();
        }

        if (_guardedHttp.IsValueCreated)
        {
            _guardedHttp.Value.Dispose();
        }
    }

    private HttpMessageInvoker HttpFor(BackendConfig config) => config.Guarded ? _guardedHttp.Value : _http.Value;

    private static string IdentityOf(BackendConfig config) => config.Kind + "|" + config.Id + "|" + config.Url;

    private IInferenceBackend ClientFor(BackendConfig config) =>
        // A client built while its credential was missing is not kept: the next rebuild (the next change to the world)
        // builds it again, so a credential that appears later is used rather than never.
        config.ApiKeyEnv is not null && Credential(config) is null ? NewClient(config) : _clients.GetOrAdd(IdentityOf(config), _ => NewClient(config));

    private IInferenceBackend NewClient(BackendConfig config) => config.Kind switch
    {
        "simulator" => _simulator,
        "anthropic" => new AnthropicHttpBackend(HttpFor(config), RequireUrl(config), Credential(config)),
        "openai" => new OpenAiChatBackend(HttpFor(config), RequireUrl(config), Credential(config)),
        "llamasharp" => LoadGguf(config, _loggerFactory),
        _ => throw new InvalidOperationException($"Backend '{config.Id}': unknown kind '{config.Kind}' (expected simulator, anthropic, openai, llamasharp)."),
    };

    private static IReadOnlyList<BackendConfig> LoadConfigFile(string file)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(file), BackendConfigJsonContext.Default.GatewayConfigFile)?.Backends ?? [];
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            throw new InvalidOperationException($"The config file '{file}' could not be read: {ex.Message}", ex);
        }
    }

    /// <summary>Null for a platform backend whose region is not (or no longer) in the world: it can serve no boundary.</summary>
    private static RegisteredBackend? Register(BackendConfig config, WorldMap world, IInferenceBackend client)
    {
        string? zone;
        if (config.OperatedBy == BackendPlacement.Platform)
        {
            if (!world.TryGetRegion(config.Region, out var region))
            {
                return null;
            }

            zone = region.DataZone ?? string.Empty;
        }
        else
        {
            zone = PublisherZone;
        }

        return new RegisteredBackend(
            new BackendPlacement(config.Id, config.Region, zone, config.OperatedBy),
            config.Kind,
            config.Region,
            client,
            config.Models.Count == 0 ? null : config.Models.ToHashSet(StringComparer.Ordinal));
    }

    private static Uri RequireUrl(BackendConfig config) =>
        config.Url is { IsAbsoluteUri: true } url
            ? (url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/"))
            : throw new InvalidOperationException($"Backend '{config.Id}' of kind '{config.Kind}' needs an absolute url.");

    /// <summary>Loads the GGUF now, so a wrong path or a file llama.cpp cannot read stops the gateway at start.</summary>
    private static LlamaSharpBackend LoadGguf(BackendConfig config, ILoggerFactory? loggerFactory)
    {
        if (string.IsNullOrWhiteSpace(config.ModelPath))
        {
            throw new InvalidOperationException($"Backend '{config.Id}' of kind 'llamasharp' needs a model_path (a GGUF file).");
        }

        try
        {
            return new LlamaSharpBackend(
                new LlamaSharpOptions
                {
                    ModelPath = config.ModelPath,
                    ContextSize = config.ContextSize ?? 0,
                    MaxParallelRequests = config.Parallel ?? 2,
                    GpuLayerCount = config.GpuLayers ?? 999,
                },
                loggerFactory?.CreateLogger<LlamaSharpBackend>());
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or LLama.Exceptions.RuntimeError)
        {
            throw new InvalidOperationException($"Backend '{config.Id}': the GGUF model_path '{config.ModelPath}' could not be loaded: {ex.Message}", ex);
        }
    }

    private static string? Credential(BackendConfig config) =>
        config.ApiKeyEnv is { } name ? Environment.GetEnvironmentVariable(name) : null;

    /// <summary>
    /// The handler alone, without <see cref="HttpClient"/> on top: no timeout to link per request (answers may stream for
    /// minutes; the client's abort cancels them), no response buffering to opt out of.
    /// </summary>
    private static HttpMessageInvoker UpstreamInvoker(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
        ConnectCallback = connect,
    });
}
