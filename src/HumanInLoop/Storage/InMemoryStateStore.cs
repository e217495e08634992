using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>An <see cref="IStateStore"/> in process memory: for tests, demos and single-process hosts that may lose approvals on restart.</summary>
/// <remarks>Thread-safe. Use the SQLite or PostgreSQL store when approvals must survive a restart.</remarks>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Dictionary<string, StateEntry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <inheritdoc />
    /// <value>Always <see langword="true"/>.</value>
    public bool StoresHistorySeparately => true;

    /// <inheritdoc />
    public Task<bool> TryCreateAsync(StateEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, 1L, nameof(entry));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_entries.TryAdd(entry.Id, entry));
        }
    }

    /// <inheritdoc />
    public Task<StateEntry?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_entries.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateAsync(StateEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNotEqual(entry.Version, expectedVersion + 1, nameof(entry));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_entries.TryGetValue(entry.Id, out StateEntry? current) || current.Version != expectedVersion)
            {
                return Task.FromResult(false);
            }

            // The conversation is written once: whatever History this entry carries, the stored one stays.
            _entries[entry.Id] = ReferenceEquals(entry.History, current.History) ? entry : entry with { History = current.History };
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<StatePage> ListAsync(StateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        (DateTimeOffset CreatedAt, string Id)? after = query.ContinuationToken is null ? null : StateContinuationToken.Parse(query.ContinuationToken);
        lock (_lock)
        {
            List<StateEntry> page = _entries.Values
                .Where(e => query.ConversationId is null || e.ConversationId == query.ConversationId)
                .Where(e => query.Status is null || e.Status == query.Status)
                .Where(e => after is null || e.CreatedAt < after.Value.CreatedAt ||
                    (e.CreatedAt == after.Value.CreatedAt && string.CompareOrdinal(e.Id, after.Value.Id) < 0))
                .OrderByDescending(e => e.CreatedAt)
                .ThenByDescending(e => e.Id, StringComparer.Ordinal)
                .Take(query.PageSize + 1)
                .ToList();
            string? next = null;
            if (page.Count > query.PageSize)
            {
                page.RemoveAt(page.Count - 1);
                next = StateContinuationToken.Create(page[^1]);
            }

            return Task.FromResult(new StatePage(page, next));
        }
    }
}
