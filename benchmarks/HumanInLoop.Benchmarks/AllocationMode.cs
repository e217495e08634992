using System.Globalization;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/HumanInLoop.Benchmarks -- allocations [calls]</c>: the bytes each gate overhead
/// case allocates per request (and a best-batch stopwatch time), without and with the gate, after a warm-up (default 20,000 requests each). Counted on the calling
/// thread (the whole pipeline runs on it: the canned model completes synchronously) and in the whole process (which adds the
/// call recorder's background writer). Exact, unlike time: a profile to find where bytes go, beside <see cref="GateOverheadBenchmarks"/>.
/// </summary>
public static class AllocationMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        int calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        GateOverheadBenchmarks benchmarks = new();
        await benchmarks.SetupAsync();
        GateOverheadBenchmarks unrecorded = new() { RecordCalls = false };
        await unrecorded.SetupAsync();
        (string Name, Func<Task> Plain, Func<Task> Gated)[] cases =
        [
            ("No call", benchmarks.PlainNoCall, benchmarks.GatedNoCall),
            ("One allowed call", benchmarks.PlainAllowedCall, benchmarks.GatedAllowedCall),
            ("Streaming, no call", benchmarks.PlainStreamingNoCall, benchmarks.GatedStreamingNoCall),
            ("Streaming, one allowed call", benchmarks.PlainStreamingAllowedCall, benchmarks.GatedStreamingAllowedCall),
            ("One allowed call, RecordCalls = false", unrecorded.PlainAllowedCall, unrecorded.GatedAllowedCall),
            ("Streaming, one allowed call, RecordCalls = false", unrecorded.PlainStreamingAllowedCall, unrecorded.GatedStreamingAllowedCall),
        ];
        Console.WriteLine("| Case | Without gate (B/request, thread / process) | With gate | Extra (thread / process) | Time without / with gate (best batch, µs) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach ((string name, Func<Task> plain, Func<Task> gated) in cases)
        {
            (double plainThread, double plainProcess) = await MeasureAsync(plain, calls);
            (double gatedThread, double gatedProcess) = await MeasureAsync(gated, calls);
            double plainTime = await TimeAsync(plain, calls);
            double gatedTime = await TimeAsync(gated, calls);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {plainThread:0.#} / {plainProcess:0.#} | {gatedThread:0.#} / {gatedProcess:0.#} | +{gatedThread - plainThread:0.#} / +{gatedProcess - plainProcess:0.#} | {plainTime:0.00} / {gatedTime:0.00} |"));
        }

        return 0;
    }

    // A stopwatch, not a benchmark: the fastest of 10 batches, the closest a shared machine gets to the unloaded cost.
    private static async Task<double> TimeAsync(Func<Task> run, int calls)
    {
        double best = double.MaxValue;
        for (int batch = 0; batch < 10; batch++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < calls / 10; i++)
            {
                await run();
            }

            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds / (calls / 10));
        }

        return best;
    }

    private static async Task<(double Thread, double Process)> MeasureAsync(Func<Task> run, int calls)
    {
        for (int i = 0; i < calls; i++)
        {
            await run();
        }

        long thread = GC.GetAllocatedBytesForCurrentThread();
        long process = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < calls; i++)
        {
            await run();
        }

        return ((GC.GetAllocatedBytesForCurrentThread() - thread) / (double)calls, (GC.GetTotalAllocatedBytes(precise: true) - process) / (double)calls);
    }
}
