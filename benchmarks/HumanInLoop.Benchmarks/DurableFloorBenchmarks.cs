using System.Diagnostics;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// Issue 18, goal 1: one whole approval (hold → read → decide → resume → the model answers) by HumanInLoop, against the floor its
/// promises leave, and against Microsoft.Extensions.AI's own approval flow, on SQLite (a file) and PostgreSQL (HUMANINLOOP_POSTGRES;
/// skipped when unset), for conversations of 10, 100 and 1,000 messages, all in one run.
/// </summary>
/// <remarks>
/// <para>
/// The floor (the baseline): before anything is timed, one approval runs through HumanInLoop over a <see cref="RecordingStateStore"/>,
/// which keeps every durable write it makes (the entry, the expected version). The floor replays exactly those writes, each its own
/// commit, with the same parameters byte for byte (only the id is fresh, of the same length), as bare parameterized statements through
/// the same driver into tables made by the same store (same columns and indexes), and then deserializes the conversation once
/// (<c>List&lt;ChatMessage&gt;</c> with <see cref="AIJsonUtilities.DefaultOptions"/>). It reads nothing: HumanInLoop's reads count as
/// cost beyond the floor.
/// </para>
/// <para>
/// Durable writes per approval: HumanInLoop and the floor <see cref="Writes"/> (printed at setup; 6 when written), Microsoft's flow 1
/// (the conversation, saved once, loaded once). Every iteration starts with empty tables on all three sides.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(32)]
public class DurableFloorBenchmarks
{
    private DurableStorage _storage = null!;
    private ApprovalCycle _cycle = null!;
    private IReadOnlyList<StoreOperation> _writes = [];
    private string _history = "";
    private int _idLength;

    /// <summary>The storage: SQLite always, PostgreSQL when HUMANINLOOP_POSTGRES is set.</summary>
    public static IEnumerable<string> Stores() => BenchmarkStores.Available().Where(store => store != BenchmarkStores.InMemory);

    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "";

    [Params(10, 100, 1000)]
    public int Messages { get; set; }

    /// <summary>Gets the number of durable writes HumanInLoop made (and the floor makes) per approval.</summary>
    public int Writes => _writes.Count;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _storage = await DurableStorage.CreateAsync(Store);
        _cycle = new ApprovalCycle(_storage.HilStore, Messages);

        // What HumanInLoop writes for this conversation, on this store: recorded once, replayed by the floor.
        RecordingStateStore recorder = new(_storage.HilStore);
        ApprovalCycle recorded = new(recorder, Messages);
        Check(await recorded.HumanInLoopAsync(step => recorder.Step = step), recorded.Transfers, "recording");
        _writes = [.. recorder.Operations.Where(operation => operation.IsWrite)];
        if (_writes.Any(write => write.Operation is not ("create" or "update") || !write.Succeeded) || _writes[0].Operation != "create")
        {
            throw new InvalidOperationException("Setup check failed: the recorded writes are not one create followed by updates that all took effect.");
        }

        _history = _writes[0].Entry!.History ?? throw new InvalidOperationException("Setup check failed: the store keeps no conversation apart.");
        _idLength = _writes[0].Entry!.Id.Length;
        int reads = recorder.Operations.Count(operation => !operation.IsWrite);
        Console.WriteLine($"// {Store}, {Messages} messages: durable writes per approval: HumanInLoop {Writes}, floor {Writes}, Microsoft 1; reads: HumanInLoop {reads}, floor 0, Microsoft 1");

        // All three must do their work before anything is timed.
        if (await Floor() != Messages)
        {
            throw new InvalidOperationException("Setup check failed: the floor's conversation does not have the expected number of messages.");
        }

        int before = _cycle.Transfers;
        Check(await MicrosoftApprovalFlow(), _cycle.Transfers - before, "Microsoft");
        before = _cycle.Transfers;
        Check(await HumanInLoopFlow(), _cycle.Transfers - before, "HumanInLoop");

        // Steady state for all three (see FullCycleBenchmarks: tiered compilation takes thousands of cycles).
        Stopwatch warming = Stopwatch.StartNew();
        for (int i = 0; warming.Elapsed < TimeSpan.FromSeconds(5); i++)
        {
            if (i % 32 == 0)
            {
                await _storage.ClearAsync();
            }

            await Floor();
            await MicrosoftApprovalFlow();
            await HumanInLoopFlow();
        }
    }

    [IterationSetup]
    public void EmptyTables() => _storage.ClearAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _storage.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "Floor: same commits, same bytes, bare")]
    public async Task<int> Floor()
    {
        await _storage.ReplayAsync(_writes, DurableStorage.FreshId(_idLength));
        return JsonSerializer.Deserialize<List<ChatMessage>>(_history, AIJsonUtilities.DefaultOptions)!.Count;
    }

    [Benchmark(Description = "HumanInLoop")]
    public Task<string> HumanInLoopFlow() => _cycle.HumanInLoopAsync();

    [Benchmark(Description = "Microsoft.Extensions.AI approval")]
    public Task<string> MicrosoftApprovalFlow() => _cycle.MicrosoftAsync(_storage.SaveConversationAsync, _storage.LoadConversationAsync);

    private static void Check(string answer, int transfers, string flow)
    {
        if (answer != ApprovalCycle.Answer || transfers != 1)
        {
            throw new InvalidOperationException($"Setup check failed ({flow}): answer '{answer}', {transfers} transfer(s).");
        }
    }
}
