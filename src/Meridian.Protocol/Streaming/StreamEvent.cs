namespace Meridian.Protocol.Streaming;

/// <summary>
/// One event of an Anthropic Messages stream. Every backend produces these, whatever its wire format,
/// so screening, metering and the two response shapes (SSE or one JSON message) are written once.
/// </summary>
public abstract record StreamEvent;

public sealed record MessageStartEvent(string MessageId, string Model, Usage Usage) : StreamEvent;

public sealed record ContentBlockStartEvent(int Index, ContentBlockHeader Block) : StreamEvent;

public sealed record TextDeltaEvent(int Index, string Text) : StreamEvent;

public sealed record InputJsonDeltaEvent(int Index, string PartialJson) : StreamEvent;

public sealed record ContentBlockStopEvent(int Index) : StreamEvent;

/// <param name="Usage">Cumulative usage at the end of the message (Anthropic sends output_tokens cumulatively).</param>
public sealed record MessageDeltaEvent(string StopReason, string? StopSequence, Usage Usage) : StreamEvent;

public sealed record MessageStopEvent : StreamEvent
{
    public static readonly MessageStopEvent Instance = new();
}

public sealed record PingEvent : StreamEvent
{
    public static readonly PingEvent Instance = new();
}

/// <summary>An error after the stream started: the client sees <c>event: error</c>.</summary>
public sealed record ErrorEvent(string ErrorType, string Message) : StreamEvent;

/// <summary>
/// The upstream's whole non-streaming answer, exactly as it sent it; follows the events read from it (which screening
/// and metering see) when those carry all of its content. A non-streaming client is sent these bytes unless screening
/// changed the text; otherwise the answer is written again from the (screened) events. Never framed as SSE.
/// </summary>
public sealed record UpstreamMessageEvent(ReadOnlyMemory<byte> Json) : StreamEvent;

public abstract record ContentBlockHeader;

public sealed record TextBlockHeader : ContentBlockHeader
{
    public static readonly TextBlockHeader Instance = new();
}

public sealed record ToolUseBlockHeader(string Id, string Name) : ContentBlockHeader;

public readonly record struct Usage(
    long InputTokens,
    long OutputTokens,
    long CacheCreationInputTokens = 0,
    long CacheReadInputTokens = 0)
{
    /// <summary>
    /// The usage after a <c>message_delta</c>: output is cumulative in the delta, while input and cache counts may be
    /// reported only at <c>message_start</c> (real Anthropic streams send zeros or omit them later).
    /// </summary>
    public Usage MergeDelta(Usage delta) => new(
        delta.InputTokens == 0 ? InputTokens : delta.InputTokens,
        delta.OutputTokens,
        delta.CacheCreationInputTokens == 0 ? CacheCreationInputTokens : delta.CacheCreationInputTokens,
        delta.CacheReadInputTokens == 0 ? CacheReadInputTokens : delta.CacheReadInputTokens);
}

public static class StopReasons
{
    public const string EndTurn = "end_turn";
    public const string MaxTokens = "max_tokens";
    public const string StopSequence = "stop_sequence";
    public const string ToolUse = "tool_use";
    public const string Refusal = "refusal";
}
