using Meridian.Protocol.Messages;

namespace Meridian.Protocol;

/// <summary>
/// What a backend can do for a request, in the terms of the <c>capabilities</c> object of Anthropic's Models API (each
/// reported there as <c>{"supported": …}</c>). A model served by several backends has the union of theirs: the router
/// sends each request only to a backend that can express it.
/// </summary>
public sealed record BackendCapabilities(
    bool ImageInput,
    bool PdfInput,
    bool StructuredOutputs,
    bool Citations,
    bool CodeExecution,
    bool Thinking,
    bool Effort,
    bool ContextManagement)
{
    /// <summary>An Anthropic upstream: every request goes to it as it came, and the model itself decides.</summary>
    public static BackendCapabilities Anthropic { get; } = new(true, true, true, true, true, true, true, true);

    public static BackendCapabilities None { get; } = new(false, false, false, false, false, false, false, false);

    public BackendCapabilities Union(BackendCapabilities other) => new(
        ImageInput || other.ImageInput,
        PdfInput || other.PdfInput,
        StructuredOutputs || other.StructuredOutputs,
        Citations || other.Citations,
        CodeExecution || other.CodeExecution,
        Thinking || other.Thinking,
        Effort || other.Effort,
        ContextManagement || other.ContextManagement);
}

/// <summary>
/// The refusal a backend that is not an Anthropic upstream gives for the first feature of a request it cannot express
/// (<see cref="IInferenceBackend.Refusal"/>), worded the same for every such backend. Stateless and thread-safe.
/// </summary>
public static class FeatureSupport
{
    /// <summary>
    /// The 400 message for the first of the request's features that is not in <paramref name="supported"/>, or null.
    /// <paramref name="backend"/> describes the backend in the message ("the built-in simulator").
    /// </summary>
    public static string? FirstUnsupported(MessagesRequest request, string backend, params ReadOnlySpan<FeatureKind> supported)
    {
        foreach (var feature in request.Features.Items)
        {
            if (!supported.Contains(feature.Kind))
            {
                return Describe(feature, backend);
            }
        }

        return null;
    }

    private static string Describe(RequestFeature feature, string backend) => feature.Kind switch
    {
        FeatureKind.Unknown => $"{feature.Path}: '{feature.Detail}' is not supported by this deployment's backend ({backend}); "
            + "the gateway passes what it does not know only to Anthropic upstreams",
        FeatureKind.ImageData => $"{feature.Path}: images are not supported by this deployment's backend ({backend})",
        FeatureKind.UrlSource => $"{feature.Path}: URL sources are not supported by this deployment's backend ({backend}), which does not fetch them; send the data as base64",
        FeatureKind.FileSource => $"{feature.Path}: file sources (the Files API) exist only at Anthropic and are not supported by this deployment's backend ({backend})",
        FeatureKind.PdfDocument => $"{feature.Path}: PDF documents are not supported by this deployment's backend ({backend})",
        FeatureKind.TextDocument => $"{feature.Path}: documents are not supported by this deployment's backend ({backend})",
        FeatureKind.Citations => $"{feature.Path}: citations are not supported by this deployment's backend ({backend})",
        FeatureKind.ServerTool => $"{feature.Path}: the tool type '{feature.Detail}' is not supported by this deployment's backend ({backend}); only custom tools with an input_schema are",
        FeatureKind.AnthropicBlock => $"{feature.Path}: content blocks of type '{feature.Detail}' are not supported by this deployment's backend ({backend})",
        FeatureKind.StructuredOutput => $"{feature.Path}: structured outputs are not supported by this deployment's backend ({backend})",
        FeatureKind.ForcedToolCall => $"{feature.Path}: this deployment's backend ({backend}) does not support tools; send the request without tool_choice 'any' or 'tool'",
        FeatureKind.ContextEdit => $"{feature.Path}: the context edit '{feature.Detail}' is not supported by this deployment's backend ({backend})",
        _ => $"{feature.Path}: not supported by this deployment's backend ({backend})",
    };
}
