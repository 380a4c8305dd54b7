using System.Buffers;

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
        output.Write(EventPrefix);
        output.Write(NameOf(streamEvent));
        output.Write(DataPrefix);
        AnthropicJsonWriter.WriteEventData(output, streamEvent);
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
