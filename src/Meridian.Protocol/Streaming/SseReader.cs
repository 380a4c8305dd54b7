using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Reads server-sent events from a stream and yields the payload of each event's <c>data:</c> lines, one event at a
/// time, without buffering the whole response. Handles LF and CRLF line ends and multi-line data.
/// </summary>
public static class SseReader
{
    private static ReadOnlySpan<byte> DataField => "data:"u8;

    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadDataAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var data = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                var events = new List<ReadOnlyMemory<byte>>();
                while (TryReadLine(ref buffer, out var line))
                {
                    if (line.IsEmpty)
                    {
                        if (data.WrittenCount > 0)
                        {
                            events.Add(data.WrittenMemory.ToArray());
                            data.Clear();
                        }

                        continue;
                    }

                    AppendDataField(line, data);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                foreach (var payload in events)
                {
                    yield return payload;
                }

                if (result.IsCompleted)
                {
                    if (data.WrittenCount > 0)
                    {
                        yield return data.WrittenMemory.ToArray();
                    }

                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static void AppendDataField(ReadOnlySequence<byte> line, ArrayBufferWriter<byte> data)
    {
        var span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (!span.StartsWith(DataField))
        {
            return; // event:, id:, retry: and comments carry nothing the parser needs; the JSON names its own type.
        }

        var value = span[DataField.Length..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        if (data.WrittenCount > 0)
        {
            data.Write("\n"u8);
        }

        data.Write(value);
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, newline.Value);
        if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }
}
