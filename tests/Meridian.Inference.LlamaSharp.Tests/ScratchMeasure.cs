using System.Diagnostics;
using Meridian.Protocol.Streaming;

namespace Meridian.Inference.LlamaSharp.Tests;

public sealed class ScratchMeasure
{
    [Fact]
    public async Task Measure()
    {
        var dir = Path.Combine(Path.GetTempPath(), "scratch-llama");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "tiny.gguf");
        var sw = Stopwatch.StartNew();
        TinyGguf.Write(path, 7);
        var write = sw.Elapsed;
        var lines = new List<string> { $"size {new FileInfo(path).Length} write {write.TotalMilliseconds}ms" };
        foreach (var threads in new int?[] { null, 1, 2, null })
        {
            sw.Restart();
            using var backend = new LlamaSharpBackend(new LlamaSharpOptions { ModelPath = path, MaxParallelRequests = 1, Threads = threads });
            lines.Add($"threads {threads} load ctor {sw.Elapsed.TotalMilliseconds}ms LoadTime {backend.LoadTime.TotalMilliseconds}ms ctx {backend.ContextSize} fmt {backend.PromptFormat}");
            for (var i = 0; i < 4; i++)
            {
                using var call = new Owned(Requests.Simple(200));
                sw.Restart();
                var (events, msg) = await Requests.RunAsync(backend, call.V, TestContext.Current.CancellationToken);
                var el = sw.Elapsed;
                lines.Add($"run {i}: {msg.Usage.OutputTokens} tokens in {el.TotalMilliseconds:F1}ms = {msg.Usage.OutputTokens / el.TotalSeconds:F0} tok/s; in {msg.Usage.InputTokens}; deltas {events.OfType<TextDeltaEvent>().Count()}");
                if (i == 0) lines.Add("text: " + msg.Text());
            }
            {
                var w = LLama.LLamaWeights.LoadFromFile(new LLama.Common.ModelParams(path));
                var p = new LLama.Common.ModelParams(path) { ContextSize = 256 };
                var c0 = w.CreateContext(p); c0.Dispose();
                sw.Restart();
                for (var k = 0; k < 20; k++) { using var c = w.CreateContext(p); }
                var create = sw.Elapsed.TotalMilliseconds / 20;
                using var cc = w.CreateContext(p);
                sw.Restart();
                for (var k = 0; k < 20; k++) { cc.NativeHandle.MemoryClear(); }
                var clear = sw.Elapsed.TotalMilliseconds / 20;
                var p4 = new LLama.Common.ModelParams(path) { ContextSize = 4096 };
                sw.Restart();
                for (var k = 0; k < 5; k++) { using var c = w.CreateContext(p4); }
                var create4k = sw.Elapsed.TotalMilliseconds / 5;
                lines.Add($"create ctx256 {create:F2}ms clear {clear:F3}ms create ctx4096 {create4k:F2}ms");
                w.Dispose();
            }
            lines.Add($"RSS {Process.GetCurrentProcess().WorkingSet64 / 1024 / 1024} MB");
        }

        File.WriteAllLines("/tmp/scratch-measure.txt", lines);
    }

    private sealed class Owned(Meridian.Protocol.BackendCall c) : IDisposable
    {
        public Meridian.Protocol.BackendCall V { get; } = c;
        public void Dispose() => V.Request.Dispose();
    }
}
