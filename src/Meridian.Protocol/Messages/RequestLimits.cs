namespace Meridian.Protocol.Messages;

/// <summary>
/// The bounds the gateway enforces on a Messages request before any backend sees it. Where Anthropic documents or
/// enforces a bound, the value is Anthropic's, so a request Meridian accepts is one Anthropic would accept too; where
/// Anthropic is silent, the bound is Meridian's own choice. docs/messages-api.md lists each with its source.
/// </summary>
public static class RequestLimits
{
    /// <summary>Stop sequences per request: the bound Amazon Bedrock documents for Claude's Messages API (Anthropic's own docs give none).</summary>
    public const int MaxStopSequences = 8191;

    /// <summary>Tools per request: Anthropic's tool search documents catalogs of up to 10,000 tools.</summary>
    public const int MaxTools = 10_000;

    /// <summary>Tool name length: the API answers "String should have at most 128 characters" past it.</summary>
    public const int MaxToolNameLength = 128;

    /// <summary>Tool description length (UTF-16 chars): Meridian's choice, about 25,000 tokens; Anthropic documents none.</summary>
    public const int MaxToolDescriptionChars = 100_000;

    /// <summary>A tool's <c>input_schema</c> as JSON: Meridian's choice; Anthropic documents none.</summary>
    public const int MaxToolSchemaBytes = 1024 * 1024;

    /// <summary><c>metadata.user_id</c> length: <c>maxLength 256</c> in Anthropic's Messages API reference.</summary>
    public const int MaxUserIdLength = 256;

    /// <summary>Images per request: "up to 100 images per API request" (Anthropic, vision).</summary>
    public const int MaxImages = 100;

    /// <summary>Past this many images, each must fit <see cref="MaxManyImagesDimension"/> (Anthropic, vision).</summary>
    public const int ManyImagesThreshold = 20;

    /// <summary>Largest width or height of an image: "larger than 8000x8000 px … will be rejected" (Anthropic, vision).</summary>
    public const int MaxImageDimension = 8000;

    /// <summary>Largest width or height of each image in a request of more than 20 images (Anthropic, vision).</summary>
    public const int MaxManyImagesDimension = 2000;

    /// <summary>An image's base64 data: 5 MB per image through the API (Anthropic, vision), counted on the base64 text as the API does.</summary>
    public const int MaxImageBase64Chars = 5 * 1024 * 1024;

    /// <summary>PDF pages per request: 600, or 100 for models with a 200k-token context window (Anthropic, PDF support).</summary>
    public const int MaxPdfPages = 600;

    /// <summary>PDF pages per request for a model whose context window is 200k tokens or less (Anthropic, PDF support).</summary>
    public const int MaxPdfPagesSmallContext = 100;

    /// <summary>The context window at or under which <see cref="MaxPdfPagesSmallContext"/> applies.</summary>
    public const int SmallContextWindow = 200_000;

    /// <summary>A URL source's length: Meridian's choice (the common 8 KB limit of HTTP servers on a request line).</summary>
    public const int MaxSourceUrlLength = 8192;
}
