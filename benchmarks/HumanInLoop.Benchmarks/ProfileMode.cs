using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/HumanInLoop.Benchmarks -- profile [cycles] [--paired [--floor-first]] [--floor-without-approvers] [--in-memory-only [--own-conversations-only] [--messages N]]</c>: where one whole approval's time goes,
/// beyond the floor. On SQLite (and PostgreSQL when HUMANINLOOP_POSTGRES is set), for 10, 100 and 1,000 messages, after a warm-up it
/// runs <c>cycles</c> approvals (default 200) through a <see cref="RecordingStateStore"/>, each followed by the floor's replay of
/// its writes and the floor's deserialization, each timed apart, and prints the means per approval: the store's writes and reads,
/// the rest (the library's own work: policies, the record's JSON, hashing, plus the canned model and the tool), and the floor's
/// parts. A stopwatch profile, not a benchmark: use <see cref="DurableFloorBenchmarks"/> for the ratios.
/// </summary>
public static class ProfileMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        int cycles = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        if (args.SkipWhile(arg => arg != "--messages").Skip(1).FirstOrDefault() is { } only)
        {
            Sizes = [int.Parse(only, CultureInfo.InvariantCulture)];
        }

        DurableStorage.FloorWritesApprovers = !args.Contains("--floor-without-approvers");
        if (args.Contains("--in-memory-only"))
        {
            await InMemoryAsync(cycles, sameConversation: false);
            if (!args.Contains("--own-conversations-only"))
            {
                await InMemoryAsync(cycles, sameConversation: true);
            }

            return 0;
        }

        if (args.Contains("--paired"))
        {
            await PairedAsync(cycles, floorFirst: args.Contains("--floor-first"));
            return 0;
        }

        List<string> medians = [], writeMedians = [];
        Console.WriteLine("| Store | Messages | HIL whole (µs) | HIL writes: n, µs | HIL reads: n, µs | HIL rest (µs) | Floor writes (µs) | Floor deserialize (µs) | Floor (µs) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (string kind in DurableFloorBenchmarks.Stores())
        {
            foreach (int messages in new[] { 10, 100, 1000 })
            {
                await using DurableStorage storage = await DurableStorage.CreateAsync(kind);
                RecordingStateStore recorder = new(storage.HilStore);
                ApprovalCycle cycle = new(recorder, messages);
                Stopwatch warming = Stopwatch.StartNew();
                double whole = 0, writes = 0, reads = 0, floorWrites = 0, floorRead = 0;
                int writeCount = 0, readCount = 0;
                List<double> hilSamples = [], floorSamples = [], meaiSamples = [], hilWriteSamples = [], floorWriteSamples = [];
                for (int i = 0, measured = 0; measured < cycles; i++)
                {
                    bool warm = warming.Elapsed > TimeSpan.FromSeconds(3);
                    if (i % 64 == 0)
                    {
                        await storage.ClearAsync();
                    }

                    recorder.Clear();
                    long start = Stopwatch.GetTimestamp();
                    await cycle.HumanInLoopAsync();
                    double hil = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    IReadOnlyList<StoreOperation> operations = recorder.Operations;
                    StoreOperation[] written = [.. operations.Where(o => o.IsWrite)];
                    start = Stopwatch.GetTimestamp();
                    await storage.ReplayAsync(written, DurableStorage.FreshId(written[0].Entry!.Id.Length));
                    double replay = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    start = Stopwatch.GetTimestamp();
                    _ = JsonSerializer.Deserialize<List<ChatMessage>>(written[0].Entry!.History!, AIJsonUtilities.DefaultOptions);
                    double deserialize = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    start = Stopwatch.GetTimestamp();
                    await cycle.MicrosoftAsync(storage.SaveConversationAsync, storage.LoadConversationAsync);
                    double meai = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    if (!warm)
                    {
                        continue;
                    }

                    measured++;
                    whole += hil;
                    writes += written.Sum(o => o.Elapsed.TotalMicroseconds);
                    reads += operations.Where(o => !o.IsWrite).Sum(o => o.Elapsed.TotalMicroseconds);
                    writeCount = written.Length;
                    readCount = operations.Count - written.Length;
                    floorWrites += replay;
                    floorRead += deserialize;
                    hilSamples.Add(hil);
                    floorSamples.Add(replay + deserialize);
                    meaiSamples.Add(meai);
                    hilWriteSamples.Add(written.Sum(o => o.Elapsed.TotalMicroseconds));
                    floorWriteSamples.Add(replay);
                }

                double hilMedian = Median(hilSamples), floorMedian = Median(floorSamples), meaiMedian = Median(meaiSamples);
                medians.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {messages:N0} | {floorMedian:N0} | {hilMedian:N0} | {meaiMedian:N0} | **{hilMedian / floorMedian:N2}** | {hilMedian / meaiMedian:N2} | {writeCount} / {writeCount} / 1 |"));

                double hilWrites = Median(hilWriteSamples), floorWritesMedian = Median(floorWriteSamples);
                writeMedians.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {messages:N0} | {floorWritesMedian:N0} | {hilWrites:N0} | **{hilWrites / floorWritesMedian:N2}** | {(hilWrites - floorWritesMedian) / writeCount:N0} |"));

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {messages:N0} | {whole / cycles:N0} | {writeCount}, {writes / cycles:N0} | {readCount}, {reads / cycles:N0} | {(whole - writes - reads) / cycles:N0} | {floorWrites / cycles:N0} | {floorRead / cycles:N0} | {(floorWrites + floorRead) / cycles:N0} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("Interleaved (each cycle runs HumanInLoop, the floor, Microsoft's flow, one after the other), medians:");
        Console.WriteLine();
        Console.WriteLine("| Store | Messages | Floor (µs) | HumanInLoop (µs) | Microsoft (µs) | HIL / floor | HIL / Microsoft | Durable writes HIL / floor / Microsoft |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        medians.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("The writes alone (per cycle, the 6 durable writes of HumanInLoop's store against the floor's replay of them), medians:");
        Console.WriteLine();
        Console.WriteLine("| Store | Messages | Floor writes (µs) | HIL writes (µs) | HIL / floor | Beyond the floor per write (µs) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        writeMedians.ForEach(Console.WriteLine);
        await InMemoryAsync(cycles);
        return 0;
    }

    /// <summary>
    /// <c>profile [cycles] --paired</c>: each durable write of HumanInLoop's store is followed at once by the floor's replay of the same
    /// write (same bytes, bare, one commit), so that both see the same moment of the approval (the same load, the same state of the
    /// disk and the collector); medians over the cycles of the 6 writes' sums.
    /// </summary>
    private static async Task PairedAsync(int cycles, bool floorFirst)
    {
        Console.WriteLine(floorFirst
            ? "Paired, the floor first: the same write bare on the floor's file, then HumanInLoop's at once; medians of the 6 writes' sums:"
            : "Paired: each HumanInLoop write, then the same write bare on the floor's file at once; medians of the 6 writes' sums:");
        Console.WriteLine();
        Console.WriteLine("| Store | Messages | Floor writes, paired (µs) | HIL writes (µs) | HIL / floor | Beyond the floor per write (µs) | Collections inside the writes per approval, HIL / floor |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (string kind in DurableFloorBenchmarks.Stores())
        {
            foreach (int messages in new[] { 10, 100, 1000 })
            {
                await using DurableStorage storage = await DurableStorage.CreateAsync(kind);
                RecordingStateStore recorder = new(storage.HilStore) { PairBefore = floorFirst };
                ApprovalCycle cycle = new(recorder, messages);
                string floorId = "";
                double floorWrites = 0;
                int floorCollections = 0, hilCollections = 0;
                recorder.AfterWrite = async operation =>
                {
                    if (operation.Operation == "create")
                    {
                        floorId = DurableStorage.FreshId(operation.Entry!.Id.Length);
                    }

                    int collections = GC.CollectionCount(0);
                    long start = Stopwatch.GetTimestamp();
                    await storage.ReplayAsync([operation], floorId);
                    floorWrites += Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    floorCollections += GC.CollectionCount(0) - collections;
                };
                Stopwatch warming = Stopwatch.StartNew();
                List<double> hilSamples = [], floorSamples = [];
                int writeCount = 0;
                for (int i = 0, measured = 0; measured < cycles; i++)
                {
                    if (i % 64 == 0)
                    {
                        await storage.ClearAsync();
                    }

                    recorder.Clear();
                    floorWrites = 0;
                    int floorBefore = floorCollections;
                    await cycle.HumanInLoopAsync();
                    if (warming.Elapsed <= TimeSpan.FromSeconds(3))
                    {
                        floorCollections = floorBefore;
                    }

                    if (warming.Elapsed <= TimeSpan.FromSeconds(3))
                    {
                        continue;
                    }

                    measured++;
                    hilCollections += recorder.CollectionsInWrites;
                    StoreOperation[] written = [.. recorder.Operations.Where(o => o.IsWrite)];
                    writeCount = written.Length;
                    hilSamples.Add(written.Sum(o => o.Elapsed.TotalMicroseconds));
                    floorSamples.Add(floorWrites);
                }

                double hil = Median(hilSamples), floor = Median(floorSamples);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {messages:N0} | {floor:N0} | {hil:N0} | **{hil / floor:N2}** | {(hil - floor) / writeCount:N0} | {(double)hilCollections / cycles:N2} / {(double)floorCollections / cycles:N2} |"));
            }
        }
    }

    /// <summary>The conversation lengths measured in memory (all three, or the one given with <c>--messages</c>).</summary>
    private static int[] Sizes { get; set; } = [10, 100, 1000];

    private static double Median(List<double> samples)
    {
        samples.Sort();
        return samples.Count % 2 == 1 ? samples[samples.Count / 2] : (samples[(samples.Count / 2) - 1] + samples[samples.Count / 2]) / 2;
    }

    private static async Task InMemoryAsync(int cycles)
    {
        await InMemoryAsync(cycles, sameConversation: false);
        await InMemoryAsync(cycles, sameConversation: true);
    }

    /// <summary>In memory: the mean time of each step of HumanInLoop's approval, and of Microsoft's whole flow, per approval.</summary>
    private static async Task InMemoryAsync(int cycles, bool sameConversation)
    {
        Console.WriteLine();
        Console.WriteLine(sameConversation
            ? "In memory, every approval in the same conversation (up to 63 earlier approvals in it, the store being replaced every 64):"
            : "In memory, each approval in a conversation of its own:");
        Console.WriteLine();
        Console.WriteLine("| In memory | Messages | hold (µs) | read (µs) | decide (µs) | resume (µs) | HIL whole (µs) | Microsoft whole (µs) | HIL / Microsoft | HIL allocated (KB) | Medians: HIL, Microsoft (µs) | HIL / Microsoft (medians) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        string[] steps = ["hold", "read", "decide", "resume"];
        foreach (int messages in Sizes)
        {
            Dictionary<string, string> memory = new(StringComparer.Ordinal);
            ApprovalCycle cycle = new(new InMemoryStateStore(), messages, sameConversation);
            double[] totals = new double[steps.Length];
            double hilWhole = 0, meaiWhole = 0, allocated = 0;
            List<double> hilSamples = [], meaiSamples = [];
            Stopwatch warming = Stopwatch.StartNew();
            for (int i = 0, measured = 0; measured < cycles; i++)
            {
                bool warm = warming.Elapsed > TimeSpan.FromSeconds(3);
                if (i % 64 == 0)
                {
                    cycle = new ApprovalCycle(new InMemoryStateStore(), messages, sameConversation);
                    memory.Clear();
                }

                List<(string Step, long At)> marks = new(5);
                long bytes = GC.GetTotalAllocatedBytes(precise: false);
                long start = Stopwatch.GetTimestamp();
                await cycle.HumanInLoopAsync(step => marks.Add((step, Stopwatch.GetTimestamp())));
                long end = Stopwatch.GetTimestamp();
                bytes = GC.GetTotalAllocatedBytes(precise: false) - bytes;
                start = Stopwatch.GetTimestamp();
                await cycle.MicrosoftAsync(
                    (id, json) =>
                    {
                        memory.Add(id, json);
                        return Task.CompletedTask;
                    },
                    id => Task.FromResult(memory[id]));
                double meai = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                if (!warm)
                {
                    continue;
                }

                measured++;
                marks.Add(("end", end));
                for (int s = 0; s < steps.Length; s++)
                {
                    totals[s] += Stopwatch.GetElapsedTime(marks[s].At, marks[s + 1].At).TotalMicroseconds;
                }

                hilWhole += Stopwatch.GetElapsedTime(marks[0].At, end).TotalMicroseconds;
                meaiWhole += meai;
                allocated += bytes;
                hilSamples.Add(Stopwatch.GetElapsedTime(marks[0].At, end).TotalMicroseconds);
                meaiSamples.Add(meai);
            }

            double hilMedian = Median(hilSamples), meaiMedian = Median(meaiSamples);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| InMemory | {messages:N0} | {totals[0] / cycles:N0} | {totals[1] / cycles:N0} | {totals[2] / cycles:N0} | {totals[3] / cycles:N0} | {hilWhole / cycles:N0} | {meaiWhole / cycles:N0} | {hilWhole / meaiWhole:N2} | {allocated / cycles / 1024:N1} | {hilMedian:N0}, {meaiMedian:N0} | **{hilMedian / meaiMedian:N2}** |"));
        }
    }
}
