using System.Buffers;
using System.Text.Json;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Frames stream events as server-sent events. The <c>event:</c> line is mandatory: the Node SDK dispatches on
/// the SSE event name, not on the JSON <c>type</c> (see PROTOCOL.md).
/// </summary>
public static class SseFraming
{
    private static ReadOnlySpan<byte> EventPrefix => "event: "u8;
    private static ReadOnlySpan<byte> DataPrefix => "\ndata: "u8;
    private static ReadOnlySpan<byte> FrameEnd => "\n\n"u8;

    public static void Write(IBufferWriter<byte> output, StreamEvent streamEvent)
    {
        using var json = AnthropicJsonWriter.CreateWriter(output);
        Write(output, json, streamEvent);
    }

    /// <summary>Frames an event with a JSON writer over <paramref name="output"/> that the caller keeps for a whole response.</summary>
    internal static void Write(IBufferWriter<byte> output, Utf8JsonWriter json, StreamEvent streamEvent)
    {
        output.Write(EventPrefix);
        output.Write(NameOf(streamEvent));
        output.Write(DataPrefix);
        json.Reset();
        AnthropicJsonWriter.WriteEvent(json, streamEvent);
        json.Flush();
        output.Write(FrameEnd);
    }

    public static ReadOnlySpan<byte> NameOf(StreamEvent streamEvent) => streamEvent switch
    {
        MessageStartEvent => "message_start"u8,
        ContentBlockStartEvent => "content_block_start"u8,
        TextDeltaEvent or InputJsonDeltaEvent => "content_block_delta"u8,
        ContentBlockStopEvent => "content_block_stop"u8,
        MessageDeltaEvent => "message_delta"u8,
        MessageStopEvent => "message_stop"u8,
        PingEvent => "ping"u8,
        ErrorEvent => "error"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(streamEvent), streamEvent.GetType().Name, "Unknown stream event."),
    };
}

/// <summary>
/// Frames one response's events as server-sent events with one JSON writer for them all: a writer per event was 136 of
/// the 136 bytes framing a delta allocated (<c>ProtocolBenchmarks</c>, bench/PROFILE.md). One per response; not thread-safe.
/// </summary>
public sealed class SseEventWriter(IBufferWriter<byte> output) : IDisposable
{
    private readonly Utf8JsonWriter _json = AnthropicJsonWriter.CreateWriter(output);

    public void Write(StreamEvent streamEvent) => SseFraming.Write(output, _json, streamEvent);

    public void Dispose() => _json.Dispose();
}
