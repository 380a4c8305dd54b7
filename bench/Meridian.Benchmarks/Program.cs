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

if (args is ["receipt-log", ..])
{
    // A timed measurement of what the receipt log adds to a batch commit: see ReceiptLogCost.
    return Meridian.Benchmarks.ReceiptLogCost.Run(args);
}

if (args is ["budgets", ..])
{
    // The pipeline benchmarks' allocations against their checked-in budgets: see AllocationBudgets.
    return Meridian.Benchmarks.AllocationBudgets.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
