using System.Diagnostics;
using System.Text;

namespace HumanInLoop.Benchmarks;

/// <summary>One call a <see cref="RecordingStateStore"/> saw: the step it belongs to, the operation, and what was written or read.</summary>
/// <param name="Step">The step of the approval the caller was in (hold, read, decide, resume).</param>
/// <param name="Operation">The store method: create, update, get, list, or a call-record or grant method.</param>
/// <param name="IsWrite">Whether the operation is a durable write (a commit).</param>
/// <param name="Entry">The entry written (create, update) or read (get; <see langword="null"/> when none).</param>
/// <param name="ExpectedVersion">The version an update expected.</param>
/// <param name="Succeeded">Whether a write took effect (or a read found something).</param>
/// <param name="Rows">How many rows a list returned or a call-record append carried (<see langword="null"/> for single-entry operations).</param>
/// <param name="RowBytes">The UTF-8 size of the text columns of the rows a list returned.</param>
public sealed record StoreOperation(string Step, string Operation, bool IsWrite, StateEntry? Entry, long? ExpectedVersion, bool Succeeded, int? Rows = null, int RowBytes = 0)
{
    /// <summary>Gets how long the inner store took (set by the recorder; zero for calls it does not await).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Gets the UTF-8 size of a text column, 0 when null.</summary>
    public static int Bytes(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);

    /// <summary>Gets the UTF-8 size of the entry's data column.</summary>
    public int DataBytes => Bytes(Entry?.Data);

    /// <summary>Gets the UTF-8 size of the entry's history (the conversation), as given or as returned.</summary>
    public int HistoryBytes => Bytes(Entry?.History);

    /// <summary>Gets the UTF-8 size of every text parameter of the entry (id, conversation, tenant, data, history); the five numbers add 8 bytes each.</summary>
    public int ParameterBytes => Entry is null ? RowBytes : EntryBytes(Entry);

    /// <summary>Gets the UTF-8 size of an entry's text columns plus 8 bytes for each of its five numbers.</summary>
    public static int EntryBytes(StateEntry entry) =>
        Bytes(entry.Id) + Bytes(entry.ConversationId) + Bytes(entry.TenantId) + Bytes(entry.Data) + Bytes(entry.History) + (5 * 8);
}

/// <summary>
/// A decorator over a store that records every call, in order, with the entry written or read, labelled with the step the caller
/// is in (<see cref="Step"/>). It forwards everything, including <see cref="IStateStore.StoresHistorySeparately"/> and the
/// call-record, grant and purge interfaces, so the library behaves exactly as over the inner store. Not for timing.
/// </summary>
public sealed class RecordingStateStore(IStateStore inner) : IPurgeableStateStore, ICallRecordStore, IGrantStore
{
    private readonly Lock _gate = new();
    private readonly List<StoreOperation> _operations = [];

    /// <summary>Gets or sets the step recorded with the next operations.</summary>
    public string Step { get; set; } = "";

    /// <summary>
    /// Gets or sets what runs right after each durable write of the inner store returns, outside its timing (the profile's paired
    /// floor: the same write, bare, in the same moment of the approval).
    /// </summary>
    public Func<StoreOperation, Task>? AfterWrite { get; set; }

    /// <summary>Gets or sets whether <see cref="AfterWrite"/> runs right before each durable write instead (the pair's order swapped).</summary>
    public bool PairBefore { get; set; }

    /// <summary>Gets how many garbage collections (any generation) started while the inner store was writing, since <see cref="Clear"/>.</summary>
    public int CollectionsInWrites { get; private set; }

    /// <summary>Gets the store under the recorder.</summary>
    public IStateStore Inner => inner;

    /// <summary>Gets a copy of the operations recorded so far.</summary>
    public IReadOnlyList<StoreOperation> Operations
    {
        get
        {
            lock (_gate)
            {
                return [.. _operations];
            }
        }
    }

    /// <inheritdoc />
    public bool StoresHistorySeparately => inner.StoresHistorySeparately;

    /// <summary>Forgets what was recorded.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _operations.Clear();
            CollectionsInWrites = 0;
        }
    }

    /// <inheritdoc />
    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        if (PairBefore && AfterWrite is { } before)
        {
            await before(new StoreOperation(Step, "create", true, entry, null, true));
        }

        int collections = GC.CollectionCount(0);
        long start = Stopwatch.GetTimestamp();
        bool created = await inner.TryCreateAsync(entry, cancellationToken);
        CollectionsInWrites += GC.CollectionCount(0) - collections;
        StoreOperation operation = new(Step, "create", true, entry, null, created) { Elapsed = Stopwatch.GetElapsedTime(start) };
        Add(operation);
        if (!PairBefore && AfterWrite is { } after)
        {
            await after(operation);
        }

        return created;
    }

    /// <inheritdoc />
    public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        StateEntry? entry = await inner.GetAsync(id, cancellationToken);
        Add(new StoreOperation(Step, "get", false, entry, null, entry is not null) { Elapsed = Stopwatch.GetElapsedTime(start) });
        return entry;
    }

    /// <inheritdoc />
    public async Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        StateEntry? entry = await inner.GetWithoutHistoryAsync(id, cancellationToken);
        Add(new StoreOperation(Step, "get without history", false, entry, null, entry is not null) { Elapsed = Stopwatch.GetElapsedTime(start) });
        return entry;
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        if (PairBefore && AfterWrite is { } before)
        {
            await before(new StoreOperation(Step, "update", true, entry, expectedVersion, true));
        }

        int collections = GC.CollectionCount(0);
        long start = Stopwatch.GetTimestamp();
        bool updated = await inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);
        CollectionsInWrites += GC.CollectionCount(0) - collections;
        StoreOperation operation = new(Step, "update", true, entry, expectedVersion, updated) { Elapsed = Stopwatch.GetElapsedTime(start) };
        Add(operation);
        if (!PairBefore && AfterWrite is { } after)
        {
            await after(operation);
        }

        return updated;
    }

    /// <inheritdoc />
    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        StatePage page = await inner.ListAsync(query, cancellationToken);
        Add(new StoreOperation(Step, query.IncludeHistory ? "list" : "list without history", false, null, null, true, page.Entries.Count, page.Entries.Sum(StoreOperation.EntryBytes)) { Elapsed = Stopwatch.GetElapsedTime(start) });
        return page;
    }

    /// <inheritdoc />
    public Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail = true, CancellationToken cancellationToken = default)
    {
        Add(new StoreOperation(Step, "purge", true, null, null, true));
        return ((IPurgeableStateStore)inner).PurgeAsync(olderThan, keepAuditTrail, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(string approvalId, CancellationToken cancellationToken = default)
    {
        Add(new StoreOperation(Step, "read-archived-trail", false, null, null, true));
        return ((IPurgeableStateStore)inner).ReadArchivedAuditTrailAsync(approvalId, cancellationToken);
    }

    /// <inheritdoc />
    public Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default)
    {
        Add(new StoreOperation(Step, "append-call-records", true, null, null, true, entries.Count));
        return ((ICallRecordStore)inner).AppendCallRecordsAsync(entries, cancellationToken);
    }

    /// <inheritdoc />
    public Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default)
    {
        Add(new StoreOperation(Step, "list-call-records", false, null, null, true));
        return ((ICallRecordStore)inner).ListCallRecordsAsync(query, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TryCreateGrantAsync(GrantEntry entry, CancellationToken cancellationToken = default)
    {
        Add(new StoreOperation(Step, "create-grant", true, null, null, true));
        return ((IGrantStore)inner).TryCreateGrantAsync(entry, cancellationToken);
    }

    /// <inheritdoc />
    public Task<GrantEntry?> GetGrantAsync(string id, CancellationToken cancellationToken = default)
    {
        Add(new StoreOperation(Step, "get-grant", false, null, null, true));
        return ((IGrantStore)inner).GetGrantAsync(id, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateGrantAsync(GrantEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Add(new StoreOperation(Step, "update-grant", true, null, null, true));
        return ((IGrantStore)inner).TryUpdateGrantAsync(entry, expectedVersion, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<GrantPage> ListGrantsAsync(GrantQuery query, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        GrantPage page = await ((IGrantStore)inner).ListGrantsAsync(query, cancellationToken);
        Add(new StoreOperation(Step, "list-grants", false, null, null, true, page.Entries.Count) { Elapsed = Stopwatch.GetElapsedTime(start) });
        return page;
    }

    private void Add(StoreOperation operation)
    {
        lock (_gate)
        {
            _operations.Add(operation);
        }
    }
}
