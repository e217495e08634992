namespace HumanInLoop.Testing;

/// <summary>
/// Passes every call to a store, saying it keeps the conversation apart or not, and records the entries created: to see what
/// the service wrote, or to make it write whole records (conversation inside) as it does for stores that do not.
/// </summary>
public sealed class ForwardingStore(IStateStore inner, bool storesHistorySeparately) : IStateStore
{
    private readonly List<StateEntry> _created = [];

    public bool StoresHistorySeparately => storesHistorySeparately;

    /// <summary>Gets the entries created through this store, in order.</summary>
    public IReadOnlyList<StateEntry> Created
    {
        get
        {
            lock (_created)
            {
                return [.. _created];
            }
        }
    }

    public async Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        bool created = await inner.TryCreateAsync(entry, cancellationToken);
        if (created)
        {
            lock (_created)
            {
                _created.Add(entry);
            }
        }

        return created;
    }

    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

    public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
        inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

    public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);
}
