using BenchmarkDotNet.Attributes;

namespace HumanInLoop.Benchmarks;

/// <summary>
/// Save, load, and claim-and-complete of one pending approval, per store and history length, beside serializing the same state
/// alone (the floor every store pays). Save is what every state change costs: serialize, then one compare-and-swap write.
/// Load is a read plus deserialization. Claim-and-complete is a load and two compare-and-swap writes (Executing, then Completed).
/// </summary>
[MemoryDiagnoser]
public class StoreRoundTripBenchmarks
{
    private IStateStore _store = null!;
    private Func<Task> _cleanup = null!;
    private PendingApproval _approval = null!;
    private StateEntry _template = null!;
    private long _version;

    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "";

    [Params(10, 100, 1000)]
    public int Messages { get; set; }

    public static IEnumerable<string> Stores() => BenchmarkStores.Available();

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_store, _, _cleanup) = await BenchmarkStores.CreateAsync(Store);
        _approval = await BenchmarkStores.MakeApprovalAsync(Messages);
        string data = PendingApprovalSerializer.Serialize(_approval);
        _template = new StateEntry(_approval.Id, _approval.Context.ConversationId, ApprovalStatus.Pending, _approval.CreatedAt, _approval.ExpiresAt, _approval.UpdatedAt, 1, data);
        if (!await _store.TryCreateAsync(_template))
        {
            throw new InvalidOperationException("setup failed");
        }

        _version = 1;
    }

    [GlobalCleanup]
    public Task CleanupAsync() => _cleanup();

    [Benchmark(Baseline = true, Description = "Serialize (floor)")]
    public string Serialize() => PendingApprovalSerializer.Serialize(_approval);

    [Benchmark]
    public async Task Save()
    {
        await SaveAsync(ApprovalStatus.Pending);
    }

    [Benchmark]
    public async Task<PendingApproval> Load()
    {
        StateEntry entry = (await _store.GetAsync(_template.Id))!;
        return PendingApprovalSerializer.Deserialize(entry);
    }

    [Benchmark]
    public async Task ClaimAndComplete()
    {
        StateEntry entry = (await _store.GetAsync(_template.Id))!;
        _ = PendingApprovalSerializer.Deserialize(entry);
        await SaveAsync(ApprovalStatus.Executing);
        await SaveAsync(ApprovalStatus.Completed);
    }

    private async Task SaveAsync(ApprovalStatus status)
    {
        string data = PendingApprovalSerializer.Serialize(_approval);
        StateEntry next = _template with { Status = status, Version = _version + 1, Data = data };
        if (!await _store.TryUpdateAsync(next, _version))
        {
            throw new InvalidOperationException("lost a compare-and-swap with no competitor");
        }

        _version++;
    }
}
