using System.Reflection;
using System.Text.RegularExpressions;
using Meridian.Protocol;
using Meridian.Safeguards.Classifiers;
using Meridian.Safeguards.Policies;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests;

/// <summary>
/// Issue 15, item 1: besides being linear by construction (AdversarialScreeningTests), every screening pattern that can
/// backtrack carries a match timeout, and a pattern that times out on a request's input fails closed: the request is
/// refused as over its work budget (413), never screened without the rule.
/// </summary>
public sealed class RegexBackstopTests
{
    [Fact]
    public void Every_built_in_pattern_is_non_backtracking_or_has_a_match_timeout()
    {
        var patterns = BuiltInPatterns().ToList();
        patterns.Add(("lexicon rule with a lookaround", LexiconMatcher.Compile("kill(?! time)")));

        Assert.True(patterns.Count > 10, $"only {patterns.Count} patterns found");
        Assert.All(patterns, p => Assert.True(
            p.Regex.Options.HasFlag(RegexOptions.NonBacktracking) || (p.Regex.MatchTimeout != Regex.InfiniteMatchTimeout && p.Regex.MatchTimeout <= TimeSpan.FromSeconds(5)),
            $"{p.Name} can backtrack and has no match timeout"));
    }

    [Fact]
    public async Task A_match_timeout_while_screening_input_refuses_the_request_as_over_its_work_budget()
    {
        var stuck = new ScriptedClassifier("stuck", _ => throw new RegexMatchTimeoutException("(a+)+$", "aaaa!", TimeSpan.FromSeconds(2)));
        using var request = Request("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hello"}]}""");

        var refusal = await Assert.ThrowsAsync<WorkBudgetExceededException>(async () =>
            await new Screener([stuck]).ScreenInputAsync(request, SafeguardPolicy.Default, new WorkBudget(1_000_000), Ct));

        Assert.IsType<RegexMatchTimeoutException>(refusal.InnerException);
    }

    [Fact]
    public async Task A_match_timeout_while_screening_output_is_a_classifier_failure_the_policy_decides()
    {
        var stuck = new ScriptedClassifier("stuck", _ => throw new RegexMatchTimeoutException("(a+)+$", "aaaa!", TimeSpan.FromSeconds(2)));

        var closed = await new Screener([stuck]).ScreenTextAsync("an answer", TextSource.Output, SafeguardPolicy.Default.WithFailureMode(ClassifierFailureMode.Closed), Ct);

        Assert.True(closed.Verdict.IsBlocked);
    }

    /// <summary>Every <see cref="Regex"/> the built-in classifiers hold in a static field or make in a static method.</summary>
    private static IEnumerable<(string Name, Regex Regex)> BuiltInPatterns()
    {
        const BindingFlags statics = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        foreach (var type in typeof(PiiClassifier).Assembly.GetTypes().Where(t => t.Namespace == typeof(PiiClassifier).Namespace))
        {
            foreach (var field in type.GetFields(statics).Where(f => f.FieldType == typeof(Regex) && !f.Name.Contains('<', StringComparison.Ordinal)))
            {
                if (field.GetValue(null) is Regex regex)
                {
                    yield return ($"{type.Name}.{field.Name}", regex);
                }
            }

            foreach (var method in type.GetMethods(statics).Where(m => m.ReturnType == typeof(Regex) && m.GetParameters().Length == 0))
            {
                yield return ($"{type.Name}.{method.Name}()", (Regex)method.Invoke(null, null)!);
            }
        }
    }
}
