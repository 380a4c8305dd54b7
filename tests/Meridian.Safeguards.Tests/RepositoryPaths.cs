namespace Meridian.Safeguards.Tests;

/// <summary>Locates files of the repository from the test's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string EvaluationSet => Path.Combine(Root, "tests", "data", "safeguards", "eval.jsonl");

    /// <summary>The held-out part: written before the rules it measures, never used to write them.</summary>
    public static string EvaluationHoldout => Path.Combine(Root, "tests", "data", "safeguards", "eval-holdout.jsonl");

    public static string SafeguardsDoc => Path.Combine(Root, "docs", "safeguards.md");

    public static string EvaluationReport => Path.Combine(Root, "artifacts", "safeguards-eval.md");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Meridian.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Meridian.slnx not found above " + AppContext.BaseDirectory);
    }
}
