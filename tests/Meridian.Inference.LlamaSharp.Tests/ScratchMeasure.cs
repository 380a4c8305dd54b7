using System.Diagnostics;
using Meridian.Protocol.Streaming;

namespace Meridian.Inference.LlamaSharp.Tests;

public sealed class ScratchMeasure
{
    [Fact]
    public async Task Measure()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Path.Combine(Path.GetTempPath(), "scratch-llama");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "tiny.gguf");
        var lines = new List<string>();
        var sw = Stopwatch.StartNew();
        TinyGguf.Write(path, 7);
        lines.Add($"size {new FileInfo(path).Length} write {sw.Elapsed.TotalMilliseconds:F1}ms");
        GC.Collect();
        var rss0 = Process.GetCurrentProcess().WorkingSet64;
        sw.Restart();
        var logger = new TestLogger<LlamaSharpBackend>();
        using var backend = new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path, MaxParallelRequests = 1 }, logger);
        lines.Add($"first load (incl native lib) {sw.Elapsed.TotalMilliseconds:F1}ms");
        sw.Restart();
        using (new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path })) { }
        lines.Add($"second load {sw.Elapsed.TotalMilliseconds:F1}ms");
        var rates = new List<double>();
        var firsts = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            using var call = Requests.Simple(200);
            sw.Restart();
            double first = 0;
            var n = 0L;
            await foreach (var e in backend.StreamAsync(call.Value, ct))
            {
                if (e is TextDeltaEvent && first == 0) first = sw.Elapsed.TotalMilliseconds;
                if (e is MessageDeltaEvent d) n = d.Usage.OutputTokens;
            }
            rates.Add(n / sw.Elapsed.TotalSeconds);
            firsts.Add(first);
        }
        rates.Sort(); firsts.Sort();
        lines.Add($"tok/s all {string.Join(",", rates.Select(r => r.ToString("F0")))} median {rates[3]:F0}; first delta ms median {firsts[3]:F2}");
        lines.Add($"RSS before {rss0 / 1048576} MB after {Process.GetCurrentProcess().WorkingSet64 / 1048576} MB");

        // Four in parallel (pool of 4), wall time.
        using var b4 = new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path, MaxParallelRequests = 4 });
        foreach (var par in new[] { 1, 4 })
        {
            var calls = Enumerable.Range(0, 8).Select(_ => Requests.Simple(100)).ToList();
            sw.Restart();
            var pool = new SemaphoreSlim(par);
            await Task.WhenAll(calls.Select(async c => { await pool.WaitAsync(ct); try { await Requests.RunAsync(b4, c.Value, ct); } finally { pool.Release(); } }));
            lines.Add($"8x100 tokens with {par} at a time: {800 / sw.Elapsed.TotalSeconds:F0} tok/s aggregate");
            calls.ForEach(c => c.Dispose());
        }

        var w = LLama.LLamaWeights.LoadFromFile(new LLama.Common.ModelParams(path));
        foreach (var size in new uint[] { 256, 4096 })
        {
            var p = new LLama.Common.ModelParams(path) { ContextSize = size };
            w.CreateContext(p).Dispose();
            sw.Restart();
            for (var k = 0; k < 10; k++) { using var c = w.CreateContext(p); }
            var create = sw.Elapsed.TotalMilliseconds / 10;
            using var cc = w.CreateContext(p);
            sw.Restart();
            for (var k = 0; k < 100; k++) { cc.NativeHandle.MemoryClear(); }
            lines.Add($"ctx {size}: create {create:F2}ms clear {sw.Elapsed.TotalMilliseconds * 10:F1}us");
        }
        w.Dispose();
        lines.AddRange(logger.Entries.Select(e => $"LOG {e.Level} {e.Event.Id} {e.Message}"));
        File.WriteAllLines("/tmp/scratch-measure.txt", lines);
    }
}
