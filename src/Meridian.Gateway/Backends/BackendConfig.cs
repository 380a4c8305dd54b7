using System.Text.Json.Serialization;

namespace Meridian.Gateway.Backends;

/// <summary>
/// One backend as the operator declares it (in the <c>backends</c> list of the config file).
/// Credentials are never in the file: <see cref="ApiKeyEnv"/> names the environment variable that holds them.
/// </summary>
internal sealed record BackendConfig
{
    private readonly string _operatedBy = "platform";
    private readonly IReadOnlyList<string> _models = [];

    public required string Id { get; init; }

    /// <summary><c>simulator</c>, <c>anthropic</c>, <c>openai</c> or <c>llamasharp</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Base URL of an HTTP backend (for <c>anthropic</c>, the part before <c>/v1/messages</c>).</summary>
    public Uri? Url { get; init; }

    public string? ApiKeyEnv { get; init; }

    /// <summary>A region of the world for platform backends; for a publisher's backend, its declared location (or "undeclared").</summary>
    public required string Region { get; init; }

    /// <summary><c>platform</c>, or the id of the publisher that operates it.</summary>
    /// <remarks>The source-generated deserializer assigns every init-only property, an absent one as null, which would
    /// override a plain initializer: the default is applied in the setter.</remarks>
    public string OperatedBy { get => _operatedBy; init => _operatedBy = value ?? "platform"; }

    /// <summary>Model ids it serves; empty means every model.</summary>
    public IReadOnlyList<string> Models { get => _models; init => _models = value ?? []; }

    /// <summary>
    /// Set through the admin API (a publisher's endpoint), not by the operator: it connects only to addresses the
    /// <see cref="EndpointAddressGuard"/> allows. Never read from the config file.
    /// </summary>
    [JsonIgnore]
    public bool Guarded { get; init; }

    /// <summary>Requests it takes at once; at the limit the router counts it overloaded and uses another eligible backend. Default: no limit.</summary>
    public int? MaxInFlight { get; init; }

    /// <summary>GGUF file of a <c>llamasharp</c> backend.</summary>
    public string? ModelPath { get; init; }

    /// <summary>A <c>llamasharp</c> backend's context in tokens (prompt and answer); default: the model's, at most 4096.</summary>
    public int? ContextSize { get; init; }

    /// <summary>Requests a <c>llamasharp</c> backend generates at once (one KV cache each); default 2.</summary>
    public int? Parallel { get; init; }

    /// <summary>Layers a <c>llamasharp</c> backend offloads to a GPU when llama.cpp has one; default all.</summary>
    public int? GpuLayers { get; init; }
}

internal sealed record GatewayConfigFile
{
    public IReadOnlyList<BackendConfig> Backends { get; init; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(GatewayConfigFile))]
internal sealed partial class BackendConfigJsonContext : JsonSerializerContext;
