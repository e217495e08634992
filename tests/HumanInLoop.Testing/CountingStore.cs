namespace HumanInLoop.Testing;

/// <summary>What one call to the store did: its kind, the step the test was in, and what it carried.</summary>
/// <param name="Step">The step the test named (<see cref="CountingStore.Step"/>) when the call was made.</param>
/// <param name="Kind">Create, Update, Get, List, ListGrants, GetGrant, CreateGrant, UpdateGrant, AppendCallRecords or ListCallRecords.</param>
/// <param name="Status">The approval status written, or read (null for a read that found nothing or a call that is not about one approval).</param>
/// <param name="WithConversation">For a read: whether it brought the conversation back. For a write: whether it carried one.</param>
/// <param name="Bytes">For a write: the characters of the record and the conversation it carried (what the store is asked to write).</param>
/// <param name="DiskBytes">The bytes the storage grew by during the call, when the test measures it (a SQLite file's write-ahead log); else 0.</param>
/// <param name="ConversationChars">For a write: the characters of the conversation it carried apart (<see cref="StateEntry.History"/>); else 0.</param>
public sealed record StoreCall(string Step, string Kind, ApprovalStatus? Status, bool WithConversation, long Bytes, long DiskBytes = 0, long ConversationChars = 0)
{
    /// <summary>Gets whether the call writes to the store.</summary>
    public bool IsWrite => Kind is "Create" or "Update" or "CreateGrant" or "UpdateGrant" or "AppendCallRecords";

    /// <summary>Gets whether the call writes an approval (one compare-and-swap or create).</summary>
    public bool IsApprovalWrite => Kind is "Create" or "Update";

    /// <summary>Gets whether the call reads approvals (one, or a page).</summary>
    public bool IsApprovalRead => Kind is "Get" or "List";

    /// <summary>A short text for assertions: "Update Executing", "Get Pending +conversation".</summary>
    public override string ToString() => $"{Kind}{(Status is { } s ? " " + s : "")}{(WithConversation ? " +conversation" : "")}";
}

/// <summary>
/// Passes every call to a store that keeps approvals, call records and grants (the in-memory, SQLite and PostgreSQL stores), and
/// records each one with the step the test says it is in: to assert how many writes and reads each step of an approval costs,
/// and whether a read brought the conversation back. Given <paramref name="diskBytes"/> (the bytes the storage has written so far),
/// each call also records how much the storage grew during it.
/// </summary>
public sealed class CountingStore(IStateStore inner, Func<long>? diskBytes = null) : ICallRecordStore, IGrantStore
{
    private readonly List<StoreCall> _calls = [];

    /// <summary>Gets or sets the step the calls made from now on belong to.</summary>
    public string Step { get; set; } = "";

    /// <summary>Gets every call so far, in order.</summary>
    public IReadOnlyList<StoreCall> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Gets the calls of one step, in order.</summary>
    public IReadOnlyList<StoreCall> In(string step) => [.. Calls.Where(c => c.Step == step)];

    /// <summary>Gets whether each call records how much the storage grew (<see cref="StoreCall.DiskBytes"/>).</summary>
    public bool MeasuresDisk => diskBytes is not null;

    public bool StoresHistorySeparately => inner.StoresHistorySeparately;

    private ICallRecordStore CallRecords => (ICallRecordStore)inner;

    private IGrantStore Grants => (IGrantStore)inner;

    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        long before = Disk();
        bool created = await inner.TryCreateAsync(entry, cancellationToken);
        Add("Create", entry.Status, Carries(entry), Written(entry), Disk() - before, entry.History?.Length ?? 0);
        return created;
    }

    public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        StateEntry? entry = await inner.GetAsync(id, cancellationToken);
        Add("Get", entry?.Status, entry?.History is not null || (entry is not null && !inner.StoresHistorySeparately), 0);
        return entry;
    }

    /// <summary>Forwards the read without the conversation; counted as a <c>Get</c>, with or without the conversation as it came back.</summary>
    public async Task<StateEntry?> GetWithoutHistoryAsync(string id, CancellationToken cancellationToken = default)
    {
        StateEntry? entry = await inner.GetWithoutHistoryAsync(id, cancellationToken);
        Add("Get", entry?.Status, entry?.History is not null || (entry is not null && !inner.StoresHistorySeparately), 0);
        return entry;
    }

    public async Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        long before = Disk();
        bool updated = await inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);
        Add("Update", entry.Status, Carries(entry), Written(entry), Disk() - before);
        return updated;
    }

    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        StatePage page = await inner.ListAsync(query, cancellationToken);
        Add("List", null, page.Entries.Any(e => e.History is not null), 0);
        return page;
    }

    public async Task AppendCallRecordsAsync(IReadOnlyList<CallRecordEntry> entries, CancellationToken cancellationToken = default)
    {
        await CallRecords.AppendCallRecordsAsync(entries, cancellationToken);
        Add("AppendCallRecords", null, false, 0);
    }

    public async Task<CallRecordPage> ListCallRecordsAsync(CallRecordQuery query, CancellationToken cancellationToken = default)
    {
        CallRecordPage page = await CallRecords.ListCallRecordsAsync(query, cancellationToken);
        Add("ListCallRecords", null, false, 0);
        return page;
    }

    public async Task<bool> TryCreateGrantAsync(GrantEntry entry, CancellationToken cancellationToken = default)
    {
        bool created = await Grants.TryCreateGrantAsync(entry, cancellationToken);
        Add("CreateGrant", null, false, 0);
        return created;
    }

    public async Task<GrantEntry?> GetGrantAsync(string id, CancellationToken cancellationToken = default)
    {
        GrantEntry? entry = await Grants.GetGrantAsync(id, cancellationToken);
        Add("GetGrant", null, false, 0);
        return entry;
    }

    public async Task<bool> TryUpdateGrantAsync(GrantEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        bool updated = await Grants.TryUpdateGrantAsync(entry, expectedVersion, cancellationToken);
        Add("UpdateGrant", null, false, 0);
        return updated;
    }

    public async Task<GrantPage> ListGrantsAsync(GrantQuery query, CancellationToken cancellationToken = default)
    {
        GrantPage page = await Grants.ListGrantsAsync(query, cancellationToken);
        Add("ListGrants", null, false, 0);
        return page;
    }

    // A store that does not keep the conversation apart is given it inside every record.
    private bool Carries(StateEntry entry) => entry.History is not null || !inner.StoresHistorySeparately;

    private long Disk() => diskBytes?.Invoke() ?? 0;

    private static long Written(StateEntry entry) => entry.Data.Length + (entry.History?.Length ?? 0L);

    private void Add(string kind, ApprovalStatus? status, bool withConversation, long bytes, long disk = 0, long conversation = 0)
    {
        lock (_calls)
        {
            _calls.Add(new StoreCall(Step, kind, status, withConversation, bytes, disk, conversation));
        }
    }
}
