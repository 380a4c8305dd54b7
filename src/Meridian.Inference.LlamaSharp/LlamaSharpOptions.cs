namespace Meridian.Inference.LlamaSharp;

/// <summary>How one in-process GGUF model is loaded and served (a <c>llamasharp</c> backend of the config file).</summary>
public sealed record LlamaSharpOptions
{
    /// <summary>The largest context a backend allocates when <see cref="ContextSize"/> is left at 0: a KV cache the size of a
    /// modern model's training context (128k tokens) would take gigabytes per parallel request.</summary>
    public const int DefaultMaxContextSize = 4096;

    /// <summary>Path of the GGUF file. Loaded once; the weights are shared by every request.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Tokens per request, prompt and answer together; 0 means the model's training context, at most
    /// <see cref="DefaultMaxContextSize"/>.</summary>
    public int ContextSize { get; init; }

    /// <summary>Requests generated at the same time, one context (KV cache) each; more wait their turn before their
    /// first event.</summary>
    public int MaxParallelRequests { get; init; } = 2;

    /// <summary>Layers offloaded to a GPU when a GPU backend of llama.cpp is loaded (all by default); ignored on the CPU
    /// backend.</summary>
    public int GpuLayerCount { get; init; } = 999;

    /// <summary>CPU threads per request; null lets llama.cpp choose.</summary>
    public int? Threads { get; init; }
}
