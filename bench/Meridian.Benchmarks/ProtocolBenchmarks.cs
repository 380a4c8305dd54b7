using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Meridian.Core.Keys;
using Meridian.Protocol.Messages;
using Meridian.Protocol.Streaming;

namespace Meridian.Benchmarks;

/// <summary>The per-request pieces of the hot path, one at a time.</summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private SseEventWriter _sse = null!;
    private readonly TextDeltaEvent _delta = new(0, "a short streamed text delta ");
    private readonly ApiKeyHasher _hasher = new(new byte[32]);
    private byte[] _body = null!;
    private byte[] _upstreamStream = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sse = new SseEventWriter(_output);
        var text = new StringBuilder();
        while (text.Length < 1024)
        {
            text.Append("The quick brown fox jumps over the lazy dog. ");
        }

        _body = Encoding.UTF8.GetBytes(
            $$$"""{"model":"claude-sonnet-5","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"{{{text}}}"}],"metadata":{"user_id":"u1"}}""");

        // An upstream's answer as the load harness's simulator streams it: 13 text deltas (max_tokens 16), ≈ 2.4 KB.
        var sse = new ArrayBufferWriter<byte>(4096);
        SseFraming.Write(sse, new MessageStartEvent("msg_0123456789abcdef", "claude-sonnet-5", new Usage(14, 1)));
        SseFraming.Write(sse, new ContentBlockStartEvent(0, TextBlockHeader.Instance));
        for (var i = 0; i < 13; i++)
        {
            SseFraming.Write(sse, new TextDeltaEvent(0, i == 0 ? "Hello" : " word" + i));
        }

        SseFraming.Write(sse, new ContentBlockStopEvent(0));
        SseFraming.Write(sse, new MessageDeltaEvent(StopReasons.MaxTokens, null, new Usage(0, 16)));
        SseFraming.Write(sse, MessageStopEvent.Instance);
        _upstreamStream = sse.WrittenSpan.ToArray();
    }

    [Benchmark(Description = "parse + validate a 1 KB request")]
    public int ParseRequest()
    {
        MessagesRequestParser.TryParse(_body, isCountTokens: false, out var request, out _);
        using (request)
        {
            return request!.MaxTokens;
        }
    }

    [Benchmark(Description = "frame one text delta as SSE")]
    public int WriteSseDelta()
    {
        _output.ResetWrittenCount();
        SseFraming.Write(_output, _delta);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "frame one text delta with the response's SSE writer")]
    public int WriteSseDeltaReusingWriter()
    {
        _output.ResetWrittenCount();
        _sse.Write(_delta);
        return _output.WrittenCount;
    }

    [GlobalCleanup]
    public void Cleanup() => _sse.Dispose();

    [Benchmark(Description = "read an upstream's SSE answer into events (13 deltas)")]
    public async Task<int> ReadUpstreamStream()
    {
        using var stream = new MemoryStream(_upstreamStream, writable: false);
        var events = 0;
        await foreach (var _ in SseReader.ReadAsync(stream, StreamEventParser.Parse, CancellationToken.None))
        {
            events++;
        }

        return events;
    }

    [Benchmark(Description = "hash an API key (HMAC-SHA256)")]
    public int HashKey() => _hasher.Hash("mk-0123abcd-abcdefghijklmnopqrstuvwxyz012345").Length;
}
