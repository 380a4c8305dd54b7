using System.Diagnostics;
using System.Text;
using Meridian.Protocol.Streaming;
using Meridian.Safeguards.Policies;

namespace Meridian.Safeguards.Tests;

public sealed class ScratchTiming(ITestOutputHelper output)
{
    [Fact]
    public async Task Time()
    {
        var b = new StringBuilder();
        while (b.Length < 20_000) b.Append("The quick brown fox jumps over the lazy dog. ");
        var text = b.ToString();
        var screener = Screener.CreateDefault();
        foreach (var c in screener.Classifiers) await c.ClassifyAsync(new ScreeningText("warm", TextSource.User), TestContext.Current.CancellationToken);
        foreach (var c in screener.Classifiers)
        {
            var w = Stopwatch.StartNew();
            for (var i = 0; i < 10; i++) await c.ClassifyAsync(new ScreeningText(text, TextSource.User), TestContext.Current.CancellationToken);
            output.WriteLine($"{c.Name}: {w.Elapsed.TotalMilliseconds / 10 / 20:0.000} ms per KB");
        }
        var small = text[..180];
        foreach (var c in screener.Classifiers)
        {
            var w = Stopwatch.StartNew();
            for (var i = 0; i < 1000; i++) await c.ClassifyAsync(new ScreeningText(small, TextSource.Output), TestContext.Current.CancellationToken);
            output.WriteLine($"{c.Name}: {w.Elapsed.TotalMilliseconds:0.000} us per 180-char window");
        }
        var sw = Stopwatch.StartNew();
        var deltas = Enumerable.Range(0, text.Length / 25).Select(i => (StreamEvent)new TextDeltaEvent(0, text.Substring(i * 25, 25))).ToList();
        var s = screener.CreateStreamScreener(SafeguardPolicy.Default);
        var n = 0;
        await foreach (var e in s.ScreenAsync(deltas.ToAsyncEnumerable(), TestContext.Current.CancellationToken)) n++;
        output.WriteLine($"stream 20KB in 25-char deltas: {sw.Elapsed.TotalMilliseconds:0.0} ms, {n} events");
    }
}
