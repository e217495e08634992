using BenchmarkDotNet.Running;

// Run: dotnet run -c Release --project benchmarks/HumanInLoop.Benchmarks -- --filter '*' --job short
// PostgreSQL is included when HUMANINLOOP_POSTGRES is set (source .ci/services/postgres.sh start).
BenchmarkSwitcher.FromAssembly(typeof(HumanInLoop.Benchmarks.StoreRoundTripBenchmarks).Assembly).Run(args);
