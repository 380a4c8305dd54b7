using BenchmarkDotNet.Running;

if (args is ["ledger", ..])
{
    // A timed measurement, not a BenchmarkDotNet run: see LedgerThroughput.
    return await Meridian.Benchmarks.LedgerThroughput.RunAsync(args);
}

if (args is ["cluster-writers", ..])
{
    // Several nodes' write paths on one PostgreSQL store: see ClusterWriters.
    return await Meridian.Benchmarks.ClusterWriters.RunAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
