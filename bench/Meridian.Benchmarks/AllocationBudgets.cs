using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Meridian.Benchmarks;

/// <summary>
/// Allocation budgets, as Garnet keeps them for its benchmarks: the bytes each <see cref="PipelineBenchmarks"/>
/// benchmark may allocate per operation, checked in as <c>allocation-budgets.json</c> beside this file. A run measures
/// them with the memory diagnoser (a short in-process job: allocations, unlike timings, barely move with the machine's
/// load) and exits 1 naming every benchmark over its budget or without one. Raising a budget is a reviewed change of
/// that file, with the reason in its commit (bench/README.md, "Allocation budgets").
/// </summary>
public static class AllocationBudgets
{
    public const string DefaultFile = "bench/Meridian.Benchmarks/allocation-budgets.json";

    public static int Run(string[] args)
    {
        var file = args.Length > 1 ? args[1] : DefaultFile;
        if (!File.Exists(file))
        {
            Console.Error.WriteLine($"allocation budgets: no budget file at {Path.GetFullPath(file)}");
            return 2;
        }

        var budgets = JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(file))
            ?? throw new InvalidDataException($"{file} is not a JSON object of benchmark names and bytes.");
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<PipelineBenchmarks>(config);

        var breaches = new List<string>();
        Console.WriteLine();
        Console.WriteLine($"{"benchmark",-50} {"allocated B/op",15} {"budget B/op",12}  verdict");
        foreach (var report in summary.Reports)
        {
            var name = $"{nameof(PipelineBenchmarks)}.{report.BenchmarkCase.Descriptor.WorkloadMethod.Name}";
            var measured = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) is long bytes ? bytes : (long?)null;
            var budget = budgets.TryGetValue(name, out var allowed) ? allowed : (long?)null;
            var verdict = (measured, budget) switch
            {
                (null, _) => "NOT MEASURED (the benchmark failed)",
                (_, null) => "NO BUDGET (add one to " + file + ")",
                var (m, b) when m > b => $"OVER BUDGET by {m - b} B ({100.0 * (m!.Value - b!.Value) / b.Value:F1} %)",
                _ => "ok",
            };
            if (verdict != "ok")
            {
                breaches.Add($"{name}: {verdict}");
            }

            Console.WriteLine($"{name,-50} {Format(measured),15} {Format(budget),12}  {verdict}");
        }

        if (summary.Reports.Length == 0)
        {
            breaches.Add("no benchmark ran");
        }

        if (breaches.Count == 0)
        {
            Console.WriteLine("allocation budgets: every pipeline benchmark is within its budget.");
            return 0;
        }

        Console.Error.WriteLine();
        Console.Error.WriteLine("!!!!!!!!!! ALLOCATION BUDGET BREACHED !!!!!!!!!!");
        foreach (var breach in breaches)
        {
            Console.Error.WriteLine("  " + breach);
        }

        Console.Error.WriteLine($"A change allocates more per request than {file} allows: find the new allocation, or raise the budget in a commit that says why.");
        return 1;
    }

    private static string Format(long? bytes) => bytes?.ToString("N0", CultureInfo.InvariantCulture) ?? "-";
}
