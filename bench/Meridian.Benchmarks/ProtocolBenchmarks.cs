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
    private readonly TextDeltaEvent _delta = new(0, "a short streamed text delta ");
    private readonly ApiKeyHasher _hasher = new(new byte[32]);
    private byte[] _body = null!;

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        while (text.Length < 1024)
        {
            text.Append("The quick brown fox jumps over the lazy dog. ");
        }

        _body = Encoding.UTF8.GetBytes(
            $$$"""{"model":"claude-sonnet-5","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"{{{text}}}"}],"metadata":{"user_id":"u1"}}""");
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

    [Benchmark(Description = "hash an API key (HMAC-SHA256)")]
    public int HashKey() => _hasher.Hash("mk-0123abcd-abcdefghijklmnopqrstuvwxyz012345").Length;
}
