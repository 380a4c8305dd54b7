using System.Diagnostics;
using System.Text;
using Meridian.Safeguards.Classifiers;

namespace Meridian.Safeguards.Tests;

public sealed class ScratchTiming2(ITestOutputHelper output)
{
    [Fact]
    public async Task TimeClassifiers()
    {
        var b = new StringBuilder();
        while (b.Length < 20_000) b.Append("The committee reviewed the quarterly figures and agreed that the new onboarding flow reduced support tickets. Next steps: migrate the remaining tenants, publish the changelog, and schedule a retrospective for Friday. ");
        var text = b.ToString();
        IClassifier[] cs = [new HarmLexiconClassifier(), new PiiClassifier(), new PromptInjectionClassifier()];
        foreach (var c in cs)
        {
            for (var k = 0; k < 5; k++) await c.ClassifyAsync(new ScreeningText(text, TextSource.User), TestContext.Current.CancellationToken);
            var best = double.MaxValue;
            for (var round = 0; round < 7; round++)
            {
                var w = Stopwatch.StartNew();
                for (var k = 0; k < 5; k++) await c.ClassifyAsync(new ScreeningText(text, TextSource.User), TestContext.Current.CancellationToken);
                best = Math.Min(best, w.Elapsed.TotalMilliseconds / 5 / 20);
            }
            output.WriteLine($"{c.Name}: {best:0.000} ms/KB");
        }
    }
}
