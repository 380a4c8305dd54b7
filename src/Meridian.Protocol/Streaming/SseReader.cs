using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Meridian.Protocol.Streaming;

/// <summary>
/// Reads server-sent events from a stream, one event at a time, without buffering the whole response. Handles LF and
/// CRLF line ends and multi-line data.
/// </summary>
/// <remarks>
/// Each event's <c>data:</c> payload is gathered into one buffer reused for the whole stream and parsed while it is
/// there, so reading allocates per event only what the parser makes of it. Copying every payload into its own array
/// (and a list per read) cost ≈ 200 bytes per event (<c>ProtocolBenchmarks</c>, bench/PROFILE.md).
/// </remarks>
public static class SseReader
{
    private static ReadOnlySpan<byte> DataField => "data:"u8;

    /// <summary>Each event's <c>data:</c> payload (multi-line data joined with <c>\n</c>), copied.</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadDataAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var data in ReadAsync(stream, static data => data.ToArray(), cancellationToken))
        {
            yield return data;
        }
    }

    /// <summary>
    /// What <paramref name="parse"/> makes of each event's payload; null results are skipped. The span it is given is valid
    /// only during the call.
    /// </summary>
    public static async IAsyncEnumerable<T> ReadAsync<T>(Stream stream, Func<ReadOnlySpan<byte>, T?> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var state = new ReadState<T>(parse);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                state.Consume(ref buffer);
                reader.AdvanceTo(buffer.Start, buffer.End);
                for (var i = 0; i < state.Ready.Count; i++)
                {
                    yield return state.Ready[i];
                }

                state.Ready.Clear();
                if (result.IsCompleted)
                {
                    if (state.Finish() is { } last)
                    {
                        yield return last;
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

    /// <summary>One stream's parsing state: the event being gathered and the events parsed from the last read.</summary>
    private sealed class ReadState<T>(Func<ReadOnlySpan<byte>, T?> parse)
        where T : class
    {
        private readonly ArrayBufferWriter<byte> _data = new(1024);

        public List<T> Ready { get; } = [];

        /// <summary>Reads the complete lines of <paramref name="buffer"/>, leaving it on the first incomplete one.</summary>
        public void Consume(ref ReadOnlySequence<byte> buffer)
        {
            while (TryReadLine(ref buffer, out var line))
            {
                if (line.IsEmpty)
                {
                    if (Emit() is { } item)
                    {
                        Ready.Add(item);
                    }

                    continue;
                }

                AppendDataField(line);
            }
        }

        /// <summary>The last event of a stream that ended without a blank line after it.</summary>
        public T? Finish() => Emit();

        private T? Emit()
        {
            if (_data.WrittenCount == 0)
            {
                return null;
            }

            var item = parse(_data.WrittenSpan);
            _data.ResetWrittenCount();
            return item;
        }

        private void AppendDataField(ReadOnlySequence<byte> line)
        {
            var first = line.FirstSpan;
            var prefix = first.Length >= DataField.Length ? first[..DataField.Length] : line.Slice(0, Math.Min(line.Length, DataField.Length)).ToArray();
            if (!prefix.SequenceEqual(DataField))
            {
                return; // event:, id:, retry: and comments carry nothing the parser needs; the JSON names its own type.
            }

            var value = line.Slice(DataField.Length);
            if (!value.IsEmpty && value.FirstSpan[0] == (byte)' ')
            {
                value = value.Slice(1);
            }

            if (_data.WrittenCount > 0)
            {
                _data.Write("\n"u8);
            }

            var length = checked((int)value.Length);
            value.CopyTo(_data.GetSpan(length));
            _data.Advance(length);
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
}
