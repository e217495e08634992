namespace HumanInLoop.Tests;

/// <summary>
/// A store written before <see cref="IStateStore.StoresHistorySeparately"/> existed (the interface's default): every entry's
/// Data holds the whole approval. An in-memory store underneath.
/// </summary>
public sealed class RecordOnlyStore(InMemoryStateStore? storage = null) : IStateStore
{
    private readonly InMemoryStateStore _inner = storage ?? new();

    /// <summary>Gets the in-memory store underneath (another <see cref="RecordOnlyStore"/> over it sees the same entries).</summary>
    public InMemoryStateStore Storage => _inner;

    public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        Assert.Null(entry.History); // the library must never hand such a store a conversation apart
        return _inner.TryCreateAsync(entry, cancellationToken);
    }

    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => _inner.GetAsync(id, cancellationToken);

    public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Assert.Null(entry.History);
        return _inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);
    }

    public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => _inner.ListAsync(query, cancellationToken);
}

/// <summary>An in-memory store that keeps the conversation apart and lets a test change what its reads return (a damaged column).</summary>
public sealed class TamperableStore : IStateStore
{
    private readonly InMemoryStateStore _inner = new();

    /// <summary>Gets or sets a change applied to every entry read.</summary>
    public Func<StateEntry, StateEntry>? OnRead { get; set; }

    public bool StoresHistorySeparately => true;

    public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default) => _inner.TryCreateAsync(entry, cancellationToken);

    public async Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        StateEntry? entry = await _inner.GetAsync(id, cancellationToken);
        return entry is not null && OnRead is { } change ? change(entry) : entry;
    }

    public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) => _inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

    public async Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        StatePage page = await _inner.ListAsync(query, cancellationToken);
        return OnRead is { } change ? page with { Entries = [.. page.Entries.Select(change)] } : page;
    }
}

/// <summary>
/// A store written before <see cref="IStateStore.StoresHistorySeparately"/> existed that keeps each entry whole, as given:
/// an update replaces the entry (as <see cref="InMemoryStateStore"/> did then, and as a store that saves the serialized
/// entry does). It never asks for the conversation apart, but it keeps whatever entry it is handed.
/// </summary>
public sealed class WholeEntryStore : IStateStore
{
    private readonly Dictionary<string, StateEntry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_entries.TryAdd(entry.Id, entry));
        }
    }

    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_entries.GetValueOrDefault(id));
        }
    }

    public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(entry.Id, out StateEntry? current) || current.Version != expectedVersion)
            {
                return Task.FromResult(false);
            }

            _entries[entry.Id] = entry;
            return Task.FromResult(true);
        }
    }

    public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(new StatePage([.. _entries.Values], null));
        }
    }
}
