using BenchmarkDotNet.Running;
using HumanInLoop.Benchmarks;

// Run: dotnet run -c Release --project benchmarks/HumanInLoop.Benchmarks -- --filter '*' --job short
// What HumanInLoop writes and reads per step of one approval: ... -- capture [--out DIR] [--show-data]
// Bytes per request of each gate overhead case, exact: ... -- allocations [requests]  (or: allocations --loop N, for a profiler)
// Where one approval's time goes beyond the floor (stopwatch means): ... -- profile [cycles]
// The store's own cost per operation against the same statement bare (medians): ... -- storeops [rounds]
// PostgreSQL is included when HUMANINLOOP_POSTGRES is set (source .ci/services/postgres.sh start).
if (args.Length > 0 && args[0] == "capture")
{
    return await CaptureMode.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "allocations")
{
    return await AllocationMode.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "storeops")
{
    return await StoreOpsMode.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "profile")
{
    return await ProfileMode.RunAsync(args[1..]);
}

if (BenchmarkStores.PostgresConnectionString is null)
{
    Console.WriteLine("HUMANINLOOP_POSTGRES is not set: the PostgreSQL cases are skipped.");
}

BenchmarkSwitcher.FromAssembly(typeof(StoreRoundTripBenchmarks).Assembly).Run(args);
return 0;
