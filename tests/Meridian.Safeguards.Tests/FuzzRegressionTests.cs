using Meridian.Testing;
using static Meridian.Safeguards.Tests.TestSupport;

namespace Meridian.Safeguards.Tests;

/// <summary>
/// Issue 15, item 7: every input in the fuzz regression corpus (tests/data/fuzz/&lt;target&gt;/: the seeds, and whatever
/// <c>./build.sh fuzz</c> found) is answered or refused with its target's documented error, within the work budget the
/// gateway gives a body of its size (<see cref="FuzzTargets"/>).
/// </summary>
public sealed class FuzzRegressionTests
{
    private static string CorpusRoot => Path.Combine(RepositoryPaths.Root, "tests", "data", "fuzz");

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in FuzzTargets.Names)
        {
            foreach (var path in Directory.EnumerateFiles(Path.Combine(CorpusRoot, target)).Order(StringComparer.Ordinal))
            {
                data.Add(target, Path.GetFileName(path));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task A_corpus_input_passes_its_target_within_the_work_budget(string target, string file)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(CorpusRoot, target, file), Ct);

        var result = await FuzzTargets.RunAsync(target, input, Ct);

        Assert.True(result.Outcome == FuzzOutcome.Passed, $"{target}/{file}: {result.Outcome} after {result.Work} units\n{result.Detail}");
        Assert.InRange(result.Work, 1, FuzzTargets.BudgetFor(input.Length));
    }

    [Fact]
    public void Every_target_has_a_corpus_to_replay()
    {
        foreach (var target in FuzzTargets.Names)
        {
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(CorpusRoot, target)));
        }
    }
}
