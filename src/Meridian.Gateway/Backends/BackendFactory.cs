using System.Text.Json;
using Meridian.Core.Marketplace;
using Meridian.Core.World;
using Meridian.Gateway.Hosting;
using Meridian.Inference.LlamaSharp;
using Meridian.Protocol;
using Meridian.Simulator;

namespace Meridian.Gateway.Backends;

/// <summary>Turns the operator's backend declarations into the registry the router selects from.</summary>
public static class BackendFactory
{
    /// <summary>Where a publisher's backend runs, for boundary purposes: outside every platform region and zone.</summary>
    public const string PublisherZone = "publisher";

    public static BackendRegistry Build(GatewayOptions options, WorldMap world, IReadOnlyList<string> publisherIds, ILoggerFactory? loggerFactory = null)
    {
        var simulator = new SimulatorBackend(new SimulatorOptions { PerTokenDelay = options.SimulatorTokenDelay }, TimeProvider.System);
        var declared = LoadDeclarations(options, world, publisherIds);
        HttpClient? http = null;
        var backends = new List<RegisteredBackend>(declared.Count);
        foreach (var config in declared)
        {
            backends.Add(Register(config, world, config.Kind switch
            {
                "simulator" => simulator,
                "anthropic" => new AnthropicHttpBackend(http ??= UpstreamHttpClient(), RequireUrl(config), Credential(config)),
                "openai" => new OpenAiChatBackend(http ??= UpstreamHttpClient(), RequireUrl(config), Credential(config)),
                "llamasharp" => LoadGguf(config, loggerFactory),
                _ => throw new InvalidOperationException($"Backend '{config.Id}': unknown kind '{config.Kind}' (expected simulator, anthropic, openai, llamasharp).")
            }));
        }

        return new BackendRegistry(backends);
    }

    /// <summary>
    /// The backends of the config file; without one, the embedded default: a built-in simulator in every region and
    /// one per publisher standing in for its own infrastructure (location undeclared). <c>--upstream</c> swaps the
    /// platform simulators for an Anthropic-compatible HTTP upstream.
    /// </summary>
    private static IReadOnlyList<BackendConfig> LoadDeclarations(GatewayOptions options, WorldMap world, IReadOnlyList<string> publisherIds)
    {
        if (options.ConfigFile is { } file)
        {
            GatewayConfigFile? parsed;
            try
            {
                parsed = JsonSerializer.Deserialize(File.ReadAllBytes(file), BackendConfigJsonContext.Default.GatewayConfigFile);
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                throw new InvalidOperationException($"The config file '{file}' could not be read: {ex.Message}", ex);
            }

            return parsed?.Backends ?? [];
        }

        var platform = world.Regions.Select(r => options.UpstreamUrl is { } upstream
            ? new BackendConfig { Id = $"anthropic-{r.Name}", Kind = "anthropic", Url = upstream, ApiKeyEnv = GatewayOptions.UpstreamApiKeyEnv, Region = r.Name }
            : new BackendConfig { Id = $"simulator-{r.Name}", Kind = "simulator", Region = r.Name });
        var publishers = publisherIds.Select(p => new BackendConfig { Id = $"simulator-{p}", Kind = "simulator", Region = "undeclared", OperatedBy = p });
        return [.. platform, .. publishers];
    }

    private static RegisteredBackend Register(BackendConfig config, WorldMap world, IInferenceBackend client)
    {
        string zone;
        if (config.OperatedBy == BackendPlacement.Platform)
        {
            if (!world.TryGetRegion(config.Region, out var region))
            {
                throw new InvalidOperationException($"Backend '{config.Id}': region '{config.Region}' is not a region of this world.");
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

    private static HttpClient UpstreamHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
