using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Meridian.Safeguards.Classifiers;

namespace Meridian.Safeguards.Tests;

public sealed class ScratchTiming3(ITestOutputHelper output)
{
    [Fact]
    public void TimePii()
    {
        var b = new StringBuilder();
        while (b.Length < 20_000) b.Append("The committee reviewed the quarterly figures and agreed that the new onboarding flow reduced support tickets. Next steps: migrate the remaining tenants, publish the changelog, and schedule a retrospective for Friday 12. ");
        var text = b.ToString();
        foreach (var m in typeof(PiiClassifier).GetMethods(BindingFlags.NonPublic | BindingFlags.Static).Where(m => m.ReturnType == typeof(Regex)))
        {
            var r = (Regex)m.Invoke(null, null)!;
            for (var k = 0; k < 5; k++) r.Count(text);
            var best = double.MaxValue;
            for (var round = 0; round < 7; round++)
            {
                var w = Stopwatch.StartNew();
                for (var k = 0; k < 5; k++) r.Count(text);
                best = Math.Min(best, w.Elapsed.TotalMilliseconds / 5 / 20);
            }
            output.WriteLine($"{m.Name}: {best:0.0000} ms/KB");
        }
    }
}
