namespace Meridian.Protocol.Messages;

/// <summary>
/// What a validated request asks of a backend beyond plain text, found once by the parser so each backend can say in
/// O(features) whether it can express the request (<see cref="IInferenceBackend.Refusal"/>). Most requests have none.
/// Immutable once parsed.
/// </summary>
public sealed class RequestFeatures
{
    private readonly List<RequestFeature> _items = [];

    public IReadOnlyList<RequestFeature> Items => _items;

    /// <summary>The pages of all the request's PDFs together (a lower bound: see <see cref="MediaCheck"/>).</summary>
    public int PdfPages { get; internal set; }

    internal void Add(FeatureKind kind, string path, string? detail = null) => _items.Add(new RequestFeature(kind, path, detail));

    /// <summary>The first feature of one of <paramref name="kinds"/>, or null.</summary>
    public RequestFeature? First(params ReadOnlySpan<FeatureKind> kinds)
    {
        foreach (var item in _items)
        {
            if (kinds.Contains(item.Kind))
            {
                return item;
            }
        }

        return null;
    }
}

/// <param name="Path">The field, as error messages name it: <c>messages.1.content.0.source</c>.</param>
/// <param name="Detail">The unknown name (a field, a block type, a role, a tool type), when there is one.</param>
public sealed record RequestFeature(FeatureKind Kind, string Path, string? Detail);

public enum FeatureKind
{
    /// <summary>A top-level field, role, block type or option the gateway does not know: only an Anthropic upstream can judge it.</summary>
    Unknown,

    /// <summary>An image given as base64 data (validated by the gateway).</summary>
    ImageData,

    /// <summary>An image or document given by URL: fetched by the upstream, never by the gateway.</summary>
    UrlSource,

    /// <summary>A file uploaded through Anthropic's Files API (<c>file_id</c>): exists only at Anthropic.</summary>
    FileSource,

    /// <summary>A PDF document given as base64 data.</summary>
    PdfDocument,

    /// <summary>A document with a text or content-block source: plain text every backend can read.</summary>
    TextDocument,

    /// <summary>A document asking for citations: only Anthropic can cite.</summary>
    Citations,

    /// <summary>An Anthropic server tool (<c>web_search</c>, <c>bash</c>, …): runs on Anthropic's side.</summary>
    ServerTool,

    /// <summary>A content block only an Anthropic upstream reads: server tool calls and their results, search results, tool references.</summary>
    AnthropicBlock,

    /// <summary><c>output_config.format</c>: the answer must be JSON satisfying a schema.</summary>
    StructuredOutput,

    /// <summary><c>tool_choice</c> <c>any</c> or <c>tool</c>: the answer must call a tool.</summary>
    ForcedToolCall,

    /// <summary>A <c>context_management</c> edit other than clearing thinking (which is moot where no thinking is made).</summary>
    ContextEdit,
}
