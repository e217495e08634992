using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/HumanInLoop.Benchmarks -- allocations [calls]</c>: the bytes each gate overhead
/// case allocates per request (and a best-batch stopwatch time), without and with the gate, after a warm-up (default 20,000 requests each). Counted on the calling
/// thread (the whole pipeline runs on it: the canned model completes synchronously) and in the whole process (which adds the
/// call recorder's background writer). Exact, unlike time: a profile to find where bytes go, beside <see cref="GateOverheadBenchmarks"/>.
/// It also gives CPU time per request, on the request's thread and in the whole process (Linux: <c>CLOCK_THREAD_CPUTIME_ID</c>),
/// which a loaded machine disturbs far less than wall-clock time: a thread waiting for a core is not charged.
/// </summary>
public static partial class AllocationMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        int calls = args.Length > 0 && args[0] != "--loop" ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        GateOverheadBenchmarks benchmarks = new();
        await benchmarks.SetupAsync();
        if (args.Length > 1 && args[0] == "--loop")
        {
            // For a profiler (dotnet-trace): only the gated allowed call, with call records, this many times.
            for (int i = 0, loops = int.Parse(args[1], CultureInfo.InvariantCulture); i < loops; i++)
            {
                await benchmarks.GatedAllowedCall();
            }

            return 0;
        }

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
        Console.WriteLine("| Case | Without gate (B/request, thread / process) | With gate | Extra (thread / process) | Time without / with gate (best batch, µs) | CPU, request's thread, without / with (µs) | CPU, process, without / with (µs) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach ((string name, Func<Task> plain, Func<Task> gated) in cases)
        {
            (double plainThread, double plainProcess) = await MeasureAsync(plain, calls);
            (double gatedThread, double gatedProcess) = await MeasureAsync(gated, calls);
            double plainTime = await TimeAsync(plain, calls);
            double gatedTime = await TimeAsync(gated, calls);
            (string plainCpu, double plainProcessCpu) = await CpuAsync(plain, calls);
            (string gatedCpu, double gatedProcessCpu) = await CpuAsync(gated, calls);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {plainThread:0.#} / {plainProcess:0.#} | {gatedThread:0.#} / {gatedProcess:0.#} | +{gatedThread - plainThread:0.#} / +{gatedProcess - plainProcess:0.#} | {plainTime:0.00} / {gatedTime:0.00} | {plainCpu} / {gatedCpu} | {plainProcessCpu:0.00} / {gatedProcessCpu:0.00} |"));
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

    // CPU time per request: the request's thread (n/a when an await moved the loop to another thread, or off Linux) and the process
    // (which adds the call recorder's background writer, and the runtime's own threads). After the process's work of earlier requests
    // settles: a short pause first, so the background writer does not charge one case's records to the next.
    private static async Task<(string Thread, double Process)> CpuAsync(Func<Task> run, int calls)
    {
        await Task.Delay(200);
        int threadId = Environment.CurrentManagedThreadId;
        double threadStart = ThreadCpuMicroseconds();
        TimeSpan processStart = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < calls; i++)
        {
            await run();
        }

        double thread = ThreadCpuMicroseconds();
        await Task.Delay(200); // let the background writer finish this case's records; its pause costs no CPU
        double process = (Process.GetCurrentProcess().TotalProcessorTime - processStart).TotalMicroseconds / calls;
        string threadText = threadId == Environment.CurrentManagedThreadId && thread > 0 && threadStart > 0
            ? ((thread - threadStart) / calls).ToString("0.00", CultureInfo.InvariantCulture)
            : "n/a";
        return (threadText, process);
    }

    private static double ThreadCpuMicroseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        return ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, out TimeSpec spec) == 0 ? (spec.Seconds * 1e6) + (spec.Nanoseconds / 1e3) : -1;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec spec);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
