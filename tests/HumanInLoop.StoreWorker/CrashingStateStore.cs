using System.Diagnostics;

namespace HumanInLoop.StoreWorker;

/// <summary>
/// A store that kills its own process with SIGKILL at one durable write: the <see cref="KillAt"/>-th call of a write method
/// (<see cref="IStateStore.TryCreateAsync"/> or <see cref="IStateStore.TryUpdateAsync"/>, each one committed transaction in the
/// durable stores), either just before the write reaches the store or just after it committed, before the caller learns it did.
/// Counts the writes of each phase (hold, decide, resume), so the crash-point matrix can pin how many there are.
/// </summary>
internal sealed class CrashingStateStore(IStateStore inner, int killAt, bool afterCommit, int delayMs) : IStateStore
{
    private readonly Dictionary<string, int> _writes = [];
    private int _count;

    /// <summary>Gets the write (1-based) at which the process dies; 0 for never.</summary>
    public int KillAt => killAt;

    /// <summary>Gets or sets the phase the writes are counted for.</summary>
    public string Phase { get; set; } = "setup";

    public bool StoresHistorySeparately => inner.StoresHistorySeparately;

    /// <summary>Gets how many writes each phase made.</summary>
    public IReadOnlyDictionary<string, int> Writes => _writes;

    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        bool dies = Count();
        bool created = await inner.TryCreateAsync(entry, cancellationToken);
        DieAfter(dies);
        return created;
    }

    public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        bool dies = Count();
        bool updated = await inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);
        DieAfter(dies);
        return updated;
    }

    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

    public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);

    /// <summary>Counts a write; dies now if it is the one to die before; returns whether to die after it.</summary>
    private bool Count()
    {
        int number = Interlocked.Increment(ref _count);
        lock (_writes)
        {
            _writes[Phase] = _writes.GetValueOrDefault(Phase) + 1;
        }

        if (number != killAt)
        {
            return false;
        }

        if (!afterCommit)
        {
            Die();
        }

        return true;
    }

    private void DieAfter(bool dies)
    {
        if (dies)
        {
            Die();
        }
    }

    /// <summary>SIGKILL to this process (what <see cref="Process.Kill()"/> sends on Unix): no finally block, no flush, no dispose runs.</summary>
    private void Die()
    {
        if (delayMs > 0)
        {
            // The long form varies the instant: the write's effects (WAL, socket buffers) get a little time, or none.
            Thread.Sleep(delayMs);
        }

        Console.Out.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }
}
