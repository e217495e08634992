using HumanInLoop.Internal;

namespace HumanInLoop;

/// <summary>An <see cref="IStateStore"/> in process memory: for tests, demos and single-process hosts that may lose approvals on restart.</summary>
/// <remarks>
/// Thread-safe. Purged approvals' audit trails are archived in memory too (<see cref="IPurgeableStateStore"/>). Use the SQLite or
/// PostgreSQL store when approvals must survive a restart.
/// </remarks>
public sealed class InMemoryStateStore : IPurgeableStateStore
{
    private readonly Dictionary<string, StateEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _archivedTrails = new(StringComparer.Ordinal);
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

    /// <inheritdoc />
    /// <remarks>All at once, under the store's lock.</remarks>
    public Task<int> PurgeAsync(DateTimeOffset olderThan, bool keepAuditTrail = true, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            int purged = 0;
            foreach (StateEntry entry in _entries.Values.Where(e => IsFinished(e.Status) && e.UpdatedAt < olderThan).ToList())
            {
                if (keepAuditTrail)
                {
                    // Not readable as an approval: kept, rather than lost.
                    if (PendingApprovalSerializer.ExtractAuditTrail(entry) is not { } trail)
                    {
                        continue;
                    }

                    _archivedTrails[entry.Id] = trail;
                }

                _entries.Remove(entry.Id);
                purged++;
            }

            return Task.FromResult(purged);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalAuditEntry>?> ReadArchivedAuditTrailAsync(string approvalId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approvalId);
        cancellationToken.ThrowIfCancellationRequested();
        string? trail;
        lock (_lock)
        {
            trail = _archivedTrails.GetValueOrDefault(approvalId);
        }

        return Task.FromResult<IReadOnlyList<ApprovalAuditEntry>?>(trail is null ? null : PendingApprovalSerializer.ReadAuditTrail(approvalId, trail));
    }

    private static bool IsFinished(ApprovalStatus status) =>
        status is ApprovalStatus.Completed or ApprovalStatus.Expired or ApprovalStatus.Cancelled;
}
